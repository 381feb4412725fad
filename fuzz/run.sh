#!/usr/bin/env bash
# Coverage-guided fuzzing of the packet/TOA decoder and the PROXY readers with SharpFuzz + AFL++.
#   fuzz/run.sh [seconds-per-target] [target ...]     (default: 60 s, all targets, one after another)
# Targets: frame strip proxyv2 proxyv1 observer (see fuzz/ToaProxy.Fuzzing/FuzzTarget.cs).
# Then it replays what the fuzzer kept under coverlet and prints line/branch coverage per parser.
# Findings go to $FUZZ_OUT (default /tmp/toaproxy-fuzz/<target>); a crash input belongs in
# fuzz/regressions/<target>/ once fixed, where the test suite replays it.
set -euo pipefail

budget="${1:-60}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(frame strip proxyv2 proxyv1 observer)
fi

repo="$(cd "$(dirname "$0")/.." && pwd)"
out="${FUZZ_OUT:-${TMPDIR:-/tmp}/toaproxy-fuzz}"
bin="$out/bin"

if ! command -v afl-fuzz >/dev/null; then
    apt-get install -y afl++ >/dev/null
fi

cd "$repo"
dotnet tool restore >/dev/null
rm -rf "$bin"
dotnet publish fuzz/ToaProxy.Fuzzing -c Release -o "$bin" --nologo -v quiet >/dev/null

# Only the code under test carries AFL edge probes; the harness and the runtime do not.
dotnet sharpfuzz "$bin/ToaProxy.Protocol.dll" >/dev/null
dotnet sharpfuzz "$bin/ToaProxy.Capture.dll" >/dev/null

# dotnet itself is not AFL-instrumented (SharpFuzz writes the map), so skip AFL's binary check; a
# container has no CPU governor or core_pattern to tune, and other jobs may hold any core.
export AFL_SKIP_BIN_CHECK=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_AFFINITY=1 AFL_NO_UI=1

for target in "${targets[@]}"; do
    rm -rf "${out:?}/$target"
    echo "fuzzing $target for ${budget}s" >&2
    afl-fuzz -i "fuzz/corpus/$target" -o "$out/$target" -V "$budget" -t 5000 -m none \
        -- dotnet "$bin/ToaProxy.Fuzzing.dll" "$target" >"$out/$target.log" 2>&1 \
        || { echo "afl-fuzz failed for $target; see $out/$target.log" >&2; tail -20 "$out/$target.log" >&2; exit 1; }
done

stat() { awk -F' *: *' -v key="$1" '$1 == key { print $2 }' "$2"; }
printf '%-9s %8s %12s %9s %7s %12s %9s %8s\n' target seconds execs execs/s corpus edges bitmap crashes
for target in "${targets[@]}"; do
    stats="$out/$target/default/fuzzer_stats"
    printf '%-9s %8s %12s %9s %7s %12s %9s %8s\n' "$target" "$(stat run_time "$stats")" "$(stat execs_done "$stats")" \
        "$(stat execs_per_sec "$stats")" "$(stat corpus_count "$stats")" \
        "$(stat edges_found "$stats")/$(stat total_edges "$stats")" "$(stat bitmap_cvg "$stats")" "$(stat saved_crashes "$stats")"
    for crash in "$out/$target"/default/crashes/id:*; do
        [ -e "$crash" ] && echo "  crash: $crash (reproduce: dotnet $bin/ToaProxy.Fuzzing.dll $target < \"$crash\")"
    done
done

# Coverage reached: replay each target's queue (what the fuzzer kept) through the same FuzzTargets
# code without AFL probes, under coverlet.
rm -rf "$out/coverage"
TOAPROXY_FUZZ_FINDINGS="$out" dotnet test tests/ToaProxy.Protocol.Tests --nologo -v quiet \
    --filter "FullyQualifiedName~FuzzCorpusReplayTests" --collect "XPlat Code Coverage" --results-directory "$out/coverage" >"$out/coverage.log" 2>&1 \
    || { echo "queue replay failed; see $out/coverage.log" >&2; exit 1; }
python3 fuzz/coverage.py "$(find "$out/coverage" -name coverage.cobertura.xml | head -1)" \
    TcpFrameReader TcpOptionReader ToaDecoder ToaOptionStripper ProxyV2Reader ProxyV1Reader IPAddressText HandshakeObserver FlowTable
