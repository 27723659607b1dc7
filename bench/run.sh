#!/usr/bin/env bash
# bench/run.sh: netsql against ss, netstat and lsof on the same load, in
# one run. For each N (TCP connections on loopback, held by
# bench/connload: 2N sockets) it times, in rounds so that a disturbance
# hits every command alike:
#   sockets with owners  netsql (tsv to /dev/null)  vs ss -tanp, netstat -tanp
#   all TCP sockets      netsql                     vs ss -tan
#   listeners only       netsql                     vs ss -tln
#   routes               SELECT * FROM routes, against the same at N = 0
#   peer join            netsql, the ON terms in two orders
#   routes self-join     over 100,000 routes in a namespace, two ON orders, vs ip route
#   lsof -nP -iTCP       for reference
# and writes the medians, the ratios netsql/peer and the peak RSS
# (/usr/bin/time -v) to BENCHMARKS.md with a description of the machine.
# A block between <!-- notes:begin --> and <!-- notes:end --> in the old
# BENCHMARKS.md (the profile notes, written by hand) is kept.
#
# usage: bench/run.sh [-n "5000 20000 50000"] [-r RUNS] [-o FILE]
# Run as root (the owner columns read every /proc/PID/fd). Loopback only;
# the load generator is stopped at the end, also on failure.
set -euo pipefail
cd "$(dirname "$0")/.."

sizes="5000 20000 50000"
runs=5
out=BENCHMARKS.md
while getopts "n:r:o:" opt; do
	case $opt in
	n) sizes=$OPTARG ;;
	r) runs=$OPTARG ;;
	o) out=$OPTARG ;;
	*) echo "usage: $0 [-n \"5000 20000 50000\"] [-r RUNS] [-o FILE]" >&2; exit 2 ;;
	esac
done
if ((EUID != 0)); then
	echo "bench: run as root: the owner columns (and ss -p, netstat -p, lsof) read every process's descriptors" >&2
	exit 2
fi

export PATH="/usr/local/go/bin:$PATH"
need=()
[[ -x /usr/bin/time ]] || need+=(time)
command -v lsof >/dev/null || need+=(lsof)
command -v ss >/dev/null || need+=(iproute2)
command -v netstat >/dev/null || need+=(net-tools)
if ((${#need[@]})); then
	echo "bench: installing ${need[*]}" >&2
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

tmp=$(mktemp -d)
load_pid=""
stop_load() {
	if [[ -n $load_pid ]]; then
		kill "$load_pid" 2>/dev/null || true
		wait "$load_pid" 2>/dev/null || true
		load_pid=""
	fi
}
trap 'stop_load; rm -rf "$tmp"' EXIT

echo "bench: building netsql and connload" >&2
CGO_ENABLED=0 go build -o "$tmp/netsql" .
go build -o "$tmp/connload" ./bench/connload
netsql=$tmp/netsql

q_owners="SELECT proto, recv_q, send_q, local_addr, local_port, remote_addr, remote_port, state, pid, process FROM sockets WHERE proto IN ('tcp', 'tcp6')"
q_plain="SELECT proto, recv_q, send_q, local_addr, local_port, remote_addr, remote_port, state FROM sockets WHERE proto IN ('tcp', 'tcp6')"
q_listen="SELECT proto, recv_q, send_q, local_addr, local_port, remote_addr, remote_port, state FROM sockets WHERE state = 'LISTEN' AND proto IN ('tcp', 'tcp6')"
q_routes="SELECT * FROM routes"
# The peer join, its ON terms in two orders: each socket with the one at the
# other end of its connection. Many sockets share an address and a port, so
# a lookup on any one column alone would be quadratic.
q_peer1="SELECT count(*) FROM sockets a JOIN sockets b ON a.remote_addr = b.local_addr AND a.remote_port = b.local_port AND b.remote_port = a.local_port"
q_peer2="SELECT count(*) FROM sockets a JOIN sockets b ON b.remote_port = a.local_port AND a.remote_port = b.local_port AND a.remote_addr = b.local_addr"

# The commands, by name.
declare -A cmd
cmd[netsql_owners]="$netsql -o tsv \"$q_owners\""
cmd[ss_tanp]="ss -tanp"
cmd[netstat_tanp]="netstat -tanp"
cmd[netsql_plain]="$netsql -o tsv \"$q_plain\""
cmd[ss_tan]="ss -tan"
cmd[netsql_listen]="$netsql -o tsv \"$q_listen\""
cmd[ss_tln]="ss -tln"
cmd[netsql_routes]="$netsql -o tsv \"$q_routes\""
cmd[lsof]="timeout 120 lsof -nP -iTCP"
cmd[netsql_peer1]="$netsql -o tsv \"$q_peer1\""
cmd[netsql_peer2]="$netsql -o tsv \"$q_peer2\""
order=(netsql_owners ss_tanp netstat_tanp netsql_plain ss_tan netsql_listen ss_tln netsql_routes netsql_peer1 netsql_peer2 lsof)

routes_ok=1
if ! "$netsql" "SELECT 1 FROM routes LIMIT 1" >/dev/null 2>&1; then
	routes_ok=0
	echo "bench: no routes table in this build: its line is skipped" >&2
fi

# once NAME: run one command, output to /dev/null; print "ms rss_kb".
once() {
	local name=$1 t0 t1
	t0=$EPOCHREALTIME
	eval "/usr/bin/time -v -o $tmp/time.out ${cmd[$name]}" >/dev/null 2>"$tmp/stderr" || true
	t1=$EPOCHREALTIME
	local rss
	rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$tmp/time.out")
	awk -v a="$t0" -v b="$t1" -v r="${rss:-0}" 'BEGIN { printf "%.1f %d\n", (b - a) * 1000, r }'
}

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# measure N: every command, $runs rounds (lsof: at most 3); results in $tmp/res.N.NAME
measure() {
	local n=$1 round name
	for ((round = 1; round <= runs; round++)); do
		for name in "${order[@]}"; do
			[[ $name == netsql_routes && $routes_ok == 0 ]] && continue
			[[ $name == lsof && $round -gt 3 ]] && continue
			once "$name" >>"$tmp/res.$n.$name"
		done
		echo "bench: N=$n round $round/$runs done" >&2
	done
}

start_load() {
	local n=$1
	"$tmp/connload" -n "$n" -duration 30m >"$tmp/load.out" 2>"$tmp/load.err" &
	load_pid=$!
	local waited=0
	until grep -q '^ready' "$tmp/load.out"; do
		if ! kill -0 "$load_pid" 2>/dev/null || ((waited > 1200)); then
			echo "bench: connload did not get ready:" >&2
			cat "$tmp/load.err" >&2
			exit 1
		fi
		sleep 0.1
		((waited++)) || true
	done
}

machine() {
	echo "| | |"
	echo "| --- | --- |"
	echo "| kernel | $(uname -sr) |"
	echo "| CPU | $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), $(nproc) cores |"
	echo "| memory | $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo) |"
	echo "| open files (hard limit) | $(ulimit -Hn) |"
	echo "| Go | $(go version | awk '{print $3}') |"
	echo "| ss | $(ss -V 2>&1 | head -1) |"
	echo "| netstat | $(netstat -V 2>&1 | head -1) |"
	echo "| lsof | $(lsof -v 2>&1 | awk '/revision/ {print $NF; exit}') |"
	echo "| date | $(date -u '+%Y-%m-%d %H:%M UTC') |"
}

declare -A load_before load_after count_netsql count_ss
for n in 0 $sizes; do
	if ((n > 0)); then
		echo "bench: starting $n connections" >&2
		start_load "$n"
	fi
	count_netsql[$n]=$("$netsql" --no-header "SELECT count(*) FROM sockets WHERE proto IN ('tcp', 'tcp6')" 2>/dev/null)
	count_ss[$n]=$(ss -Htan | wc -l)
	load_before[$n]=$(cut -d' ' -f1-3 /proc/loadavg)
	measure "$n"
	load_after[$n]=$(cut -d' ' -f1-3 /proc/loadavg)
	stop_load
done
# TIME_WAIT sockets of connload's addresses (127.0.0.10 and up): should be none.
timewait=$(ss -Htan state time-wait | awk '{ for (i = 3; i <= 4; i++) { split($i, a, ":"); split(a[1], o, "."); if (a[1] ~ /^127\.0\.0\./ && o[4] >= 10) { n++; break } } } END { print n + 0 }')

# A routes self-join over 100,000 blackhole routes in a namespace of its
# own (no device, no traffic), its ON terms in two orders, against
# `ip route show table all` in the same namespace.
routes_n=100000
routes_ns="netsql-bench-routes-$$"
ip netns del "$routes_ns" 2>/dev/null || true
ip netns add "$routes_ns"
trap 'stop_load; ip netns del "$routes_ns" 2>/dev/null || true; rm -rf "$tmp"' EXIT
awk -v n="$routes_n" 'BEGIN { for (i = 0; i < n; i++) printf "route add blackhole 10.%d.%d.0/24 metric %d\n", int(i / 256) % 256, i % 256, 1 + int(i / 65536) }' >"$tmp/routes.batch"
ip -n "$routes_ns" -batch "$tmp/routes.batch"
q_rself1="SELECT count(*) FROM routes a JOIN routes b ON a.destination = b.destination AND a.metric = b.metric AND a.table_id = b.table_id"
q_rself2="SELECT count(*) FROM routes a JOIN routes b ON a.table_id = b.table_id AND a.metric = b.metric AND a.destination = b.destination"
cmd[routes_self1]="ip netns exec $routes_ns $netsql -o tsv \"$q_rself1\""
cmd[routes_self2]="ip netns exec $routes_ns $netsql -o tsv \"$q_rself2\""
cmd[ip_routes]="ip -n $routes_ns route show table all"
routes_count=$(ip netns exec "$routes_ns" "$netsql" --no-header "$q_rself1")
for ((round = 1; round <= runs; round++)); do
	for name in routes_self1 routes_self2 ip_routes; do
		once "$name" >>"$tmp/res.routes.$name"
	done
done
ip netns del "$routes_ns"

# stat N NAME: "median_ms median_rss_mb"
stat() {
	local f=$tmp/res.$1.$2
	[[ -s $f ]] || { echo "- -"; return; }
	local ms rss
	ms=$(cut -d' ' -f1 "$f" | median)
	rss=$(cut -d' ' -f2 "$f" | median)
	awk -v m="$ms" -v r="$rss" 'BEGIN { printf "%.0f %.1f\n", m, r / 1024 }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }

{
	echo "# Benchmarks"
	echo
	echo "Written by \`bench/run.sh\` (see the README). Each command ran $runs times (lsof 3) in rounds, on the"
	echo "load of \`bench/connload\` (N loopback TCP connections: 2N sockets, spread over processes of at"
	echo "most 5,000 connections), output to /dev/null; times are medians of the wall time in ms, RSS the"
	echo "median peak resident set in MB (\`/usr/bin/time -v\`). Ratios are netsql/peer from the same run."
	echo
	echo "## Machine"
	echo
	machine
	echo
	echo "## Results"
	echo
	echo "| N (sockets) | measure | netsql ms | peer | peer ms | netsql/peer | netsql RSS MB | peer RSS MB |"
	echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
	for n in 0 $sizes; do
		label="$n ($((2 * n)))"
		row() { # measure netsql-name peer-label peer-name
			read -r a ar < <(stat "$n" "$2")
			read -r b br < <(stat "$n" "$4")
			echo "| $label | $1 | $a | \`$3\` | $b | $(ratio "$a" "$b") | $ar | $br |"
		}
		row "sockets with owners" netsql_owners "ss -tanp" ss_tanp
		row "sockets with owners" netsql_owners "netstat -tanp" netstat_tanp
		row "all TCP sockets" netsql_plain "ss -tan" ss_tan
		row "listeners only" netsql_listen "ss -tln" ss_tln
		if ((routes_ok)); then
			read -r a ar < <(stat "$n" netsql_routes)
			read -r b br < <(stat 0 netsql_routes)
			echo "| $label | \`SELECT * FROM routes\` | $a | same at N=0 | $b | $(ratio "$a" "$b") | $ar | $br |"
		fi
		row "peer join, ON in one order" netsql_peer1 "ss -tan" ss_tan
		row "peer join, ON in another order" netsql_peer2 "ss -tan" ss_tan
		read -r b br < <(stat "$n" lsof)
		echo "| $label | reference | | \`lsof -nP -iTCP\` | $b | | | $br |"
	done
	echo
	echo "The peer join is \`$q_peer1\`, and the same with its ON terms in the order"
	echo "\`b.remote_port = a.local_port AND a.remote_port = b.local_port AND a.remote_addr = b.local_addr\`;"
	echo "\`ss -tan\` lists the same sockets, for scale."
	echo
	echo "Routes self-join over $routes_n blackhole routes in a namespace of its own ($routes_count rows joined):"
	echo
	echo "| measure | netsql ms | peer | peer ms | netsql/peer | netsql RSS MB |"
	echo "| --- | --- | --- | --- | --- | --- |"
	read -r b br < <(stat routes ip_routes)
	read -r a ar < <(stat routes routes_self1)
	echo "| ON destination, metric, table_id | $a | \`ip route show table all\` | $b | $(ratio "$a" "$b") | $ar |"
	read -r a ar < <(stat routes routes_self2)
	echo "| ON table_id, metric, destination | $a | \`ip route show table all\` | $b | $(ratio "$a" "$b") | $ar |"
	echo
	if ((!routes_ok)); then
		echo "The routes table did not exist in this build: its line was skipped."
		echo
	fi
	echo "## Targets"
	echo
	echo "| measure | target | measured |"
	echo "| --- | --- | --- |"
	big=${sizes##* }
	small=${sizes%% *}
	target() { # label target-ratio measured-ratio
		local verdict
		verdict=$(awk -v m="$3" -v t="$2" 'BEGIN { if (m == "-") print "-"; else if (m + 0 <= t + 0) print "met"; else print "missed" }')
		echo "| $1 | ≤ $2× | $3× ($verdict) |"
	}
	read -r a _ < <(stat "$big" netsql_owners)
	read -r b _ < <(stat "$big" ss_tanp)
	target "sockets with owners at $((2 * big)) sockets, vs \`ss -tanp\`" 0.10 "$(ratio "$a" "$b")"
	read -r a _ < <(stat "$small" netsql_owners)
	read -r b _ < <(stat "$small" ss_tanp)
	target "sockets with owners at $((2 * small)) sockets, vs \`ss -tanp\`" 1.0 "$(ratio "$a" "$b")"
	read -r a _ < <(stat "$big" netsql_plain)
	read -r b _ < <(stat "$big" ss_tan)
	target "all TCP sockets at $((2 * big)), vs \`ss -tan\`" 1.0 "$(ratio "$a" "$b")"
	read -r a _ < <(stat "$big" netsql_listen)
	read -r b _ < <(stat "$big" ss_tln)
	target "listeners only at $((2 * big)), vs \`ss -tln\`" 1.0 "$(ratio "$a" "$b")"
	mid=$(echo $sizes | awk '{ print (NF >= 2 ? $(NF - 1) : $NF) }')
	read -r a _ < <(stat "$mid" netsql_owners)
	read -r b _ < <(stat "$mid" ss_tanp)
	target "sockets with owners at $((2 * mid)) sockets, vs \`ss -tanp\`" 0.35 "$(ratio "$a" "$b")"
	read -r a _ < <(stat "$mid" netsql_plain)
	read -r b _ < <(stat "$mid" ss_tan)
	target "all TCP sockets at $((2 * mid)), vs \`ss -tan\`" 1.0 "$(ratio "$a" "$b")"
	read -r a _ < <(stat "$mid" netsql_peer1)
	read -r b _ < <(stat "$mid" netsql_peer2)
	target "peer join at $((2 * mid)): one ON order against the other" 1.2 "$(ratio "$b" "$a")"
	echo "| peer join at $((2 * mid)) sockets, either ON order | < 2000 ms | $(stat "$mid" netsql_peer1 | cut -d' ' -f1) and $(stat "$mid" netsql_peer2 | cut -d' ' -f1) ms |"
	if ((routes_ok)); then
		read -r a _ < <(stat "$big" netsql_routes)
		read -r b _ < <(stat 0 netsql_routes)
		target "\`SELECT * FROM routes\` at $((2 * big)) sockets vs at 0" 1.5 "$(ratio "$a" "$b")"
	fi
	read -r _ ar < <(stat "$big" netsql_owners)
	echo "| peak RSS, sockets with owners at $((2 * big)) | ≤ 150 MB | $ar MB ($(awk -v r="$ar" 'BEGIN { print (r <= 150 ? "met" : "missed") }')) |"
	echo
	echo "## Load and checks"
	echo
	echo "| N | tcp sockets (netsql) | tcp sockets (ss) | load average before | after |"
	echo "| --- | --- | --- | --- | --- |"
	for n in 0 $sizes; do
		echo "| $n | ${count_netsql[$n]} | ${count_ss[$n]} | ${load_before[$n]} | ${load_after[$n]} |"
	done
	echo
	echo "TIME_WAIT sockets of the load's addresses left after it stopped: $timewait (connload closes with SO_LINGER 0)."
	# The hand-written notes (where the time goes) and the sections other
	# scripts write (bench/moments.sh, ...) survive a rerun.
	if [[ -f $out ]]; then
		for block in notes moments netns fleet; do
			if grep -q "^<!-- $block:begin" "$out"; then
				echo
				sed -n "/^<!-- $block:begin/,/^<!-- $block:end/p" "$out"
			fi
		done
	fi
} >"$tmp/report.md"
cp "$tmp/report.md" "$out"
echo "bench: wrote $out" >&2
cat "$out"
