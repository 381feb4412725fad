#!/usr/bin/env bash
# Runs the whole test suite: installs what the tests need (as root, Debian 12), runs every test
# project, and ends with one line "tests: N passed, N failed, N skipped" computed from the TRX files.
set -uo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh || { echo "install-deps failed" >&2; exit 1; }

results=TestResults
rm -rf "$results"
dotnet build ToaProxy.sln -c Release -nologo -v q || { echo "tests: 0 passed, 1 failed (build)"; exit 1; }
# The end-to-end tests run toaproxy as users do, from the publish output.
dotnet publish src/ToaProxy -c Release -o artifacts/toaproxy -nologo -v q || { echo "tests: 0 passed, 1 failed (publish)"; exit 1; }

status=0
dotnet test ToaProxy.sln -c Release --no-build -nologo \
  --logger "trx" --logger "console;verbosity=normal" --results-directory "$results" \
  --blame-hang-timeout 10m || status=$?

passed=0; failed=0; skipped=0; files=0
for trx in "$results"/*.trx; do
  [ -e "$trx" ] || continue
  files=$((files + 1))
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
  get() { echo "$counters" | sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p"; }
  passed=$((passed + $(get passed)))
  failed=$((failed + $(get failed) + $(get error) + $(get timeout) + $(get aborted)))
  skipped=$((skipped + $(get notExecuted)))
done

# The failures again, last, so that the end of the log (all some CI views keep) names them.
failures=$(perl -0ne '
  sub text { my $t = shift; $t =~ s/&#xD;//g; $t =~ s/&quot;/"/g; $t =~ s/&apos;/\x27/g; $t =~ s/&lt;/</g; $t =~ s/&gt;/>/g; $t =~ s/&amp;/&/g; return $t }
  while (/<UnitTestResult\b([^>]*)>(.*?)<\/UnitTestResult>/sg) {
    my ($attributes, $body) = ($1, $2);
    next unless $attributes =~ /outcome="(Failed|Error|Timeout|Aborted)"/;
    my ($name) = $attributes =~ /testName="([^"]*)"/;
    my ($message) = $body =~ /<Message>(.*?)<\/Message>/s;
    my ($stack) = $body =~ /<StackTrace>(.*?)<\/StackTrace>/s;
    my @lines = (split(/\n/, text($message // "")))[0..11];
    my @frames = grep { /ToaProxy/ } split(/\n/, text($stack // ""));
    print "FAILED ", text($name), "\n";
    print "  $_\n" for grep { defined } @lines;
    print "  $_\n" for @frames[0..(@frames < 3 ? $#frames : 2)];
  }' "$results"/*.trx 2>/dev/null)
if [ -n "$failures" ]; then
  echo
  echo "$failures"
fi

if [ "$files" -eq 0 ]; then
  echo "tests: 0 passed, 1 failed (no test results were written)"
  exit 1
fi
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  # dotnet test failed without a failed test in any TRX: a test host crashed or a run aborted.
  echo "dotnet test exited with $status although no test reported failure (aborted run, see above)"
  failed=1
fi
echo "tests: $passed passed, $failed failed, $skipped skipped"
if [ "$failed" -ne 0 ] || [ "$status" -ne 0 ]; then
  exit 1
fi
