#!/usr/bin/env bash
# Builds the unit tests of every library (common, hw, actors, actors/search, policy, learner) with ASan + UBSan
# in build-asan and runs them; any finding fails. LibTorch, Gecode, HDF5 and MPI themselves are
# not instrumented; their allocations still go through ASan's allocator.
set -euo pipefail
cd "$(dirname "$0")/.."
tests=(mcmpart_common_tests mcmpart_hw_tests mcmpart_actors_tests mcmpart_search_tests mcmpart_policy_tests
       mcmpart_learner_tests)

cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMCMPART_SANITIZE=ON >/dev/null
cmake --build build-asan -j "$(nproc)" --target "${tests[@]}"

export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:abort_on_error=0:strict_string_checks=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
status=0
for t in "${tests[@]}"; do
  bin=$(find build-asan/tests -name "$t" -type f -perm -u+x | head -n 1)
  echo "sanitize: $t"
  if ! "$bin" --gtest_brief=1 >"build-asan/$t.log" 2>&1; then
    echo "sanitize: $t FAILED (log build-asan/$t.log):"
    tail -n 60 "build-asan/$t.log"
    status=1
  elif grep -qE "runtime error:|ERROR: (Address|Leak)Sanitizer" "build-asan/$t.log"; then
    echo "sanitize: $t reported a sanitizer finding (log build-asan/$t.log):"
    grep -E -A20 "runtime error:|ERROR: (Address|Leak)Sanitizer" "build-asan/$t.log" | head -n 60
    status=1
  else
    tail -n 3 "build-asan/$t.log"
  fi
done
exit "$status"
