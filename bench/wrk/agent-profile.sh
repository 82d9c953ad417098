#!/bin/bash
# Agent CPU and context switches per transaction under wrk -c16 (optionally perf-recorded), for one agent executable.
# usage: bench/wrk/agent-profile.sh <corrosion executable> <out dir> [wrk seconds=20] [perf record args, e.g. -F 999 -g]
# Fresh database, demo schema, the node's defaults (EXTRA="key = value" adds config lines), a 3 s warm-up, then
# wrk -t2 -c16 with bench/wrk/transactions.lua; agent CPU = its utime+stime over wrk's phase / wrk's requests;
# context switches = the sum of its threads' voluntary + involuntary switches over the same phase / requests.
# With perf args, perf records the agent for (seconds - 5) s from 2 s in (DOTNET_PerfMapEnabled is not needed
# for the native executable: its symbols are in corrosion.dbg beside it). Run it niced on a shared machine.
set -u
exe=$1; out=$2; secs=${3:-20}; shift 3 || true
lua="$(cd "$(dirname "$0")" && pwd)/transactions.lua"
mkdir -p "$out"; rm -rf "$out/db"; mkdir -p "$out/db"
port=$((20000 + RANDOM % 20000)); gport=$((port+1))
cat > "$out/db/a.conf" <<C
db.path = "$out/db/http.db"
api.addr = "127.0.0.1:$port"
gossip.addr = "127.0.0.1:$gport"
gossip.plaintext = true
${EXTRA:-}
C
nice -n 5 "$exe" agent -c "$out/db/a.conf" > "$out/agent.log" 2>&1 &
apid=$!
for i in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$port/v1/health" && break; sleep 0.1; done
switches() { cat /proc/$apid/task/*/status | awk '/ctxt_switches/{s+=$2} END{print s}'; }
nice -n 5 wrk -t2 -c16 -d3s -s "$lua" "http://127.0.0.1:$port" -- warm$RANDOM > /dev/null
t0=$(awk '{print $14+$15}' /proc/$apid/stat); c0=$(switches)
nice -n 5 wrk -t2 -c16 -d${secs}s --latency -s "$lua" "http://127.0.0.1:$port" -- run$RANDOM > "$out/wrk.txt" &
wpid=$!
sleep 2
if [ $# -gt 0 ]; then perf record -o "$out/perf.data" "$@" -p $apid -- sleep $((secs-5)) 2> "$out/perf.err"; fi
wait $wpid
t1=$(awk '{print $14+$15}' /proc/$apid/stat); c1=$(switches)
reqs=$(grep -oE '[0-9]+ requests in' "$out/wrk.txt" | cut -d' ' -f1)
echo "load $(cut -d' ' -f1 /proc/loadavg) $(grep Requests/sec "$out/wrk.txt") agent cpu/tx $(echo "($t1-$t0)*10000/$reqs" | bc -l | cut -c1-6) us cs/tx $(echo "($c1-$c0)/$reqs" | bc -l | cut -c1-5)"
curl -s "http://127.0.0.1:$port/metrics" | grep -E "^corrosion_storage_commit_transactions_(sum|count)"
kill $apid; wait $apid 2>/dev/null
