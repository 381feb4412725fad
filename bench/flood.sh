#!/usr/bin/env bash
# SYN flood soak: the end-to-end flood test (tests/ToaProxy.Tests/Reliability/FloodTests.cs) run
# longer. Three network namespaces it creates and deletes; a raw-socket sender (bench/flood/syn_flood.py)
# floods the published proxy with SYNs carrying TOA from spoofed, trusted sources while legitimate
# connections come through the emulated load balancer. Prints the flood rate the proxy survived, the
# flow table's peak against MaxFlows, evictions, the proxy's RSS, and how every legitimate connection
# was attributed; exits non-zero on any misattribution.
#
#   bench/flood.sh [seconds=60] [pps=0 (as fast as the sender goes)] [max-flows=65536]
#
# Needs root, python3, iptables; as root on Debian 12 scripts/install-deps.sh provides the rest.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
pps=${2:-0}
max_flows=${3:-65536}

dotnet build tests/ToaProxy.Tests -c Release -nologo -v q
dotnet publish src/ToaProxy -c Release -o artifacts/toaproxy -nologo -v q

echo "flood: ${seconds} s, ${pps} pps (0 = unthrottled), MaxFlows ${max_flows}"
log=$(mktemp /tmp/toaproxy-flood.XXXXXX.log)
status=0
TOAPROXY_FLOOD_SECONDS=$seconds TOAPROXY_FLOOD_SYNS=0 TOAPROXY_FLOOD_PPS=$pps TOAPROXY_FLOOD_MAX_FLOWS=$max_flows \
  dotnet test tests/ToaProxy.Tests -c Release --no-build -nologo \
  --filter "FullyQualifiedName~Reliability.FloodTests" --logger "console;verbosity=detailed" >"$log" 2>&1 || status=$?
# The figures appear twice in a detailed log (live and in the summary): print them once.
grep -E "^ *(flood:|flow table:|proxy:|legitimate|client port|an upstream)" "$log" | sed 's/^ *//' | awk '!seen[$0]++'
if [ "$status" -ne 0 ]; then
  echo "flood: FAILED (full log: $log)"
  exit "$status"
fi
echo "flood: passed, zero misattributions (full log: $log)"
