#!/usr/bin/env bash
# Installs the system packages the proxy's backends and its tests use (Debian 12, as root).
# Skips apt entirely when everything is already present, so repeated runs cost nothing.
set -euo pipefail
# libcap2-bin (setcap), util-linux (setpriv), systemd (systemd-analyze): the packaging tests;
# chromium: the headless-browser test of the admin status page; python3: the raw-socket SYN flood sender;
# wrk and curl: the HTTP-mode and relay benchmarks.
packages=(iptables iproute2 libpcap0.8 libpcap-dev nginx haproxy libnginx-mod-stream tcpdump socat procps libcap2-bin util-linux systemd chromium python3 wrk curl)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "missing packages (${missing[*]}); run as root to install them" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
