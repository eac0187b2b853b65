#!/usr/bin/env bash
# Sluice load harness: one command from a clean clone.
#   tests/load/run.sh [--rounds N] [--duration SECONDS] [--warmup SECONDS] [--skip-rows] [--skip-memory] [--out FILE]
#                     [--upstream-ttfb-ms N] [--upstream-interval-ms N] [--compare OTHER_HOST_DLL [--compare-a HOST_DLL] [--connections 32,128]]
#   tests/load/run.sh --answer-end [--rounds N]   (only the cost of holding answers' ends until their rows commit)
# Installs wrk from Debian's packages if missing, builds Release, starts Azurite (the repo's pinned npm package, in
# memory, telemetry off), the fake upstream, the YARP hop and Sluice's local host on 127.0.0.1, runs the scenarios
# interleaved, and writes tests/load/results/latest.md. Asserts nothing about time; it is not part of the test suite.
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! command -v wrk >/dev/null; then
  echo "Installing wrk (Debian package)…"
  if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq wrk
fi
dotnet build src/Sluice.Host -c Release -nologo -v q
dotnet build tests/load/Sluice.Load.Runner -c Release -nologo -v q
exec dotnet tests/load/Sluice.Load.Runner/bin/Release/net10.0/Sluice.Load.Runner.dll "$@"
