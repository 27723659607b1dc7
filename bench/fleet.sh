#!/usr/bin/env bash
# bench/fleet.sh: the exporter and the columnar export under load (issue
# "Fleets"). In a network namespace of its own (netsqlfleet-PID, lo up),
# with bench/connload holding loopback connections there (2 sockets each),
# at 40,000 sockets and at 100,000:
#   scrape   netsql --serve in the namespace: one scrape of /metrics to warm
#            up, then R scrapes (curl, the default metric queries); the
#            median wall time, and the serving process's peak RSS (VmHWM)
#            after them. Then the same with GOMEMLIMIT=40MiB, for reference.
#            SIGINT must end the exporter with exit 0, and no metric query
#            may fail.
#   export   at 100,000: netsql --export DIR --format parquet --tables sockets,
#            R runs: median wall time, peak RSS, the file's size.
# Sockets of other namespaces do not slow a scrape's socket dump much, but
# the owner walk reads every process of the machine: the block says how
# many socket descriptors it found. Writes the section between
# <!-- fleet:begin --> and <!-- fleet:end --> of BENCHMARKS.md (or -o FILE),
# keeping the rest; bench/run.sh keeps it too.
#
# usage: bench/fleet.sh [-r 5] [-o BENCHMARKS.md]   (as root)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=5
out=BENCHMARKS.md
while getopts "r:o:" opt; do
	case $opt in
	r) runs=$OPTARG ;;
	o) out=$OPTARG ;;
	*) echo "usage: $0 [-r RUNS] [-o FILE]" >&2; exit 2 ;;
	esac
done
if ((EUID != 0)); then
	echo "bench: run as root (namespaces, and the owner walk reads every process)" >&2
	exit 2
fi
for tool in curl ip /usr/bin/time; do
	command -v "$tool" >/dev/null || { echo "bench: $tool is needed" >&2; exit 2; }
done
export PATH="/usr/local/go/bin:$PATH"

tmp=$(mktemp -d)
ns="netsqlfleet-$$"
port=9917
pids=()     # the loads
serve_pid=""
cleanup() {
	[[ -n $serve_pid ]] && { kill "$serve_pid" 2>/dev/null || true; wait "$serve_pid" 2>/dev/null || true; }
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	ip netns delete "$ns" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
# Namespaces a killed run of this script left behind.
for old in $(ip netns list | awk '{ print $1 }' | grep '^netsqlfleet-' || true); do
	kill -0 "${old#netsqlfleet-}" 2>/dev/null || ip netns delete "$old"
done
ip netns add "$ns"
ip -n "$ns" link set lo up
inns() { ip netns exec "$ns" "$@"; }

echo "bench: building netsql (CGO_ENABLED=0, as CI and the README build it) and connload" >&2
CGO_ENABLED=0 go build -o "$tmp/netsql" .
go build -o "$tmp/connload" ./bench/connload
netsql=$tmp/netsql

# load N: connload with N more connections in the namespace, waited for.
load() {
	local log=$tmp/load.${#pids[@]}
	# Not through inns: ip netns exec execs connload, so $! is connload's pid.
	ip netns exec "$ns" "$tmp/connload" -n "$1" -duration 60m >"$log" 2>"$log.err" &
	pids+=($!)
	for ((i = 0; i < 1800; i++)); do
		grep -q '^ready' "$log" && return
		kill -0 "${pids[-1]}" 2>/dev/null || break
		sleep 0.1
	done
	echo "bench: connload did not get ready: $(cat "$log.err")" >&2
	exit 1
}

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; } # kB -> MB
met() { awk -v v="$1" -v t="$2" 'BEGIN { print (v <= t ? "met" : "missed") }'; }

# scrape NAME [VAR=VALUE...]: the exporter in the namespace, one warm-up
# scrape and R measured ones; sets scrape_ms (median) and scrape_kb (VmHWM).
scrape() {
	local name=$1
	shift
	: >"$tmp/serve.err"
	env "$@" ip netns exec "$ns" "$netsql" --serve "127.0.0.1:$port" >/dev/null 2>"$tmp/serve.err" &
	serve_pid=$! # env and ip netns exec exec netsql: this is its pid
	for ((i = 0; i < 300; i++)); do
		grep -q '^netsql: serving' "$tmp/serve.err" && break
		kill -0 "$serve_pid" 2>/dev/null || break
		sleep 0.1
	done
	grep -q '^netsql: serving' "$tmp/serve.err" || { echo "bench: --serve did not start: $(cat "$tmp/serve.err")" >&2; exit 1; }
	: >"$tmp/scrape.$name"
	for ((r = 0; r <= runs; r++)); do
		local s
		s=$(inns curl -sS --fail -o "$tmp/metrics" -w '%{time_total}' "http://127.0.0.1:$port/metrics")
		((r == 0)) || awk -v s="$s" 'BEGIN { printf "%d\n", s * 1000 }' >>"$tmp/scrape.$name"
	done
	if grep '^netsql_query_errors_total' "$tmp/metrics" | grep -vq ' 0$'; then
		echo "bench: a metric query failed:" >&2
		grep '^netsql_query_errors_total' "$tmp/metrics" >&2
		exit 1
	fi
	scrape_kb=$(awk '/^VmHWM:/ { print $2 }' "/proc/$serve_pid/status")
	scrape_ms=$(median <"$tmp/scrape.$name")
	kill -INT "$serve_pid"
	local rc=0
	wait "$serve_pid" || rc=$?
	serve_pid=""
	((rc == 0)) || { echo "bench: --serve exited $rc after SIGINT: $(cat "$tmp/serve.err")" >&2; exit 1; }
}

# context: sockets in the namespace, socket descriptors of the machine.
context() {
	sockets=$(inns "$netsql" --no-header --quiet "SELECT count(*) FROM sockets")
	machine_fds=$("$netsql" --no-header --quiet "SELECT count(*) FROM process_sockets")
}

declare -A ms kb ms_lim kb_lim ctx
for n in 20000 50000; do
	echo "bench: $((2 * n)) sockets" >&2
	load $((n - ${loaded:-0}))
	loaded=$n
	context
	ctx[$n]="$sockets sockets in the namespace, $machine_fds socket descriptors held by processes of the machine"
	scrape "$n"
	ms[$n]=$scrape_ms kb[$n]=$scrape_kb
	scrape "$n.limit" GOMEMLIMIT=40MiB
	ms_lim[$n]=$scrape_ms kb_lim[$n]=$scrape_kb
done

# The export at 100,000 sockets: each run into a directory of its own.
for ((r = 1; r <= runs; r++)); do
	mkdir "$tmp/export.$r"
	# ip netns exec execs netsql: /usr/bin/time's figures are netsql's.
	/usr/bin/time -f "%e %M" -o "$tmp/time.$r" ip netns exec "$ns" "$netsql" --quiet --export "$tmp/export.$r" \
		--format parquet --tables sockets >/dev/null 2>"$tmp/export.err" ||
		{ echo "bench: --export failed: $(cat "$tmp/export.err")" >&2; exit 1; }
	awk '{ printf "%d\n", $1 * 1000 }' "$tmp/time.$r" >>"$tmp/export.ms"
	awk '{ print $2 }' "$tmp/time.$r" >>"$tmp/export.kb"
done
export_ms=$(median <"$tmp/export.ms")
export_kb=$(median <"$tmp/export.kb")
files=$(find "$tmp/export.$runs" -name '*.parquet' | wc -l)
export_bytes=$(find "$tmp/export.$runs" -name '*.parquet' -printf '%s\n' | awk '{ s += $1 } END { print s }')
((files == 1)) || { echo "bench: --export wrote $files files, want 1" >&2; exit 1; }
export_mb=$(awk -v b="$export_bytes" 'BEGIN { printf "%.1f", b / 1048576 }')

{
	echo "<!-- fleet:begin (written by bench/fleet.sh; bench/run.sh keeps it) -->"
	echo "## Exporter and export"
	echo
	echo "bench/fleet.sh on $(date -u '+%Y-%m-%d %H:%M UTC'), in a network namespace of its own holding the load of bench/connload;"
	echo "netsql built with CGO_ENABLED=0. Scrapes: the default metric queries, one warm-up scrape then the median of $runs"
	echo "(curl's wall time), peak RSS the serving process's VmHWM after them. The owner walk reads every process of the"
	echo "machine, so its socket descriptors count, whichever namespace they are in:"
	echo
	echo "- at 40,000: ${ctx[20000]}"
	echo "- at 100,000: ${ctx[50000]}"
	echo
	echo "| sockets | measure | figure | target |"
	echo "| --- | --- | --- | --- |"
	echo "| 40,000 | scrape | ${ms[20000]} ms | ≤ 500 ms ($(met "${ms[20000]}" 500)) |"
	echo "| 40,000 | peak RSS of \`--serve\` | $(mb "${kb[20000]}") MB | ≤ 60 MB ($(met "$(mb "${kb[20000]}")" 60)) |"
	echo "| 100,000 | scrape | ${ms[50000]} ms | |"
	echo "| 100,000 | peak RSS of \`--serve\` | $(mb "${kb[50000]}") MB | |"
	echo "| 100,000 | \`--export DIR --format parquet --tables sockets\` | ${export_ms} ms, peak RSS $(mb "$export_kb") MB | ≤ 2000 ms ($(met "$export_ms" 2000)) |"
	echo "| 100,000 | its Parquet file | $export_mb MB | ≤ 10 MB ($(met "$export_mb" 10)) |"
	echo
	echo "For reference, not the default: with \`GOMEMLIMIT=40MiB\` in the exporter's environment (the Go runtime's soft"
	echo "limit, which also bounds the engine's pause of the collector during a collection) a scrape at 40,000 sockets"
	echo "took ${ms_lim[20000]} ms with a peak RSS of $(mb "${kb_lim[20000]}") MB, at 100,000 ${ms_lim[50000]} ms and $(mb "${kb_lim[50000]}") MB."
	echo "<!-- fleet:end -->"
} >"$tmp/section.md"
if [[ -f $out ]] && grep -q '^<!-- fleet:begin' "$out"; then
	awk -v sec="$tmp/section.md" '
		/^<!-- fleet:begin/ { while ((getline line < sec) > 0) print line; skip = 1; next }
		/^<!-- fleet:end/ { skip = 0; next }
		!skip { print }' "$out" >"$tmp/new.md"
else
	{
		[[ ! -f $out ]] || cat "$out"
		echo
		cat "$tmp/section.md"
	} >"$tmp/new.md"
fi
cp "$tmp/new.md" "$out"
cat "$tmp/section.md"
