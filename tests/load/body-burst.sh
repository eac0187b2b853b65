#!/usr/bin/env bash
# Memory under concurrent large request bodies (docs/reliability.md, "Memory"): starts Azurite (in memory), the load
# fake upstream and one Sluice local host, sends N concurrent bodies of about 16 MB, and prints the host's RSS before,
# at the peak and 20 s after the burst, with the answers' status codes. Not a test: it asserts nothing.
#   tests/load/body-burst.sh [HOST_DLL] [MODEL] [N]
#     HOST_DLL  a built Sluice.Host.dll (default: this checkout's Release build)
#     MODEL     load-model (forwarded to the fake upstream, which reports usage) or mock (answered in-process)
#   Set DOTNET_GCHeapHardLimit=0x60000000 to give the host the heap limit a 2,048 MB Flex instance has (75%).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
HOST_DLL=${1:-$ROOT/src/Sluice.Host/bin/Release/net10.0/Sluice.Host.dll}
MODEL=${2:-load-model}
N=${3:-20}
if [ "$HOST_DLL" = "$ROOT/src/Sluice.Host/bin/Release/net10.0/Sluice.Host.dll" ]; then
  dotnet build src/Sluice.Host -c Release -nologo -v q >/dev/null
fi
dotnet build tests/load/Sluice.Load.FakeUpstream -c Release -nologo -v q >/dev/null
[ -d node_modules/azurite ] || npm ci --no-audit --no-fund >/dev/null
WORK=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
TABLE=$(free_port); BLOB=$(free_port); QUEUE=$(free_port); UPSTREAM=$(free_port); SLUICE=$(free_port)
node node_modules/azurite/dist/src/azurite.js --inMemoryPersistence --skipApiVersionCheck --disableTelemetry --loose --silent \
  --blobPort "$BLOB" --queuePort "$QUEUE" --tablePort "$TABLE" >/dev/null 2>&1 & PIDS+=($!)
dotnet tests/load/Sluice.Load.FakeUpstream/bin/Release/net10.0/Sluice.Load.FakeUpstream.dll --urls "http://127.0.0.1:$UPSTREAM" >/dev/null 2>&1 & PIDS+=($!)
# Azurite's published development account key (not a secret).
KEY=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==
export DOTNET_ENVIRONMENT=Production Logging__LogLevel__Default=Warning
export Sluice__Storage__ConnectionString="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=$KEY;BlobEndpoint=http://127.0.0.1:$BLOB/devstoreaccount1;QueueEndpoint=http://127.0.0.1:$QUEUE/devstoreaccount1;TableEndpoint=http://127.0.0.1:$TABLE/devstoreaccount1;"
export Sluice__Storage__TablePrefix=burst Sluice__Operator__Secret=burst-operator-secret Sluice__Host__SchedulerEnabled=false
export Sluice__Payloads__MasterKey=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=
export Sluice__Routing__Routes__1__Model=load-model Sluice__Routing__Routes__1__Provider=openai-compatible Sluice__Routing__Routes__1__Id=load
export Sluice__Routing__Routes__1__BaseUrl="http://127.0.0.1:$UPSTREAM/v1" Sluice__Routing__Routes__1__Region=stamp
export Sluice__Routing__Routes__1__InputPricePerMillion=0.15 Sluice__Routing__Routes__1__OutputPricePerMillion=0.6
export Sluice__Routing__Routes__1__Retention=none Sluice__Routing__Routes__1__Training=no
sleep 3
# The host runs from its own directory, so its appsettings.json (with the mock route) applies.
cd "$(dirname "$HOST_DLL")"
OWNER=$(dotnet "$HOST_DLL" accounts create --name burst | python3 -c 'import json,sys; print(json.load(sys.stdin)["key"]["key"])')
dotnet "$HOST_DLL" --urls "http://127.0.0.1:$SLUICE" >"$WORK/host.log" 2>&1 & HOST=$!; PIDS+=($HOST)
until curl -s -o /dev/null "http://127.0.0.1:$SLUICE/v1/models"; do sleep 0.2; done
rss() { awk '/VmRSS/{print int($2/1024)}' "/proc/$HOST/status"; }
chat() { curl -s -o /dev/null -w '%{http_code}\n' -H "Authorization: Bearer $OWNER" -H 'Content-Type: application/json' --data-binary "$1" "http://127.0.0.1:$SLUICE/v1/chat/completions"; }
# A few small requests first, so the baseline includes the JIT and the connection pools.
for i in 1 2 3; do chat "{\"model\":\"$MODEL\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}" >/dev/null; done
python3 - "$MODEL" > "$WORK/body.json" <<'PY'
import random, sys
random.seed(1)
words = "the of and to a in is it you that he was for on are with as his they be at one have this from or had by word but what some we can out other were all there when up use your how said an each she which do their time if will way about many then them write would like so these her long make thing see him two has look more day could go come did number sound".split()
out, n = [], 0
while n < 16_000_000:
    w = random.choice(words); out.append(w); n += len(w) + 1
sys.stdout.write('{"model":"%s","messages":[{"role":"user","content":"%s"}]}' % (sys.argv[1], " ".join(out)[:16_000_000]))
PY
sleep 2
BASELINE=$(rss)
( while kill -0 "$HOST" 2>/dev/null; do rss >> "$WORK/samples"; sleep 0.1; done ) & SAMPLER=$!; PIDS+=($SAMPLER)
START=$(date +%s.%N)
for i in $(seq 1 "$N"); do chat "@$WORK/body.json" >> "$WORK/status" & done
while [ "$(wc -l < "$WORK/status" 2>/dev/null || echo 0)" -lt "$N" ]; do sleep 0.1; done
END=$(date +%s.%N)
sleep 20
AFTER=$(rss)
PEAK=$(sort -n "$WORK/samples" | tail -1)
echo "host=$HOST_DLL model=$MODEL n=$N: RSS baseline ${BASELINE} MiB, peak ${PEAK} MiB, 20 s after ${AFTER} MiB; burst $(python3 -c "print(round($END-$START,1))") s; answers: $(sort "$WORK/status" | uniq -c | awk '{printf "%s x %s, ", $1, $2}')"
