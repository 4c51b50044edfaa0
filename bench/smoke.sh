#!/usr/bin/env bash
# CI smoke test of the benchmark suite: every client runs every workload
# once, with tiny counts (well under a minute once the workers are built),
# sidebyside runs a few bursts, cachebench caches a 2,000-node tree, and
# lockbench and queuebench run one short round of each recipe workload.
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
go run ./cmd/cachebench -nodes 2000 -updates 500 -timeout 60s >/dev/null
go run ./cmd/lockbench -rounds 1 -seconds 1 -warmup 0.5 >/dev/null
go run ./cmd/queuebench -rounds 1 -items 200 -incs 200 >/dev/null
echo "bench smoke: every client ran every workload without error"
