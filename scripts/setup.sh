#!/usr/bin/env bash
# Installs the Debian 12 packages the project needs (only the missing ones:
# on a fresh machine, all of them) and configures the build in ./build.
# Not root: uses sudo; without sudo, prints the apt-get line to run as root
# and exits 1.
# Sourced by run.sh and test.sh; usable alone.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PACKAGES=(
  g++ cmake ninja-build ccache pkg-config git
  libabsl-dev libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  librocksdb-dev librdkafka-dev zlib1g-dev libcli11-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  python3 python3-grpcio python3-protobuf python3-confluent-kafka kcat tzdata
  clang-14 libfuzzer-14-dev libclang-rt-14-dev
  libcairo2-dev libpango1.0-dev fonts-dejavu-core poppler-utils
  # the PostgreSQL baseline's smoke test (bench.pg_baseline_sql_parses)
  postgresql python3-psycopg2
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=()
  if [ "$(id -u)" -ne 0 ]; then
    if ! command -v sudo >/dev/null 2>&1; then
      # A fresh machine may have no sudo: say what to run, as root.
      echo "setup: missing packages: ${missing[*]}" >&2
      echo "setup: not root and no sudo here; as root, run:" >&2
      echo "  apt-get update && apt-get install -y --no-install-recommends ${missing[*]}" >&2
      echo "setup: then run this script again" >&2
      exit 1
    fi
    SUDO=(sudo)
  fi
  echo "setup: installing ${missing[*]}"
  "${SUDO[@]}" apt-get update -q
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

export CCACHE_BASEDIR="$PWD"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
