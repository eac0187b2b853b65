#!/usr/bin/env bash
# Sluice load harness: one command from a clean clone, one report (tests/load/results/latest.md). Not part of CI:
# it asserts nothing about time, it measures. See docs/performance.md for how to read the report.
#
#   tests/load/run.sh                 the full report (about 45 min on 2 cores): every phase below, in this order
#
# Phases and their options:
#   open-loop tails   --rates 250,500,1000   requests/s, each run at a fixed schedule, latency from the intended start
#                     --rate-duration 10     seconds per run;  --no-functions-setting  drop the Functions-setting target
#                     --sluice-env K=V[;K=V][|K=V…] add targets: this build with those environment settings, one per | (A/B in one run)
#                     --no-fair-use  drop the fair-use pair: this build with limits off and with every limit on (added p50/p99)
#                     --skip-rates
#   saturation (wrk)  --duration 8 --warmup 8  (closed loop at 1 and 32 connections; CPU of every process)  --skip-saturation
#   open streams      --streams 250,1000,4000  --streams-window 60 (seconds each level is held)
#                     --stream-targets direct,yarp,sluice   --skip-streams
#   usage rows        exact count and SIGTERM mid-load    --skip-rows
#   memory per size   8 streams of 1, 10 and 50 MB        --skip-memory
#   every phase       --rounds 3 (rates and saturation)   --out FILE
#   fake upstream     --upstream-ttfb-ms N --upstream-interval-ms N (latency of every answer; 0 = the floor)
#
# Other modes (their own reports):
#   tests/load/run.sh --answer-end [--rounds N]            holding answers' ends until their rows commit (answer-end.md)
#   tests/load/run.sh --compare OTHER_HOST_DLL [--compare-a HOST_DLL] [--connections 32,128] [--non-streaming]
#   tests/load/run.sh --peak-rss [--rounds N] [--rss-builds DLL[,DLL]] [--sluice-env K=V|…] [--rates 1000] [--rate-duration 8]
#                     peak RSS A/B: every variant in a fresh process doing the same fixed work, rotated per round; VmHWM,
#                     what it is made of, GCs, allocation and CPU per request, what the process kept (peak-rss.md)
#   tests/load/run.sh --serve                              start the stack, print URLs and a key, wait (profiling)
#
# Installs wrk from Debian's packages if missing, builds Release, starts Azurite (the repo's pinned npm package, in
# memory, telemetry off), the fake upstream, the YARP hop and Sluice's local host on 127.0.0.1. The gateway processes
# get the harness's probe (tests/load/Sluice.Load.Probe) as a startup hook. The report header records `uptime`'s load
# averages before and after: on a shared machine, judge ratios within a run, and re-run when the load was high.
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
# 4,000 open streams hold about 12,000 sockets across the processes (client, Sluice in and out, upstream).
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
exec dotnet tests/load/Sluice.Load.Runner/bin/Release/net10.0/Sluice.Load.Runner.dll "$@"
