#!/usr/bin/env bash
# The test command: installs what is missing (scripts/install-deps.sh), then
# runs every test of the module with the race detector. Extra arguments go to
# go test; when they name packages, only those are tested:
#
#   scripts/test.sh                     # go test -race ./...
#   scripts/test.sh -run Lock -v        # go test -race -run Lock -v ./...
#   scripts/test.sh ./zktest/           # go test -race ./zktest/
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh

pkgs=(./...)
for arg in "$@"; do
	case $arg in
	./* | ../* | github.com/*) pkgs=() ;;
	esac
done
exec go test -race "$@" "${pkgs[@]}"
