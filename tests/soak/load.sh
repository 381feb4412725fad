#!/usr/bin/env bash
# Load soak: the end-to-end load test (tests/ToaProxy.Tests/Reliability/LoadTests.cs) over several
# rounds. Each round opens 10,000 concurrent connections through the published proxy to nginx (fewer
# when the fd hard limit cannot hold two sockets per connection), relays a request on each, holds them,
# then closes them all. The proxy's GC heap is capped (DOTNET_GCHeapHardLimit, default 128 MiB), so a
# per-connection managed leak makes a later round fail instead of hiding in RSS the GC keeps for reuse.
# Prints the proxy's RSS, open fds and threads before, at the peak and after every round; exits
# non-zero if a round fails or fds or the active gauge do not return.
#
#   tests/soak/load.sh [rounds=6] [proxy GC heap limit=0x8000000]
#
# Needs root and nginx (scripts/install-deps.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."

rounds=${1:-6}
heap_limit=${2:-0x8000000}
dotnet build tests/ToaProxy.Tests -c Release -nologo -v q
dotnet publish src/ToaProxy -c Release -o artifacts/toaproxy -nologo -v q

log=$(mktemp /tmp/toaproxy-load.XXXXXX.log)
status=0
TOAPROXY_LOAD_ROUNDS=$rounds TOAPROXY_LOAD_PROXY_HEAP_LIMIT=$heap_limit dotnet test tests/ToaProxy.Tests -c Release --no-build -nologo \
  --filter "FullyQualifiedName~Reliability.LoadTests" --logger "console;verbosity=detailed" >"$log" 2>&1 || status=$?
grep -E "^ *(fd hard limit|opened and relayed|baseline:|[0-9]+ held:|after closing:|after round)" "$log" | sed 's/^ *//' | awk '!seen[$0]++'
if [ "$status" -ne 0 ]; then
  echo "load: FAILED (full log: $log)"
  exit "$status"
fi
echo "load: passed over $rounds rounds with the proxy's GC heap capped at $heap_limit bytes (full log: $log)"
