#!/usr/bin/env bash
# Install, build, and run the whole test suite (ctest: unit, integration,
# e2e). Extra arguments go to ctest (e.g. -L unit, -R Kafka).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/setup.sh
cmake --build build -j2
cd build
exec ctest --output-on-failure --timeout 300 -j2 "$@"
