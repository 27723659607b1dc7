#!/usr/bin/env bash
# bench/moments.sh: saved moments and watch mode under load (issue
# "Baselines"). With bench/connload holding N loopback connections (2N
# sockets), in one run:
#   select      netsql -o tsv 'SELECT * FROM sockets'       (owners included)
#   save        netsql --save FILE --force                   every table, one moment
#   save sockets netsql --save FILE --force --tables sockets
#   diff        netsql --diff A.db B.db -o json              two saved moments
#   watch       netsql --watch 1 --count 20 -q listening     CPU time over wall time
# Medians of R runs (wall ms); the file size; ratios against select.
# Writes the section between <!-- moments:begin --> and <!-- moments:end -->
# of BENCHMARKS.md (or -o FILE), keeping the rest.
#
# usage: bench/moments.sh [-n 50000] [-r 5] [-o BENCHMARKS.md]   (as root)
set -euo pipefail
cd "$(dirname "$0")/.."
n=50000
runs=5
out=BENCHMARKS.md
while getopts "n:r:o:" opt; do
	case $opt in
	n) n=$OPTARG ;;
	r) runs=$OPTARG ;;
	o) out=$OPTARG ;;
	*) echo "usage: $0 [-n N] [-r RUNS] [-o FILE]" >&2; exit 2 ;;
	esac
done
if ((EUID != 0)); then
	echo "bench: run as root (the owner walk reads every process)" >&2
	exit 2
fi
export PATH="/usr/local/go/bin:$PATH"
tmp=$(mktemp -d)
load_pid=""
cleanup() {
	[[ -n $load_pid ]] && { kill "$load_pid" 2>/dev/null || true; wait "$load_pid" 2>/dev/null || true; }
	rm -rf "$tmp"
}
trap cleanup EXIT
go build -o "$tmp/netsql" .
go build -o "$tmp/connload" ./bench/connload
netsql=$tmp/netsql
"$tmp/connload" -n "$n" -duration 30m >"$tmp/load.out" 2>"$tmp/load.err" &
load_pid=$!
for ((i = 0; i < 1200; i++)); do
	grep -q '^ready' "$tmp/load.out" && break
	kill -0 "$load_pid" 2>/dev/null || { cat "$tmp/load.err" >&2; exit 1; }
	sleep 0.1
done
grep -q '^ready' "$tmp/load.out" || { echo "bench: connload did not get ready" >&2; exit 1; }
sockets=$("$netsql" --no-header "SELECT count(*) FROM sockets WHERE proto IN ('tcp', 'tcp6')")

# ms CMD...: wall milliseconds of one run, output to /dev/null.
ms() {
	local start end
	start=$(date +%s%N)
	"$@" >/dev/null 2>&1
	end=$(date +%s%N)
	echo $(((end - start) / 1000000))
}
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

"$netsql" --save "$tmp/a.db" --force --quiet
"$netsql" --save "$tmp/b.db" --force --quiet
for ((r = 1; r <= runs; r++)); do
	ms "$netsql" -o tsv "SELECT * FROM sockets" >>"$tmp/select"
	ms "$netsql" --save "$tmp/s.db" --force --quiet >>"$tmp/save"
	ms "$netsql" --save "$tmp/t.db" --force --quiet --tables sockets >>"$tmp/save_sockets"
	ms "$netsql" --diff "$tmp/a.db" "$tmp/b.db" -o json >>"$tmp/diff"
done
sel=$(median <"$tmp/select")
save=$(median <"$tmp/save")
save_s=$(median <"$tmp/save_sockets")
diff=$(median <"$tmp/diff")
size_all=$(stat -c %s "$tmp/s.db")
size_sockets=$(stat -c %s "$tmp/t.db")
# Watch: CPU seconds (user + sys) of 20 runs a second apart, over the wall time.
watch_runs=20
read -r wall cpu < <(/usr/bin/time -f "%e %U %S" "$netsql" --watch 1 --count "$watch_runs" -q listening -o tsv 2>&1 >/dev/null | tail -1 | awk '{ print $1, $2 + $3 }')
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
mb() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }
cpu_pct=$(awk -v c="$cpu" -v w="$wall" 'BEGIN { printf "%.1f", 100 * c / w }')
{
	echo "<!-- moments:begin (written by bench/moments.sh; bench/run.sh keeps it) -->"
	echo "## Saved moments and watch"
	echo
	echo "bench/moments.sh on $(date -u '+%Y-%m-%d %H:%M UTC'): $sockets TCP sockets held by bench/connload ($n connections), medians of $runs runs."
	echo
	echo "| measure | ms | size MB | against \`SELECT * FROM sockets\` ($sel ms) | target |"
	echo "| --- | --- | --- | --- | --- |"
	echo "| \`--save\` every table | $save | $(mb "$size_all") | $(ratio "$save" "$sel")× | ≤ 1.5×, ≤ 30 MB |"
	echo "| \`--save --tables sockets\` | $save_s | $(mb "$size_sockets") | $(ratio "$save_s" "$sel")× | |"
	echo "| \`--diff A.db B.db -o json\` (two saved moments) | $diff | | | ≤ 1000 ms |"
	echo
	echo "\`--watch 1 --count $watch_runs -q listening\`: $cpu CPU seconds over $wall s, $cpu_pct% of one core (target ≤ 10%)."
	echo "<!-- moments:end -->"
} >"$tmp/section.md"
if [[ -f $out ]] && grep -q '^<!-- moments:begin' "$out"; then
	awk -v sec="$tmp/section.md" '
		/^<!-- moments:begin/ { while ((getline line < sec) > 0) print line; skip = 1; next }
		/^<!-- moments:end/ { skip = 0; next }
		!skip { print }' "$out" >"$tmp/new.md"
elif [[ -f $out ]]; then
	{ cat "$out"; echo; cat "$tmp/section.md"; } >"$tmp/new.md"
else # a new file: the section alone (cat of a missing file stopped the script under set -e)
	cp "$tmp/section.md" "$tmp/new.md"
fi
cp "$tmp/new.md" "$out"
cat "$tmp/section.md"
