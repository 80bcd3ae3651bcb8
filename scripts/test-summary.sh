#!/usr/bin/env bash
# Sums the "test result:" lines of a cargo test log into one closing line.
set -euo pipefail
log=${1:?usage: test-summary.sh LOG}
passed=0 failed=0 ignored=0
while read -r p f i; do
  passed=$((passed + p)) failed=$((failed + f)) ignored=$((ignored + i))
done < <(sed -n 's/.*test result: [A-Za-z]*\. \([0-9]*\) passed; \([0-9]*\) failed; \([0-9]*\) ignored.*/\1 \2 \3/p' "$log")
if [ "$passed" -eq 0 ]; then
  echo "error: no test ran (see $log)" >&2
  exit 1
fi
echo "tests: $passed passed, $failed failed, $ignored skipped"
[ "$failed" -eq 0 ]
