#!/usr/bin/env bash
# Load soak: the end-to-end load test (tests/ToaProxy.Tests/Reliability/LoadTests.cs) over several
# rounds. Each round opens 10,000 concurrent connections through the published proxy to nginx (fewer
# when the fd hard limit cannot hold two sockets per connection), relays a request on each, holds them,
# then closes them all. Prints the proxy's RSS, open fds and threads before, at the peak and after
# every round; exits non-zero if fds or the active gauge do not return or RSS keeps growing.
#
#   tests/soak/load.sh [rounds=5]
#
# Needs root and nginx (scripts/install-deps.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."

rounds=${1:-5}
dotnet build tests/ToaProxy.Tests -c Release -nologo -v q
dotnet publish src/ToaProxy -c Release -o artifacts/toaproxy -nologo -v q

log=$(mktemp /tmp/toaproxy-load.XXXXXX.log)
status=0
TOAPROXY_LOAD_ROUNDS=$rounds dotnet test tests/ToaProxy.Tests -c Release --no-build -nologo \
  --filter "FullyQualifiedName~Reliability.LoadTests" --logger "console;verbosity=detailed" >"$log" 2>&1 || status=$?
grep -E "^ *(fd hard limit|opened and relayed|baseline:|[0-9]+ held:|after closing:|after round)" "$log" | sed 's/^ *//' | awk '!seen[$0]++'
if [ "$status" -ne 0 ]; then
  echo "load: FAILED (full log: $log)"
  exit "$status"
fi
echo "load: passed over $rounds rounds (full log: $log)"
