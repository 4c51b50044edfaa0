#!/usr/bin/env bash
# Runs the cross-client benchmark suite (a few minutes on 2 cores) and
# writes results/latest.json; flags go to zkbench (see README.md or -help):
#
#   bench/run.sh                 # every client, every workload, 3 rounds
#   bench/run.sh -rounds 5 -md /tmp/report.md
#   bench/run.sh -clients ours-async,gozk,raw -workloads read256 -profile /tmp/prof
set -euo pipefail
cd "$(dirname "$0")"
exec go run ./cmd/zkbench "$@"
