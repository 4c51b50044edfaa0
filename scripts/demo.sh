#!/usr/bin/env bash
# The demo command: installs what is missing (scripts/install-deps.sh), then
# starts a throwaway ZooKeeper and runs a short showcase of the client.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
exec go run ./examples/demo
