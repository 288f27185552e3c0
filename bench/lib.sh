# shellcheck shell=bash
# Shared pieces of the benchmark scripts that start `vigil serve` (syslog_bench.sh,
# overload.sh). Source it from the repository root.

# free_port: prints a free TCP port on 127.0.0.1.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# wait_port PORT: waits up to 10 s until something accepts connections on 127.0.0.1:PORT.
wait_port() { for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; return 1; }

# vigil_rules: the YAML list of detection rules the benchmarks load: ours, plus SigmaHQ's linux,
# web and network rule folders when ../shared/data is there.
vigil_rules() {
  local rules="[$PWD/rules" d
  for d in linux web network; do
    [ -d "../shared/data/sigma/rules/$d" ] && rules="$rules, $PWD/../shared/data/sigma/rules/$d"
  done
  echo "$rules]"
}

# start_vigil_serve VIGIL DATA_DIR LOG: starts `vigil serve --data DATA_DIR --port 0` in the
# background (output to LOG); sets SERVE_PID and API_PORT (the HTTPS port it listens on).
start_vigil_serve() {
  local vigil=$1 dir=$2 log=$3
  "$vigil" serve --data "$dir" --port 0 >"$log" 2>&1 &
  SERVE_PID=$!
  API_PORT=""
  for _ in $(seq 600); do
    API_PORT=$(sed -n 's|^vigil serve: listening on https://127.0.0.1:\([0-9]*\)$|\1|p' "$log")
    [[ -n $API_PORT ]] && return 0
    kill -0 "$SERVE_PID" 2>/dev/null || break
    sleep 0.05
  done
  echo "vigil serve did not start:" >&2
  cat "$log" >&2
  return 1
}
