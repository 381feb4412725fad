#!/usr/bin/env bash
# The quick start's first command: builds toaproxy and runs it on the shipped config together with
# the built-in load-balancer emulator and a sample PROXY-aware backend, so you see real client
# addresses arrive. Needs root (NFQUEUE rule for the emulator, raw socket for the capture).
# Stop with Ctrl-C; the emulator's iptables rule is removed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
dotnet publish src/ToaProxy -c Release -o artifacts/toaproxy --nologo -v q
exec artifacts/toaproxy/toaproxy demo --config config/toaproxy.json "$@"
