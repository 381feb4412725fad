#!/usr/bin/env bash
# Side-by-side relay benchmark: direct nginx, toaproxy, HAProxy (send-proxy-v2) and nginx stream
# (proxy_protocol on), all in front of the same nginx proxy_protocol backend, peers interleaved
# over several rounds. Writes its section of docs/benchmarks.md (see bench/relay/report.py).
#
#   bench/run.sh                 full run (3 rounds, 10 s per wrk workload, 1 GiB bulk, 10,000 idle)
#   bench/run.sh --quick         development run (1 round, 3 s, 256 MiB, 2,000 idle)
#   options: --rounds N --duration S --peers "toaproxy haproxy" --no-publish --no-doc --label TEXT
#            --baseline DIR: also run the toaproxy published in DIR as peer "toaproxy-base", to measure
#            a change before -> after within one interleaved run
#            --toaproxy-env "NAME=VALUE ...": environment for the toaproxy peer only (runtime knobs)
#            --workloads "idle ...": only these of keepalive latency connections bulk idle (with --no-doc)
#            --idle N: hold N idle connections in workload 5
#
# Everything runs inside a network namespace the script creates (its own loopback, iptables rules
# and sysctls), as root. Each step is bounded in time; processes and the namespace are removed on exit.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
here="$repo/bench/relay"

rounds=3 duration=10 bulk_mib=1024 idle_count=10000 verify_count=3000 warmup=5
peers="direct toaproxy haproxy nginx-stream"
quick=0 publish=1 write_doc=1 label="" inside="" baseline="" toaproxy_env=""
workloads="keepalive latency connections bulk idle"
original_args=("$@")
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 rounds=1 duration=3 bulk_mib=256 idle_count=2000 verify_count=500 warmup=3 ;;
    --rounds) rounds="$2"; shift ;;
    --duration) duration="$2"; shift ;;
    --peers) peers="$2"; shift ;;
    --no-publish) publish=0 ;;
    --no-doc) write_doc=0 ;;
    --label) label="$2"; shift ;;
    --baseline) baseline="$(cd "$2" && pwd)"; shift ;;
    --toaproxy-env) toaproxy_env="$2"; shift ;;
    --workloads) workloads="$2"; shift ;;
    --idle) idle_count="$2"; shift ;;
    --inside) inside="$2"; shift ;;
    -h|--help) sed -n 2,13p "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

declare -A port=([direct]=8001 [toaproxy]=8010 [haproxy]=8011 [nginx-stream]=8012 [toaproxy-base]=8013)
declare -A queue=([direct]=4301 [toaproxy]=4302 [haproxy]=4303 [nginx-stream]=4304 [toaproxy-base]=4305)
if [ -n "$baseline" ] && [[ " $peers " != *" toaproxy-base "* ]]; then
  peers="${peers/toaproxy/toaproxy-base toaproxy}"
fi
backend_port=8002
toaproxy="$repo/artifacts/toaproxy/toaproxy"
log() { printf '%s %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

# ---------------------------------------------------------------- outside the namespace
if [ -z "$inside" ]; then
  [ "$(id -u)" -eq 0 ] || { echo "bench/run.sh needs root (network namespace, NFQUEUE, AF_PACKET)" >&2; exit 1; }
  missing=()
  for p in wrk haproxy nginx libnginx-mod-stream curl iptables iproute2 procps python3; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$p")
    fi
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    # python3 may come from elsewhere (pyenv); only install it when none is on PATH.
    command -v python3 >/dev/null && missing=("${missing[@]/python3/}")
    log "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq --no-install-recommends ${missing[*]} >/dev/null
  fi
  if [ "$publish" -eq 1 ]; then
    log "publishing toaproxy to artifacts/toaproxy"
    dotnet publish "$repo/src/ToaProxy" -c Release -o "$repo/artifacts/toaproxy" --nologo -v q >/dev/null
  fi
  [ -x "$toaproxy" ] || { echo "no $toaproxy; run without --no-publish" >&2; exit 1; }

  stamp="$(date -u +%Y%m%dT%H%M%SZ)"
  work="$repo/artifacts/bench/$stamp"
  mkdir -p "$work"
  ns="toabench-$$"
  ip netns add "$ns"
  trap 'ip netns delete "$ns" 2>/dev/null || true' EXIT
  {
    echo "date=$(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
    echo "cores=$(nproc)"
    echo "memory=$(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)"
    echo "kernel=$(uname -r)"
    echo "os=$(. /etc/os-release; echo "$PRETTY_NAME")"
    echo "dotnet=$(dotnet --list-runtimes | awk '/Microsoft.NETCore.App/ {v=$2} END {print v}')"
    echo "haproxy=$(haproxy -v | awk 'NR==1 {print $3}')"
    echo "nginx=$(nginx -v 2>&1 | sed 's|.*nginx/||')"
    echo "wrk=$(wrk -v 2>&1 | awk 'NR==1 {print $2}')"
    echo "toaproxy=$(git -C "$repo" rev-parse --short HEAD)$(git -C "$repo" diff --quiet HEAD -- src || echo '+local changes')"
    [ -n "$baseline" ] && echo "baseline=$baseline"
    [ -n "$toaproxy_env" ] && echo "toaproxy_env=$toaproxy_env"
    echo "load_start=$(cut -d' ' -f1-3 /proc/loadavg)"
    echo "rounds=$rounds"
    echo "duration=$duration"
    echo "bulk_mib=$bulk_mib"
    echo "idle_count=$idle_count"
    echo "verify_count=$verify_count"
    echo "peers=$peers"
    echo "quick=$quick"
    echo "label=$label"
    # printf with no arguments would still print one quoted empty word.
    echo "command=bench/run.sh${original_args[*]:+ $(printf '%q ' "${original_args[@]}")}"
  } > "$work/environment"
  log "results in $work (namespace $ns)"
  ip netns exec "$ns" bash "${BASH_SOURCE[0]}" --inside "$work" "${original_args[@]}"
  echo "load_end=$(cut -d' ' -f1-3 /proc/loadavg)" >> "$work/environment"
  doc_args=()
  [ "$write_doc" -eq 1 ] && doc_args=(--doc "$repo/docs/benchmarks.md")
  python3 "$here/report.py" --work "$work" "${doc_args[@]}"
  exit 0
fi

# ---------------------------------------------------------------- inside the namespace
work="$inside"
shm="$(mktemp -d /dev/shm/toabench.XXXXXX)"
pids=()
emulator_pids=()

cleanup() {
  set +e
  # Emulators first, with SIGTERM, so they remove their rules; then everything else.
  for pid in "${emulator_pids[@]}" "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  for _ in $(seq 50); do
    alive=0
    for pid in "${emulator_pids[@]}" "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" -eq 0 ] && break
    sleep 0.1
  done
  for pid in "${emulator_pids[@]}" "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null; done
  rm -rf "$shm"
}
trap cleanup EXIT

ip link set lo up
# Only this namespace: a wide port range and fast reuse of loopback TIME_WAIT ports.
sysctl -qw net.ipv4.ip_local_port_range="10000 65000" net.ipv4.tcp_tw_reuse=1 net.core.somaxconn=8192 net.ipv4.tcp_max_syn_backlog=8192
# As many descriptors as allowed (raising the hard limit needs CAP_SYS_RESOURCE, which a container
# may not give). A proxy holds two per connection, so the idle count is capped to fit.
ulimit -n 262144 2>/dev/null || ulimit -n "$(ulimit -Hn)"
fd_limit=$(ulimit -n)
if [ $((idle_count * 2 + 400)) -gt "$fd_limit" ]; then
  idle_count=$(( (fd_limit - 400) / 2 / 100 * 100 ))
  log "open-file limit $fd_limit: holding $idle_count idle connections"
  sed -i "s/^idle_count=.*/idle_count=$idle_count (capped by the open-file limit $fd_limit)/" "$work/environment"
fi

result() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >> "$work/results.tsv"; }

wait_listening() { # port, seconds
  local deadline=$((SECONDS + $2))
  until ss -Hltn "sport = :$1" | grep -q LISTEN; do
    [ $SECONDS -ge $deadline ] && { log "nothing listens on port $1 after $2 s"; return 1; }
    sleep 0.1
  done
}

# Files the backend serves, from tmpfs.
head -c 128 /dev/zero | tr '\0' 'x' > "$shm/small"
head -c $((bulk_mib * 1024 * 1024)) /dev/zero > "$shm/bulk"
chmod 755 "$shm" && chmod 644 "$shm/small" "$shm/bulk" # nginx workers run unprivileged
cpus=$(nproc)

# ---- the backend: one nginx, a plain listener (direct) and a proxy_protocol listener (proxied peers)
mkdir -p "$work/backend" "$work/nginx-stream"
cat > "$work/backend/nginx.conf" <<EOF
worker_processes $cpus;
worker_rlimit_nofile $fd_limit;
pid $work/backend/nginx.pid;
error_log $work/backend/error.log warn;
events { worker_connections $((fd_limit - 100)); }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000000;
    keepalive_timeout 600s;
    client_header_timeout 600s;
    default_type application/octet-stream;
    log_format attribution '\$proxy_protocol_addr \$proxy_protocol_port \$request_uri';
    server {
        listen 127.0.0.1:${port[direct]} backlog=8192;
        location = /small { alias $shm/small; }
        location = /conn  { alias $shm/small; }
        location = /bulk  { alias $shm/bulk; }
    }
    server {
        listen 127.0.0.1:$backend_port proxy_protocol backlog=8192;
        location = /small { alias $shm/small; }
        location = /conn  { alias $shm/small; access_log $work/backend/attribution.log attribution buffer=256k flush=1s; }
        location = /bulk  { alias $shm/bulk; }
    }
}
EOF
nginx -e "$work/backend/error.log" -c "$work/backend/nginx.conf" -g 'daemon off;' &
pids+=($!)

# ---- toaproxy: afpacket capture on lo, trusting the emulated load balancer (loopback here)
# Each config in a directory of its own: toaproxy watches its config's directory for reloads, and
# this run's logs and results are written next to it all the time.
toaproxy_config() { # peer
  mkdir -p "$work/config-$1"
  cat > "$work/config-$1/toaproxy.json" <<EOF
{
  "ToaProxy": {
    "Capture": { "Backend": "afpacket", "Interface": "lo", "TrustedSources": [ "127.0.0.0/8" ] },
    "Listeners": [ {
      "Name": "bench", "Listen": "127.0.0.1:${port[$1]}", "Upstream": "127.0.0.1:$backend_port",
      "WithoutToa": "peer", "MaxConnections": 100000, "IdleTimeout": "10m"
    } ],
    "Admin": { "Listen": "off" }
  },
  "Logging": { "LogLevel": { "Default": "Warning" } }
}
EOF
}

# ---- HAProxy 2.6: its usual production tuning (threads = cores, default tune.bufsize, splice-auto)
cat > "$work/haproxy.cfg" <<EOF
global
    nbthread $cpus
    maxconn $((idle_count + 50))
    maxpipes 64
defaults
    mode tcp
    timeout connect 5s
    timeout client 10m
    timeout server 10m
    option splice-auto
frontend bench
    bind 127.0.0.1:${port[haproxy]} backlog 8192
    default_backend upstream
backend upstream
    server nginx 127.0.0.1:$backend_port send-proxy-v2
EOF

# ---- nginx stream: workers = cores, proxy_protocol on
cat > "$work/nginx-stream/nginx.conf" <<EOF
load_module /usr/lib/nginx/modules/ngx_stream_module.so;
worker_processes $cpus;
worker_rlimit_nofile $fd_limit;
pid $work/nginx-stream/nginx.pid;
error_log $work/nginx-stream/error.log warn;
events { worker_connections $((fd_limit - 100)); }
stream {
    server {
        listen 127.0.0.1:${port[nginx-stream]} backlog=8192;
        proxy_pass 127.0.0.1:$backend_port;
        proxy_protocol on;
        proxy_timeout 10m;
    }
}
EOF

declare -A peer_pid
start_peer() {
  local peer=$1
  case "$peer" in
    direct) return 0 ;;
    toaproxy) toaproxy_config "$peer"; env $toaproxy_env "$toaproxy" run --config "$work/config-$peer/toaproxy.json" >> "$work/$peer.log" 2>&1 & ;;
    toaproxy-base) toaproxy_config "$peer"; "$baseline/toaproxy" run --config "$work/config-$peer/toaproxy.json" >> "$work/$peer.log" 2>&1 & ;;
    haproxy) haproxy -db -f "$work/haproxy.cfg" >> "$work/haproxy.log" 2>&1 & ;;
    nginx-stream) nginx -e "$work/nginx-stream/error.log" -c "$work/nginx-stream/nginx.conf" -g 'daemon off;' & ;;
    *) log "unknown peer $peer"; exit 2 ;;
  esac
  peer_pid[$peer]=$!
  pids+=($!)
}

stop_peer() { # SIGTERM (nginx: fast shutdown), bounded wait, then SIGKILL
  local pid=${peer_pid[$1]:-}
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  unset "peer_pid[$1]"
}

warm_up() {
  timeout $((warmup + 20)) wrk -t"$cpus" -c64 -d"${warmup}s" "http://127.0.0.1:${port[$1]}/small" > /dev/null 2>&1 || true
  timeout $((warmup + 20)) wrk -t"$cpus" -c64 -d"${warmup}s" -H 'Connection: close' "http://127.0.0.1:${port[$1]}/small" > /dev/null 2>&1 || true
}

for peer in $peers; do start_peer "$peer"; done

# The emulated load balancer inserts TOA 254/8 (client derived from the source port) into the SYN of
# every connection to each peer's port, so every peer's connections take the same kernel path.
for peer in $peers; do
  "$toaproxy" emulate --quiet --port "${port[$peer]}" --kind 254 --derive --queue "${queue[$peer]}" > "$work/emulate-$peer.log" 2>&1 &
  emulator_pids+=($!)
done

wait_listening "${port[direct]}" 20
wait_listening "$backend_port" 20
for peer in $peers; do wait_listening "${port[$peer]}" 30; done
for peer in $peers; do
  deadline=$((SECONDS + 30))
  until grep -q "inserting TOA" "$work/emulate-$peer.log"; do
    [ $SECONDS -ge $deadline ] && { log "emulator for $peer did not start"; cat "$work/emulate-$peer.log" >&2; exit 1; }
    sleep 0.1
  done
done
log "peers up: $peers"

# The processes that make up a peer (nginx: the master and its workers).
peer_processes() {
  local root="${peer_pid[$1]:-}"
  [ -n "$root" ] || return 0
  echo "$root"
  awk -v parent="$root" '$4 == parent {print $1}' /proc/[0-9]*/stat 2>/dev/null || true
}

cpu_ticks() { # sum of utime + stime over a peer's processes
  local total=0 pid
  for pid in $(peer_processes "$1"); do
    total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null || echo 0)))
  done
  echo "$total"
}

rss_kib() {
  local total=0 pid
  for pid in $(peer_processes "$1"); do
    total=$((total + $(awk '/^VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)))
  done
  echo "$total"
}

field() { sed -n "s/.*[[:space:]]$1=\([0-9]*\).*/\1/p" <<<"$2"; }

run_wrk() { # peer, round, tag, connections, path, extra wrk args...
  local peer=$1 round=$2 tag=$3 conns=$4 path=$5
  shift 5
  local out="$work/wrk-$tag-$peer-r$round.txt"
  timeout $((duration + 30)) wrk -t"$cpus" -c"$conns" -d"${duration}s" --timeout 5s -s "$here/summary.lua" "$@" \
    "http://127.0.0.1:${port[$peer]}$path" > "$out" 2>&1 || log "wrk $tag $peer exited with $?"
  grep '^RESULT' "$out" || echo "RESULT requests=0 duration_us=1"
}

hz=$(getconf CLK_TCK)
keepalive() { # workload 1 (+ 6: proxy CPU per million requests)
  local peer=$1 round=$2 before after line requests us
  before=$(cpu_ticks "$peer")
  line=$(run_wrk "$peer" "$round" keepalive 64 /small)
  after=$(cpu_ticks "$peer")
  requests=$(field requests "$line"); us=$(field duration_us "$line")
  result "$round" "$peer" rps_keepalive "$(awk -v r="$requests" -v u="$us" 'BEGIN {printf "%.0f", r / (u / 1e6)}')"
  result "$round" "$peer" errors_keepalive "$(( $(field connect_errors "$line") + $(field read_errors "$line") + $(field write_errors "$line") + $(field status_errors "$line") + $(field timeouts "$line") ))"
  if [ "$peer" != direct ] && [ "$requests" -gt 0 ] && [ "$after" -ge "$before" ]; then
    result "$round" "$peer" cpu_s_per_mreq "$(awk -v t=$((after - before)) -v hz="$hz" -v r="$requests" 'BEGIN {printf "%.2f", (t / hz) / (r / 1e6)}')"
  fi
}

latency() { # workload 2
  local peer=$1 round=$2 line
  line=$(run_wrk "$peer" "$round" latency 8 /small --latency)
  result "$round" "$peer" latency_p50_us "$(field p50_us "$line")"
  result "$round" "$peer" latency_p99_us "$(field p99_us "$line")"
  result "$round" "$peer" latency_p999_us "$(field p999_us "$line")"
}

connections() { # workload 3 (+ proxy CPU per thousand connections)
  local peer=$1 round=$2 line requests us before after
  before=$(cpu_ticks "$peer")
  line=$(run_wrk "$peer" "$round" close 64 "/conn?peer=$peer" -H 'Connection: close')
  after=$(cpu_ticks "$peer")
  requests=$(field requests "$line"); us=$(field duration_us "$line")
  if [ "$peer" != direct ] && [ "$requests" -gt 0 ] && [ "$after" -ge "$before" ]; then
    result "$round" "$peer" cpu_ms_per_kconn "$(awk -v t=$((after - before)) -v hz="$hz" -v r="$requests" 'BEGIN {printf "%.1f", (t / hz) * 1e3 / (r / 1e3)}')"
  fi
  result "$round" "$peer" conns_per_s "$(awk -v r="$requests" -v u="$us" 'BEGIN {printf "%.0f", r / (u / 1e6)}')"
  result "$round" "$peer" conn_requests "$requests"
  result "$round" "$peer" errors_close "$(( $(field connect_errors "$line") + $(field read_errors "$line") + $(field write_errors "$line") + $(field status_errors "$line") + $(field timeouts "$line") ))"
}

bulk() { # workload 4
  local peer=$1 round=$2 out size seconds
  out=$(timeout 300 curl -s -o /dev/null -w '%{size_download} %{time_total}' "http://127.0.0.1:${port[$peer]}/bulk" || echo "0 1")
  read -r size seconds <<<"$out"
  if [ "$size" -ne $((bulk_mib * 1024 * 1024)) ]; then
    log "bulk $peer: received $size bytes"
    result "$round" "$peer" bulk_short 1
  fi
  result "$round" "$peer" bulk_gbit_s "$(awk -v s="$size" -v t="$seconds" 'BEGIN {printf "%.2f", s * 8 / t / 1e9}')"
}

idle() { # workload 5
  local peer=$1 round=$2 before after release="$shm/release-$peer-$round" out="$work/idle-$peer-r$round.txt" pid deadline
  [ "$peer" = direct ] && return 0
  # A fresh process each round: allocators keep what an earlier round's connections used, which
  # would hide the cost of new ones. It is warmed up like at the start (code paths compiled).
  stop_peer "$peer"
  start_peer "$peer"
  wait_listening "${port[$peer]}" 30
  warm_up "$peer"
  sleep 1
  before=$(rss_kib "$peer")
  python3 "$here/idle_clients.py" --port "${port[$peer]}" --count "$idle_count" --release-file "$release" > "$out" 2>&1 &
  pid=$!
  deadline=$((SECONDS + 150))
  until grep -qs '^READY' "$out" || ! kill -0 "$pid" 2>/dev/null || [ $SECONDS -ge $deadline ]; do sleep 0.2; done
  sleep 2
  after=$(rss_kib "$peer")
  touch "$release"
  wait "$pid" || true
  read -r _ opened failed < <(grep '^READY' "$out" || echo "READY 0 $idle_count")
  result "$round" "$peer" idle_opened "$opened"
  result "$round" "$peer" idle_rss_mib "$(awk -v a="$after" 'BEGIN {printf "%.1f", a / 1024}')"
  [ "$opened" -gt 0 ] && result "$round" "$peer" idle_bytes_per_conn "$(awk -v a="$after" -v b="$before" -v n="$opened" 'BEGIN {printf "%.0f", (a - b) * 1024 / n}')"
  # Let the closed connections drain before the next peer.
  sleep 2
}

for peer in $peers; do
  log "warm-up $peer (2 x ${warmup} s)"
  warm_up "$peer"
done

for round in $(seq 1 "$rounds"); do
  for workload in $workloads; do
    for peer in $peers; do
      log "round $round/$rounds: $workload $peer"
      "$workload" "$peer" "$round"
    done
  done
done

# Zero misattributions: wrk's requests through toaproxy above, plus connections that name their
# own source port, made while wrk opens new connections through toaproxy at full speed.
if [[ " $peers " == *" toaproxy "* ]]; then
  log "attribution check through toaproxy ($verify_count connections under load)"
  timeout $((duration + 30)) wrk -t"$cpus" -c64 -d"${duration}s" -s "$here/summary.lua" -H 'Connection: close' "http://127.0.0.1:${port[toaproxy]}/conn?peer=toaproxy" > "$work/wrk-attribution-load.txt" 2>&1 &
  load_pid=$!
  python3 "$here/attribution.py" connect --port "${port[toaproxy]}" --count "$verify_count" --sports-file "$work/verify-sports.txt" > "$work/verify.txt" 2>&1 || true
  wait "$load_pid" || true
  sleep 2 # the backend flushes its log buffer every second
  python3 "$here/attribution.py" check --log "$work/backend/attribution.log" --sports-file "$work/verify-sports.txt" --output "$work/attribution.json" > /dev/null
  attribution_load=$(grep -h '^RESULT' "$work/wrk-attribution-load.txt" 2>/dev/null | sed -n 's/.*requests=\([0-9]*\).*/\1/p' || true)
  echo "attribution_load_requests=${attribution_load:-0}" >> "$work/environment"
fi
log "done"
