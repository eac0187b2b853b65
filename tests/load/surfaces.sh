#!/usr/bin/env bash
# Added latency per API surface, end to end: the same conversation sent as Chat Completions, Anthropic Messages and
# OpenAI Responses through Sluice's local host (metering to Azurite) to the load stack's OpenAI-compatible fake
# upstream, so Messages and Responses take the translation (hub) path; against Chat Completions sent to the fake
# upstream directly. wrk, closed loop at one connection (the added-p50 budget of docs/performance.md), JSON answers
# and 24-chunk streams (wrk times a stream to its last byte), targets rotated per round. Not part of CI.
#
#   tests/load/surfaces.sh [--rounds 3] [--duration 8]      writes tests/load/results/surfaces.md
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=3; duration=8
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
if ! command -v wrk >/dev/null; then
  echo "Installing wrk (Debian package)…"
  if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq wrk
fi
dotnet build src/Sluice.Host -c Release -nologo -v q >/dev/null
dotnet build tests/load/Sluice.Load.Runner -c Release -nologo -v q >/dev/null

work=$(mktemp -d); fifo="$work/stdin"; mkfifo "$fifo"
dotnet tests/load/Sluice.Load.Runner/bin/Release/net10.0/Sluice.Load.Runner.dll --serve <"$fifo" >"$work/serve.log" 2>&1 &
serve=$!
exec 3>"$fifo"   # holds the stack's stdin open; closing it (Enter/EOF) stops the stack and its children
trap 'exec 3>&-; wait "$serve" 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 240); do grep -q "Load key:" "$work/serve.log" && break; sleep 0.5; done
direct=$(sed -n 's/.*Stack up: direct \([^,]*\),.*/\1/p' "$work/serve.log")
sluice=$(sed -n 's/.*sluice \(http[^ ]*\) (pid.*/\1/p' "$work/serve.log")
key=$(sed -n 's/.*Load key: \([^ ]*\) (account.*/\1/p' "$work/serve.log")
[ -n "$direct" ] && [ -n "$sluice" ] && [ -n "$key" ] || { cat "$work/serve.log" >&2; exit 1; }

targets=("direct chat" "sluice chat" "sluice messages" "sluice responses")
declare -A p50 p99
run() { # url surface stream -> "p50_us p99_us requests non2xx"
  LOAD_KEY="$key" LOAD_SURFACE="$2" LOAD_STREAM="$3" wrk -t1 -c1 -d"${duration}s" -s tests/load/surface.lua "$1" \
    | sed -n 's/^SURFACE_RESULT p50_us=\([0-9]*\) p99_us=\([0-9]*\) requests=\([0-9]*\) non2xx=\([0-9]*\)$/\1 \2 \3 \4/p'
}
for stream in 0 1; do  # warm-up: every path once, so tier-0 code and first-call costs stay out of the rounds
  for t in "${targets[@]}"; do set -- $t; url=$direct; [ "$1" = sluice ] && url=$sluice
    LOAD_KEY="$key" LOAD_SURFACE="$2" LOAD_STREAM="$stream" wrk -t1 -c1 -d3s -s tests/load/surface.lua "$url" >/dev/null; done
done
for r in $(seq 1 "$rounds"); do
  for stream in 0 1; do
    n=${#targets[@]}
    for i in $(seq 0 $((n - 1))); do
      t=${targets[$(((i + r) % n))]}; set -- $t; url=$direct; [ "$1" = sluice ] && url=$sluice
      read -r a b c d < <(run "$url" "$2" "$stream")
      [ "$d" = 0 ] || { echo "$t stream=$stream: $d non-2xx answers" >&2; exit 1; }
      p50["$t|$stream|$r"]=$a; p99["$t|$stream|$r"]=$b
      echo "round $r stream=$stream $t: p50 ${a} µs, p99 ${b} µs, ${c} requests" >&2
    done
  done
done

median() { sort -n | awk '{v[NR]=$1} END {print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}'; }
out=tests/load/results/surfaces.md
{
  echo "# Added latency per API surface"
  echo
  echo "$(date -u '+%Y-%m-%d %H:%M UTC') · $(nproc) cores · load average $(cut -d' ' -f1-3 /proc/loadavg) at the end · \`tests/load/surfaces.sh --rounds $rounds --duration $duration\`."
  echo "wrk, one connection, ${duration} s per run, targets rotated per round; the route is OpenAI-compatible, so Messages and Responses"
  echo "are translated to and from Chat Completions. Medians over rounds, µs; added = the target's minus direct's in the same round, then the median."
  echo
  echo "| answer | target | p50 | p99 | added p50 | added p50 over Sluice's Chat Completions |"
  echo "|---|---|--:|--:|--:|--:|"
  for stream in 0 1; do
    kind=JSON; [ "$stream" = 1 ] && kind="stream (24 chunks)"
    for t in "${targets[@]}"; do
      m50=$(for r in $(seq 1 "$rounds"); do echo "${p50["$t|$stream|$r"]}"; done | median)
      m99=$(for r in $(seq 1 "$rounds"); do echo "${p99["$t|$stream|$r"]}"; done | median)
      if [ "$t" = "direct chat" ]; then echo "| $kind | $t | $m50 | $m99 | | |"; continue; fi
      add=$(for r in $(seq 1 "$rounds"); do echo $(( ${p50["$t|$stream|$r"]} - ${p50["direct chat|$stream|$r"]} )); done | median)
      over=$(for r in $(seq 1 "$rounds"); do echo $(( ${p50["$t|$stream|$r"]} - ${p50["sluice chat|$stream|$r"]} )); done | median)
      [ "$t" = "sluice chat" ] && over=""
      echo "| $kind | $t | $m50 | $m99 | $add | $over |"
    done
  done
} >"$out"
cat "$out"
