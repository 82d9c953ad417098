#!/usr/bin/env bash
# Regenerates src/Corrosion.Cli/Native.order, the methods a member of a 10-member cluster runs, which the native
# publish lays out first (IlcOrderFile). Two runs of `Corrosion.Bench idle-rss 30 --members 10 --settle 60` sampled
# with perf, call stacks included: the members while idle (from 7 s after their start, 75 s), then the whole run from
# its start (start-up, the join, idle). Every managed method seen on a sampled stack is named from the executable's
# symbols (corrosion.dbg beside it: StripSymbols): the idle run's hottest first, then the rest of the second run's.
#   bench/native-order.sh /abs/path/to/native/corrosion [bench dll] > src/Corrosion.Cli/Native.order
# Needs perf (root, or perf_event_paranoid <= 1), python3, nm, readelf. bench/RESULTS.md, "RSS per member, session 10".
set -euo pipefail
exe=${1:?usage: bench/native-order.sh /abs/path/to/corrosion [Corrosion.Bench.dll]}
bench=${2:-bench/Corrosion.Bench/bin/Release/net10.0/Corrosion.Bench.dll}
dbg="$exe.dbg"
[ -f "$dbg" ] || dbg="$exe"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
run=(nice dotnet "$bench" idle-rss 30 --members 10 --settle 60 --cli "$exe")

# 1. idle members
"${run[@]}" > "$work/bench1.txt" 2>&1 &
bench_pid=$!
sleep 7
pids=$(pgrep -f "^$exe agent" | paste -sd,)
[ -n "$pids" ] || { echo "no members of $exe running" >&2; exit 1; }
perf record -q -F 20000 -g -p "$pids" -o "$work/idle.data" -- sleep 75 2> "$work/perf1.err" || true
wait "$bench_pid" || true
# 2. the whole run from its start (perf follows the bench's child processes)
perf record -q -F 25000 -g -o "$work/all.data" -- "${run[@]}" > "$work/bench2.txt" 2> "$work/perf2.err" || true

# The executable is position-dependent: perf prints file offsets; the code's address is offset + the image base.
base=$(readelf -lW "$exe" | awk '$1 == "LOAD" && $2 == "0x000000" { print $3; exit }')
for data in idle all; do
  perf script -i "$work/$data.data" -F ip,dso 2> /dev/null > "$work/$data.txt"
done
python3 - "$exe" "$dbg" "$base" "$work/idle.txt" "$work/all.txt" <<'PY'
import bisect, collections, subprocess, sys
exe, dbg, base = sys.argv[1], sys.argv[2], int(sys.argv[3], 16)
syms = []
for line in subprocess.run(["nm", "--defined-only", "-n", dbg], capture_output=True, text=True, check=True).stdout.splitlines():
    parts = line.split(" ", 2)
    if len(parts) == 3 and parts[1] in "tT":
        syms.append((int(parts[0], 16), parts[2]))
addrs = [a for a, _ in syms]
printed = set()
for path in sys.argv[4:]:
    seen = collections.Counter()
    for line in open(path):
        fields = line.split()
        if len(fields) != 2 or fields[1] != "(" + exe + ")":
            continue
        i = bisect.bisect_right(addrs, int(fields[0], 16) + base) - 1
        if i >= 0:
            seen[syms[i][1]] += 1
    # Runtime (C++) symbols are left out: only managed methods are ordered (the compiler skips unknown names anyway).
    for name, _ in seen.most_common():
        if name not in printed and not name.startswith(("_Z", "Rhp", "RhP", "__")) and name != "ThreadEntryPoint":
            printed.add(name)
            print(name)
PY
