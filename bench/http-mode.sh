#!/usr/bin/env bash
# HTTP mode vs TCP (PROXY v2) mode vs direct, requests/s and p99 with wrk, against one nginx.
#
#   bench/http-mode.sh [duration=10s] [connections=50] [threads=2]
#
# nginx (1 worker, access log off) answers a 17-byte body on two ports: plain HTTP (direct and HTTP
# mode's upstream) and proxy_protocol (TCP mode's upstream). toaproxy (published to
# artifacts/toaproxy, capture backend none so only the relay/HTTP path is measured) has one
# listener of each kind. Each target is measured with keep-alive connections, then with a new
# connection per request (Connection: close). Root is not needed; wrk and nginx are (scripts/install-deps.sh).
set -euo pipefail

duration=${1:-10s}
connections=${2:-50}
threads=${3:-2}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/toaproxy-httpbench-XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
command -v nginx >/dev/null || { echo "nginx is missing: apt-get install nginx" >&2; exit 1; }
[ -x "$root/artifacts/toaproxy/toaproxy" ] || dotnet publish "$root/src/ToaProxy" -c Release -o "$root/artifacts/toaproxy" --nologo -v q

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_listen() { for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; echo "nothing listens on $1" >&2; exit 1; }

plain=$(free_port); pp=$(free_port); http_mode=$(free_port); tcp_mode=$(free_port)
cat > "$work/nginx.conf" <<NGINX
daemon off;
master_process off;
worker_processes 1;
worker_rlimit_nofile 8192;
pid $work/nginx.pid;
error_log $work/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $work/body;
    proxy_temp_path $work/proxy;
    fastcgi_temp_path $work/fastcgi;
    uwsgi_temp_path $work/uwsgi;
    scgi_temp_path $work/scgi;
    keepalive_requests 1000000;
    server {
        listen 127.0.0.1:$plain;
        listen 127.0.0.1:$pp proxy_protocol;
        location / { return 200 "toaproxy-nginx-ok"; }
    }
}
NGINX
nginx -p "$work/" -c "$work/nginx.conf" -e "$work/error.log" &
pids+=($!)

cat > "$work/toaproxy.json" <<JSON
{ "ToaProxy": {
    "Capture": { "Backend": "none" },
    "Listeners": [
      { "Name": "tcp",  "Listen": "127.0.0.1:$tcp_mode",  "Upstream": "127.0.0.1:$pp" },
      { "Name": "http", "Listen": "127.0.0.1:$http_mode", "Upstream": "127.0.0.1:$plain", "Protocol": "http" } ],
    "Admin": { "Listen": "off" } },
  "Logging": { "LogLevel": { "Default": "Warning" } } }
JSON
"$root/artifacts/toaproxy/toaproxy" run --config "$work/toaproxy.json" > "$work/toaproxy.log" 2>&1 &
pids+=($!)
for p in $plain $pp $http_mode $tcp_mode; do wait_listen "$p"; done

# "Requests/sec" and the 99% line of wrk --latency, p99 converted to ms.
measure() {
  local port=$1; shift
  wrk -t1 -c4 -d2s "$@" "http://127.0.0.1:$port/" >/dev/null # warm-up (JIT, pools)
  wrk -t"$threads" -c"$connections" -d"$duration" --latency "$@" "http://127.0.0.1:$port/" > "$work/wrk.txt"
  local rps p99
  rps=$(awk '/^Requests\/sec/ {printf "%d", $2}' "$work/wrk.txt")
  p99=$(awk '$1 == "99%" {v=$2; if (v ~ /us$/) {sub(/us$/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)} else if (v ~ /s$/) {sub(/s$/,"",v); v*=1000}; printf "%.2f", v}' "$work/wrk.txt")
  local errors
  errors=$(awk '/Non-2xx|Socket errors/ {print}' "$work/wrk.txt" | tr '\n' ' ')
  printf '%s|%s|%s\n' "$rps" "$p99" "${errors:-none}"
}

echo "wrk -t$threads -c$connections -d$duration; $(nproc) CPUs; load average $(cut -d' ' -f1-3 /proc/loadavg) at start"
echo
echo "| target | connections | requests/s | p99 latency (ms) | errors |"
echo "|---|---|---|---|---|"
for mode in keep-alive close; do
  args=()
  [ "$mode" = close ] && args=(-H "Connection: close")
  for target in "direct to nginx:$plain" "TCP mode (PROXY v2):$tcp_mode" "HTTP mode (YARP):$http_mode"; do
    name=${target%%:*}; port=${target##*:}
    IFS='|' read -r rps p99 errors < <(measure "$port" "${args[@]}")
    echo "| $name | $mode | $rps | $p99 | $errors |"
  done
done
echo
echo "load average $(cut -d' ' -f1-3 /proc/loadavg) at end"
