#!/usr/bin/env bash
# CI smoke test of the benchmark suite: every client runs every workload
# once, with tiny counts (well under a minute once the workers are built),
# and sidebyside runs a few bursts.
# It fails only when a client errors or the suite cannot run (zkbench exits
# non-zero then), never because of a timing: on a shared CI machine timings
# mean nothing.
set -euo pipefail
cd "$(dirname "$0")"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
go vet ./...
go test ./...
go run ./cmd/zkbench -quick -out "$out/smoke.json" "$@"
go run ./cmd/sidebyside -seq 50 -bursts 2 -ops 200 >/dev/null
echo "bench smoke: every client ran every workload without error"
