#!/usr/bin/env bash
# Quick start: install, build, and run billingd on its embedded journal
# (data in ./billing-data, gRPC on 127.0.0.1:50051). Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/setup.sh
cmake --build build -j2 --target billingd billingctl
exec ./build/services/billingd --data_dir=billing-data --listen=127.0.0.1:50051 "$@"
