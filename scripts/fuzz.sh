#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz, clang + ASan + UBSan) in build-fuzz and runs each on
# its seed corpus for FUZZ_SECONDS (default 15 s, 60 s in all); any crash, leak, UB or timeout fails.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${FUZZ_SECONDS:-15}"
read -r -a targets <<< "${FUZZ_TARGETS:-graph_json onnx config partition}"

CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DMCMPART_FUZZ=ON -DBUILD_TESTING=OFF >/dev/null
cmake --build build-fuzz -j "$(nproc)" --target "${targets[@]/%/_fuzz}"

export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:allocator_may_return_null=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
status=0
for t in "${targets[@]}"; do
  work="build-fuzz/corpus/$t" artifacts="build-fuzz/artifacts/$t/"
  mkdir -p "$work" "$artifacts"
  echo "fuzz: $t for ${seconds}s"
  # New inputs go to the first (scratch) corpus; the committed seeds are only read.
  if ! "build-fuzz/tests/fuzz/${t}_fuzz" "$work" "tests/fuzz/corpus/$t" \
      -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
      -artifact_prefix="$artifacts" -print_final_stats=1 >"build-fuzz/$t.log" 2>&1; then
    echo "fuzz: $t FAILED (log build-fuzz/$t.log, reproducer in $artifacts):"
    tail -n 40 "build-fuzz/$t.log"
    status=1
  else
    grep -E "stat::number_of_executed_units|stat::new_units_added" "build-fuzz/$t.log" | tr '\n' ' '
    echo
  fi
done
exit "$status"
