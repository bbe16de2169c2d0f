#!/usr/bin/env bash
# Run test files and the fuzz harnesses against kernels built with AddressSanitizer and
# UndefinedBehaviorSanitizer (TURBOAVRO_SANITIZE=address,undefined, see setup.py).
#
#   scripts/sanitize-tests.sh [--fuzz SECONDS] [TEST_FILE... | PYTEST_OPTION...]
#
# The source tree is copied to a temporary directory and built in place there (so the normal
# build in this checkout is untouched); Python is not instrumented, so libasan is preloaded.
# Any sanitizer report fails the run: ASan aborts on the first error, UBSan is built with
# -fno-sanitize-recover, and the logs are also searched for "runtime error" / "ERROR:
# AddressSanitizer" in case a report escapes through a subprocess. Leak detection is off
# (the interpreter's own allocations at exit are not ours). Default test files: the
# native-heavy ones. PYTHON selects the interpreter (default: python3).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
PY=${PYTHON:-python3}
fuzz_seconds=0
if [ "${1:-}" = "--fuzz" ]; then
    fuzz_seconds=$2
    shift 2
fi
tests=("$@")
if [ ${#tests[@]} -eq 0 ]; then
    tests=(tests/test_codec.py tests/test_columnar.py tests/test_codecs.py tests/test_container.py
           tests/test_hostile.py tests/test_threads.py)
fi

work=${TURBOAVRO_SANITIZE_DIR:-$(mktemp -d)}
keep=${TURBOAVRO_SANITIZE_DIR:+1}
cleanup() { [ -n "$keep" ] || rm -rf "$work"; }
trap cleanup EXIT
mkdir -p "$work/src"
tar -C "$repo" -cf - --exclude=./.git --exclude=./build --exclude='*.so' --exclude='*.egg-info' \
    --exclude='./src/turboavro/_kernels/*.c' . | tar -C "$work/src" -xf -

cd "$work/src"
echo "==> building the kernels with TURBOAVRO_SANITIZE=address,undefined in $work/src"
TURBOAVRO_SANITIZE=address,undefined TURBOAVRO_BUILD_JOBS=${TURBOAVRO_BUILD_JOBS:-2} \
    "$PY" setup.py -q build_ext --inplace >"$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }

libasan=$(${CC:-gcc} -print-file-name=libasan.so)
case "$libasan" in /*) ;; *) echo "libasan not found (gcc -print-file-name=libasan.so)" >&2; exit 1;; esac
export LD_PRELOAD="$libasan${LD_PRELOAD:+:$LD_PRELOAD}"
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:halt_on_error=1:allocator_may_return_null=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export PYTHONPATH="$work/src/src:$work/src/tests"
export PYTHONMALLOC=malloc  # every Python allocation through ASan's malloc too

status=0
log="$work/sanitize.log"
: >"$log"
echo "==> pytest under ASan/UBSan: ${tests[*]}"
"$PY" -m pytest -q -p no:cacheprovider -x "${tests[@]}" 2>&1 | tee -a "$log" || status=$?
if [ "$fuzz_seconds" != 0 ]; then
    echo "==> fuzz harnesses, ${fuzz_seconds}s each"
    "$PY" fuzz/run.py --seconds "$fuzz_seconds" 2>&1 | tee -a "$log" || status=$?
fi
if grep -qE "runtime error:|ERROR: AddressSanitizer|ERROR: LeakSanitizer" "$log"; then
    echo "sanitizer report found (see above)" >&2
    status=1
fi
exit $status
