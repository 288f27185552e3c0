#!/usr/bin/env bash
# Syslog receive benchmark on loopback: rsyslog, syslog-ng (both Debian packages, started here
# with their own configuration, TCP input, file output) and Vigil, fed the same message set by
# the same sender (bench/syslog_send.cpp, N messages over C connections). Each receiver's rate
# is N divided by the time from the sender's start to the last message written (rsyslog,
# syslog-ng: lines in the output file) or received (Vigil).
#
#   bash bench/syslog_bench.sh [build-dir] [messages] [connections]   (default: build/release 1000000 4)
#   RECEIVERS="serve" bash bench/syslog_bench.sh ...   only some receivers (rsyslog syslog-ng listener serve)
#   KEEP=1: keep the scratch directory (vigil's data directory included)
#   PERF=FILE: record `perf record` of vigil serve during its run into FILE (PERF_OPTS, default -g;
#   "--call-graph dwarf,16384 -F 499" gives call stacks through libraries without frame pointers)
#   WORKERS=N: ingest.workers (default: the number of cores)
#   VIGIL=PATH: another vigil binary for serve (an A/B run against a saved build)
#   KIND=K: every receiver gets only kind K (0 sshd, 1 sudo, 2 kernel firewall, 3 web access,
#   4 RFC 5424 application, 5 auditd: the mix's kinds; 6 CEF, 7 LEEF, 8 FortiGate key=value,
#   9 Suricata EVE alert, 10 Winlogbeat JSON): one source's stream of one shape
set -euo pipefail
export LC_NUMERIC=C  # `time` and awk write and read "1.23", whatever the user's locale
cd "$(dirname "$0")/.."
# shellcheck source=lib.sh
source bench/lib.sh
BUILD=${1:-build/release}
N=${2:-1000000}
CONNS=${3:-4}
RECEIVERS=${RECEIVERS:-rsyslog syslog-ng listener serve}
want() { [[ " $RECEIVERS " == *" $1 "* ]]; }
SUDO=$([ "$(id -u)" -eq 0 ] || echo sudo)
TMP=$(mktemp -d)
# rsyslog and syslog-ng conflict as Debian packages (both are the system logger), so each is
# unpacked from its .deb into the scratch directory (its libraries installed with apt) unless
# it is already installed; neither replaces the machine's logger.
RSYSLOGD=$(command -v rsyslogd || true)
RSYSLOG_MODS=/usr/lib/x86_64-linux-gnu/rsyslog
SYSLOGNG=$(command -v syslog-ng || true)
SYSLOGNG_MODS=/usr/lib/syslog-ng/3.38
unpack() {  # unpack PKG: its files under $TMP/root, its library dependencies installed
  local pkg=$1 libs
  libs=$(apt-cache depends --important "$pkg" | sed -n 's/^ *Depends: \(lib[^ <>]*\)$/\1/p' | sort -u)
  # shellcheck disable=SC2086
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $libs >/dev/null
  (cd "$TMP" && apt-get download -qq "$pkg" >/dev/null && dpkg -x "$TMP"/"$pkg"_*.deb "$TMP/root")
}
if [[ -z $RSYSLOGD ]] && want rsyslog; then
  echo "syslog_bench: unpacking rsyslog (Debian package)" >&2
  unpack rsyslog
  RSYSLOGD=$TMP/root/usr/sbin/rsyslogd
  RSYSLOG_MODS=$TMP/root/usr/lib/x86_64-linux-gnu/rsyslog
fi
if [[ -z $SYSLOGNG ]] && want syslog-ng; then
  echo "syslog_bench: unpacking syslog-ng-core (Debian package)" >&2
  unpack syslog-ng-core
  SYSLOGNG=$TMP/root/usr/sbin/syslog-ng
  SYSLOGNG_MODS=$TMP/root/usr/lib/syslog-ng/3.38
  # Its own library is in the package too; the binary's RUNPATH names the installed place.
  SYSLOGNG_LIBS=$TMP/root/usr/lib/syslog-ng
fi
cmake --build "$BUILD" --target vigil_syslog_send vigil_ingest_receive vigil >/dev/null
SEND=$BUILD/bench/vigil_syslog_send
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  if [[ -n ${KEEP:-} ]]; then echo "kept $TMP" >&2; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
# CPU time (user + system, all threads) of a process so far, in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# run_sender PORT: the sender, its CPU seconds (user + system) in SENDER_CPU.
run_sender() {
  local t
  # Only `time`'s line is captured: the sender's own errors go to the terminal (fd 3).
  t=$( { TIMEFORMAT='%U %S'; time "$SEND" "$1" "$N" "$CONNS" ${KIND:+--kind "$KIND"} >/dev/null 2>&3; } 2>&1 )
  SENDER_CPU=$(awk '{print $1 + $2}' <<<"$t")
}
exec 3>&2
# "NAME CPU X s: Y us per message": a receiver's CPU over the run (the machine's cores are
# shared with the sender, whose CPU is printed beside it).
print_cpu() {  # print_cpu NAME TICKS
  python3 -c "import sys,os; n,t,snd=int(sys.argv[1]),int(sys.argv[2]),float(sys.argv[4]); hz=os.sysconf('SC_CLK_TCK'); print(f'{sys.argv[3]} CPU {t/hz:.2f} s: {t/hz/n*1e6:.1f} us per message (all its threads; {os.cpu_count()} cores; the sender {snd/n*1e6:.1f} us)')" "$N" "$2" "$1" "$SENDER_CPU"
}
# "NAME  R messages/s  (S s, WHAT)": N over the seconds from START to END.
print_rate() {  # print_rate NAME START END WHAT
  python3 -c "import sys; n,s,e=int(sys.argv[1]),float(sys.argv[2]),float(sys.argv[3]); print(f'{sys.argv[4]:10s} {n/(e-s):>10,.0f} messages/s  ({e-s:.2f} s, {sys.argv[5]})')" "$N" "$2" "$3" "$1" "$4"
}
# Rate = N / (time from the sender's start until the output file holds N lines).
run_file_receiver() {
  local name=$1 port=$2 out=$3 pid=$4
  wait_port "$port" || { echo "$name did not start:" >&2; cat "$TMP/$name.log" >&2; return 1; }
  local start end cpu0
  cpu0=$(cpu_ticks "$pid")
  start=$(date +%s.%N)
  run_sender "$port"
  while [ "$(wc -l <"$out" 2>/dev/null || echo 0)" -lt "$N" ]; do sleep 0.05; done
  end=$(date +%s.%N)
  print_rate "$name" "$start" "$end" "TCP in, file out"
  print_cpu "$name" "$(($(cpu_ticks "$pid") - cpu0))"
}

echo "messages: $N over $CONNS TCP connections, $(nproc) cores${KIND:+, only kind $KIND}"

# rsyslog: imtcp -> omfile, no fsync, its default batching.
if want rsyslog; then
P=$(free_port)
cat >"$TMP/rsyslog.conf" <<CONF
global(workDirectory="$TMP")
module(load="imtcp" MaxSessions="100")
input(type="imtcp" port="$P" address="127.0.0.1")
template(name="raw" type="string" string="%rawmsg%\n")
action(type="omfile" file="$TMP/rsyslog.out" template="raw" asyncWriting="on" flushOnTXEnd="off" ioBufferSize="256k")
CONF
"$RSYSLOGD" -n -M "$RSYSLOG_MODS" -f "$TMP/rsyslog.conf" -i "$TMP/rsyslog.pid" >"$TMP/rsyslog.log" 2>&1 &
PIDS+=($!)
run_file_receiver rsyslog "$P" "$TMP/rsyslog.out" "${PIDS[-1]}"
kill "${PIDS[-1]}"; wait "${PIDS[-1]}" 2>/dev/null || true
fi

# syslog-ng: network(transport(tcp)) -> file, raw message.
if want syslog-ng; then
P=$(free_port)
cat >"$TMP/syslog-ng.conf" <<CONF
@version: 3.38
options { flush_lines(1000); log_fifo_size(100000); keep_hostname(yes); };
source s_net { network(ip(127.0.0.1) port($P) transport(tcp) max_connections(100) log_iw_size(100000) flags(no-parse)); };
destination d_file { file("$TMP/syslog-ng.out" template("\${MESSAGE}\n")); };
log { source(s_net); destination(d_file); };
CONF
LD_LIBRARY_PATH=${SYSLOGNG_LIBS:+$SYSLOGNG_LIBS:}${LD_LIBRARY_PATH:-} "$SYSLOGNG" -F --module-path "$SYSLOGNG_MODS" -f "$TMP/syslog-ng.conf" -R "$TMP/sng.persist" \
    -p "$TMP/sng.pid" -c "$TMP/sng.ctl" --no-caps >"$TMP/syslog-ng.log" 2>&1 &
PIDS+=($!)
run_file_receiver syslog-ng "$P" "$TMP/syslog-ng.out" "${PIDS[-1]}"
kill "${PIDS[-1]}"; wait "${PIDS[-1]}" 2>/dev/null || true
fi

# Vigil: the listener and framing alone (decoding, detection and storage come with the
# ingestion pipeline in vigil serve).
if want listener; then
"$BUILD/bench/vigil_ingest_receive" "$N" 1 >"$TMP/vigil.out" &
PIDS+=($!)
for _ in $(seq 100); do grep -q listening "$TMP/vigil.out" && break; sleep 0.05; done
P=$(sed -n 's/^listening on //p' "$TMP/vigil.out")
start=$(date +%s.%N)
"$SEND" "$P" "$N" "$CONNS" ${KIND:+--kind "$KIND"} >/dev/null
wait "${PIDS[-1]}"
end=$(date +%s.%N)
print_rate vigil "$start" "$end" "TCP in, framed, counted; no decode/detect/store"
fi
want serve || exit 0

# Vigil end to end: vigil serve with a syslog TCP source, every message decoded, matched against
# the detection rules (ours, plus SigmaHQ's linux, web and network rules when ../shared/data is
# there) and stored with its detections. Rate = N / (sender start -> N events stored).
VIGIL=${VIGIL:-$BUILD/src/cli/vigil}
"$VIGIL" init "$TMP/vigil-data" >/dev/null
P=$(free_port)
cat >>"$TMP/vigil-data/vigil.yml" <<CONF

ingest:
  rules: $(vigil_rules)
  workers: ${WORKERS:-$(nproc)}
  sources:
    - {name: bench, type: syslog-tcp, port: $P}
CONF
start_vigil_serve "$VIGIL" "$TMP/vigil-data" "$TMP/serve.out"
SERVE=$SERVE_PID
PIDS+=("$SERVE")
wait_port "$P" || { cat "$TMP/serve.out" >&2; exit 1; }
if [[ -n ${PERF:-} ]]; then perf record ${PERF_OPTS:--g} -o "$PERF" -p "$SERVE" 2>/dev/null & PIDS+=($!); sleep 0.5; fi
CPU0=$(cpu_ticks "$SERVE")
start=$(date +%s.%N)
run_sender "$P"
# The stored count from the status snapshot vigil serve writes every second (cheap to read,
# unlike a query of the store that would compete with the run for the CPU).
STATUS=$TMP/vigil-data/run/ingest-status.json
stored() { local v; v=$(grep -o '"stored_total":[0-9]*' "$STATUS" 2>/dev/null | cut -d: -f2); echo "${v:-0}"; }
while [ "$(stored)" -lt "$N" ]; do sleep 0.1; done
end=$(date +%s.%N)
CPU1=$(cpu_ticks "$SERVE")
if [[ -n ${PERF:-} ]]; then kill -INT "${PIDS[-1]}"; wait "${PIDS[-1]}" 2>/dev/null || true; fi
print_rate "vigil serve" "$start" "$end" "TCP in, decoded, all rules, stored"
print_cpu "vigil serve" "$((CPU1 - CPU0))"
"$VIGIL" events stats --data "$TMP/vigil-data" | tail -1
