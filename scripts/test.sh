#!/usr/bin/env bash
# The test command: installs what is missing (scripts/install-deps.sh), then
# runs every test with the race detector: the core module, then the adapter
# modules beside it (kzprom, kzotel, sasl/gssapi). Extra arguments go to
# go test; when they name packages, only those are tested, in the core
# module:
#
#   scripts/test.sh                     # go test -race ./... in every module
#   scripts/test.sh -run Lock -v        # the same, with -run Lock -v
#   scripts/test.sh ./zktest/           # go test -race ./zktest/
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh

# Modules of their own beside the core (bench/ has its own smoke test).
modules=(kzprom kzotel sasl/gssapi)

for arg in "$@"; do
	case $arg in
	./* | ../* | github.com/*) exec go test -race "$@" ;;
	esac
done
status=0
go test -race "$@" ./... || status=1
for m in "${modules[@]}"; do
	go -C "$m" test -race "$@" ./... || status=1
done
exit $status
