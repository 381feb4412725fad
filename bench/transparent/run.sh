#!/usr/bin/env bash
# Requests/s and connections/s through toaproxy transparent, toaproxy PROXY v2, and HAProxy's
# transparent mode (source 0.0.0.0 usesrc clientip), all in network namespaces this script creates:
#   cli  (wrk, 203.0.113.2)  --veth-->  px (203.0.113.1: toaproxy :8080 transparent, :8081 proxy-v2,
#   haproxy :8082 usesrc clientip; nginx plain on 198.51.100.1:9080, nginx proxy_protocol on :9081)
# No TOA: every proxy connects from (or names) the TCP peer, so the three do the same work.
# Usage: bench/transparent/run.sh [seconds per run, default 5]   (root; prints a Markdown table)
set -euo pipefail
ulimit -n 65536 2>/dev/null || true
for tool in wrk curl haproxy nginx iptables ip; do
  command -v "$tool" >/dev/null || { echo "needs $tool (apt-get install wrk curl haproxy nginx iptables iproute2)" >&2; exit 1; }
done
SECONDS_PER_RUN=${1:-5}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TOAPROXY=$ROOT/artifacts/toaproxy/toaproxy
[ -x "$TOAPROXY" ] || dotnet publish "$ROOT/src/ToaProxy" -c Release -o "$ROOT/artifacts/toaproxy" >/dev/null
ID=$$
CLI=tpbcli$ID PX=tpbpx$ID
WORK=$(mktemp -d /tmp/toaproxy-tbench-XXXXXX)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  sleep 1
  ip netns del "$CLI" 2>/dev/null || true
  ip netns del "$PX" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

ip netns add "$CLI"; ip netns add "$PX"
ip -n "$PX" link set lo up; ip -n "$CLI" link set lo up
ip -n "$PX" link add vc0 type veth peer name vc1 netns "$CLI"
ip -n "$PX" addr add 203.0.113.1/24 dev vc0; ip -n "$PX" link set vc0 up
ip -n "$CLI" addr add 203.0.113.2/24 dev vc1; ip -n "$CLI" link set vc1 up
ip -n "$PX" link add vb0 type veth peer name vb1
ip -n "$PX" addr add 198.51.100.1/24 dev vb0; ip -n "$PX" link set vb0 up; ip -n "$PX" link set vb1 up
ip -n "$PX" route add default dev vb0
ip netns exec "$PX" sysctl -qw net.ipv4.ip_local_port_range="10000 65000"
ip netns exec "$CLI" sysctl -qw net.ipv4.ip_local_port_range="10000 65000" net.ipv4.tcp_tw_reuse=1

mkdir -p "$WORK/nginx"
cat > "$WORK/nginx/nginx.conf" <<CONF
daemon off; master_process off; worker_processes 1; worker_rlimit_nofile 65536;
pid $WORK/nginx/nginx.pid; error_log $WORK/nginx/error.log warn;
events { worker_connections 16384; }
http {
  access_log off; default_type text/plain;
  client_body_temp_path $WORK/nginx/cb; proxy_temp_path $WORK/nginx/p; fastcgi_temp_path $WORK/nginx/f; uwsgi_temp_path $WORK/nginx/u; scgi_temp_path $WORK/nginx/s;
  server { listen 198.51.100.1:9080 reuseport; location / { return 200 "ok \$remote_addr\n"; } }
  server { listen 198.51.100.1:9081 proxy_protocol; location / { return 200 "ok \$proxy_protocol_addr\n"; } }
}
CONF
ip netns exec "$PX" nginx -p "$WORK/nginx/" -c "$WORK/nginx/nginx.conf" & PIDS+=($!)

cat > "$WORK/haproxy.cfg" <<CONF
global
  maxconn 4000
defaults
  mode tcp
  timeout connect 5s
  timeout client 30s
  timeout server 30s
listen transparent
  bind 203.0.113.1:8082
  source 0.0.0.0 usesrc clientip
  server nginx 198.51.100.1:9080
CONF
ip netns exec "$PX" haproxy -f "$WORK/haproxy.cfg" -db & PIDS+=($!)

cat > "$WORK/toaproxy.json" <<CONF
{ "ToaProxy": {
  "Capture": { "Backend": "none" },
  "Listeners": [
    { "Name": "transparent", "Listen": "203.0.113.1:8080", "Upstream": "198.51.100.1:9080", "Protocol": "transparent" },
    { "Name": "proxy-v2", "Listen": "203.0.113.1:8081", "Upstream": "198.51.100.1:9081" }
  ],
  "Admin": { "Listen": "off" } },
  "Logging": { "LogLevel": { "Default": "Warning" } } }
CONF
ip netns exec "$PX" "$TOAPROXY" run --config "$WORK/toaproxy.json" > "$WORK/toaproxy.log" 2>&1 & PIDS+=($!)
# HAProxy's transparent connections carry no SO_MARK: mark replies of the plain nginx port for it.
# (toaproxy's own rules, installed at its start, cover its connections.)
ip netns exec "$PX" iptables -t mangle -A OUTPUT -p tcp --sport 9080 -j MARK --set-mark 0x7001
for _ in $(seq 50); do
  ip netns exec "$CLI" curl -s -m 1 http://203.0.113.1:8080/ >/dev/null 2>&1 && ip netns exec "$CLI" curl -s -m 1 http://203.0.113.1:8082/ >/dev/null 2>&1 && break
  sleep 0.2
done
echo "sanity: $(ip netns exec "$CLI" curl -s http://203.0.113.1:8080/) / $(ip netns exec "$CLI" curl -s http://203.0.113.1:8081/) / $(ip netns exec "$CLI" curl -s http://203.0.113.1:8082/)" >&2

rate() { # port, extra wrk args -> requests/s
  ip netns exec "$CLI" wrk -t 2 -c 50 -d "${SECONDS_PER_RUN}s" "$@" | awk '/Requests\/sec/ {print int($2)}'
}
echo "| path | requests/s (keep-alive, 50 conns) | connections/s (Connection: close) |"
echo "|---|---|---|"
for row in "toaproxy transparent:8080" "toaproxy PROXY v2:8081" "HAProxy usesrc clientip:8082" ; do
  name=${row%:*}; port=${row##*:}
  ka=$(rate "http://203.0.113.1:$port/")
  cl=$(rate -H "Connection: close" "http://203.0.113.1:$port/")
  echo "| $name | $ka | $cl |"
done
