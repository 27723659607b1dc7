#!/usr/bin/env bash
# bench/netns.sh: what reading every network namespace costs. On a host
# load of H TCP connections (bench/connload: 2H sockets) in netsql's own
# namespace, it makes K namespaces with C connections each (2C sockets,
# one connload inside each), and times, in alternating rounds:
#   own       netsql 'sockets with owners'                (netsql's namespace only)
#   all       netsql --netns all 'sockets with owners'    (every namespace)
#   listen    netsql --netns all, listeners only           (the state filter, asked of each namespace)
#   ss        ss -tanp in netsql's namespace, for reference
# for each K of the curve, and writes the medians and the ratio all/own to
# BENCHMARKS.md between <!-- netns:begin --> and <!-- netns:end --> (the
# rest of the file is kept; the block is added at the end the first time).
#
# usage: bench/netns.sh [-k "1 10 20 50"] [-H 20000] [-C 500] [-r RUNS] [-o FILE]
# Run as root. Namespaces are named netsqlbench-PID-N and removed at the
# end, with their loads, also on failure.
set -euo pipefail
cd "$(dirname "$0")/.."

curve="1 10 20 50"
host_conns=20000
ns_conns=500
runs=5
out=BENCHMARKS.md
while getopts "k:H:C:r:o:" opt; do
	case $opt in
	k) curve=$OPTARG ;;
	H) host_conns=$OPTARG ;;
	C) ns_conns=$OPTARG ;;
	r) runs=$OPTARG ;;
	o) out=$OPTARG ;;
	*) echo "usage: $0 [-k \"1 10 20 50\"] [-H 20000] [-C 500] [-r RUNS] [-o FILE]" >&2; exit 2 ;;
	esac
done
if ((EUID != 0)); then
	echo "bench: run as root: other namespaces, and the owner columns, need it" >&2
	exit 2
fi
export PATH="/usr/local/go/bin:$PATH"

tmp=$(mktemp -d)
prefix="netsqlbench-$$-"
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	for ns in $(ip netns list | awk '{print $1}' | grep "^$prefix" || true); do ip netns delete "$ns"; done
	rm -rf "$tmp"
}
trap cleanup EXIT

echo "bench: building netsql and connload" >&2
CGO_ENABLED=0 go build -o "$tmp/netsql" .
go build -o "$tmp/connload" ./bench/connload
netsql=$tmp/netsql

# start_load OUT [ip netns exec NS] -- starts connload with n connections and waits for it.
start_load() {
	local n=$1 log=$2
	shift 2
	"$@" "$tmp/connload" -n "$n" -duration 60m >"$log" 2>"$log.err" &
	pids+=($!)
	local waited=0
	until grep -q '^ready' "$log"; do
		if ((waited > 600)) || ! kill -0 "${pids[-1]}" 2>/dev/null; then
			echo "bench: connload did not get ready: $(cat "$log.err")" >&2
			exit 1
		fi
		sleep 0.1
		waited=$((waited + 1))
	done
}

echo "bench: host load, $host_conns connections" >&2
start_load "$host_conns" "$tmp/host.out"

q_owners="SELECT proto, recv_q, send_q, local_addr, local_port, remote_addr, remote_port, state, pid, process, netns FROM sockets WHERE proto IN ('tcp', 'tcp6')"
q_listen="SELECT proto, local_addr, local_port, pid, process, netns FROM sockets WHERE state = 'LISTEN' AND proto IN ('tcp', 'tcp6')"

ms() { # ms CMD...: wall milliseconds of one run, output discarded
	local t0 t1
	t0=$(date +%s%N)
	"$@" >/dev/null 2>&1
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000000))
}
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

made=0
rows=()
for k in $curve; do
	while ((made < k)); do
		made=$((made + 1))
		ns="$prefix$made"
		ip netns add "$ns"
		ip -n "$ns" link set lo up
		start_load "$ns_conns" "$tmp/ns$made.out" ip netns exec "$ns"
	done
	echo "bench: $k namespaces of $((2 * ns_conns)) sockets beside $((2 * host_conns)) in netsql's own" >&2
	"$netsql" --netns all "SELECT 1" >/dev/null # warm the page cache
	: >"$tmp/own" && : >"$tmp/all" && : >"$tmp/listen" && : >"$tmp/ss"
	for ((r = 0; r < runs; r++)); do
		ms "$netsql" -o tsv "$q_owners" >>"$tmp/own"
		ms "$netsql" --netns all -o tsv "$q_owners" >>"$tmp/all"
		ms "$netsql" --netns all -o tsv "$q_listen" >>"$tmp/listen"
		ms ss -tanp >>"$tmp/ss"
	done
	total=$("$netsql" --netns all --no-header "SELECT count(*) FROM sockets WHERE proto IN ('tcp', 'tcp6')")
	nsn=$("$netsql" --netns all --no-header "SELECT count(*) FROM namespaces")
	own=$(median <"$tmp/own")
	all=$(median <"$tmp/all")
	listen=$(median <"$tmp/listen")
	ssm=$(median <"$tmp/ss")
	ratio=$(awk -v a="$all" -v o="$own" 'BEGIN { printf "%.2f", a / o }')
	rows+=("| $k | $nsn | $total | $own | $all | **$ratio** | $listen | $ssm |")
	echo "bench: k=$k own=${own}ms all=${all}ms ratio=$ratio listen=${listen}ms ss=${ssm}ms" >&2
done

cpu=$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)
block=$(
	cat <<EOF
<!-- netns:begin (bench/netns.sh writes this section) -->
## Every network namespace (bench/netns.sh)

$(date -u +%Y-%m-%d), $(nproc) cores ($cpu), Linux $(uname -r), $runs runs per figure, medians in ms.
Load: $host_conns TCP connections ($((2 * host_conns)) sockets) in netsql's own namespace, plus
K namespaces with $ns_conns connections ($((2 * ns_conns)) sockets) each, every one held by a connload
process. *own*: \`netsql 'SELECT ... pid, process ... FROM sockets WHERE proto IN (tcp, tcp6)'\`
(netsql's namespace, as by default); *all*: the same with \`--netns all\`; *listen*: \`--netns all\`,
\`state = 'LISTEN'\` (each namespace asked for listeners only); *ss*: \`ss -tanp\` in netsql's
namespace. *namespaces* counts those found (the machine's others too), *tcp sockets* those --netns
all lists.

| K | namespaces | tcp sockets | own | all | all/own | listen | ss -tanp |
| --- | --- | --- | --- | --- | --- | --- | --- |
$(printf '%s\n' "${rows[@]}")

Every namespace's TCP dump walks the kernel's one socket hash, so K namespaces cost K walks of
the host's sockets: what grows with K beyond the rows themselves. Namespaces are read in parallel
(at most max(2, min(cores, 8)) at once), and the owner walk of /proc runs once for all.
<!-- netns:end -->
EOF
)
if [[ -f $out ]] && grep -q '<!-- netns:begin' "$out"; then
	awk -v block="$block" '
		/<!-- netns:begin/ { print block; skip = 1; next }
		/<!-- netns:end -->/ { skip = 0; next }
		!skip { print }' "$out" >"$tmp/bench.md"
	cp "$tmp/bench.md" "$out"
else
	printf '\n%s\n' "$block" >>"$out"
fi
echo "bench: wrote $out" >&2
