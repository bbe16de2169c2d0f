#!/usr/bin/env bash
# Clean-room check of the release wheel, with no container engine: a minimal Debian root made
# by debootstrap holding only python3, python3-venv and python3-pip (no compiler, no -dev
# package, no codec library beyond what python3 itself pulls in: no libdeflate, no snappy).
# In it, a fresh venv installs the repaired wheel with its [all,test] extras from PyPI, then:
#   - turboavro.build_features() must report every codec native, loaded from the wheel;
#   - a file in every codec is written and read back, and the interop files of every
#     implementation are read (scripts/check_installed_wheel.py);
#   - the project's test suite, from the sdist, runs against the installed wheel, deselecting
#     only the tests marked needs_compiler (pyproject.toml [tool.pytest.ini_options]).
# Prints a summary: wheel name and size, codecs reported, test counts, elapsed time.
#
# With --sdist, afterwards (in the same room, once the wheel is done with): gcc, g++ and
# python3-dev are installed (no codec -dev package; python3-dev brings zlib's headers), the
# sdist is pip-installed with its [codecs] extra, and every codec must work, through the
# Python fallbacks (deflate may use zlib), with tests/test_codecs.py and test_interop.py.
#
# Usage (as root, from the repository root):
#     scripts/clean-room-check.sh [--build] [--sdist] [WHEEL]
# WHEEL defaults to the manylinux wheel in dist/ (scripts/build-wheels.sh makes it, and the
# sdist beside it); --build runs scripts/build-wheels.sh first.
# Needs: root (debootstrap, chroot, mount), debootstrap (apt install debootstrap), network
# access to a Debian mirror (the first time) and to PyPI.
# Environment:
#   TURBOAVRO_CLEANROOM_CACHE   where the Debian root is cached as a tarball, keyed by suite,
#                               architecture and package list (default
#                               /var/cache/turboavro-cleanroom): reruns skip debootstrap
#   TURBOAVRO_CLEANROOM_SUITE   Debian suite (default bookworm: Python 3.11; the wheel must be
#                               built for the suite's Python)
#   TURBOAVRO_CLEANROOM_MIRROR  Debian mirror (default: the one this machine's apt uses for
#                               Debian, else http://deb.debian.org/debian)
#   TURBOAVRO_CLEANROOM_PYTEST  extra pytest arguments (e.g. "-x")
set -euo pipefail

cd "$(dirname "$0")/.."
repo=$(pwd)
start=$SECONDS
say() { printf '\n==> [%ss] %s\n' "$((SECONDS - start))" "$*"; }
die() { echo "clean-room-check: $*" >&2; exit 1; }

build=0
sdist_check=0
wheel=
for arg in "$@"; do
    case $arg in
        --build) build=1 ;;
        --sdist) sdist_check=1 ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        -*) die "unknown option $arg" ;;
        *) wheel=$arg ;;
    esac
done

[ "$(id -u)" = 0 ] || die "needs root (debootstrap, chroot and mount)"
command -v debootstrap >/dev/null || die "debootstrap is missing (apt-get install debootstrap)"

if [ "$build" = 1 ]; then
    say "scripts/build-wheels.sh"
    scripts/build-wheels.sh
fi
if [ -z "$wheel" ]; then
    wheel=$(ls -t dist/turboavro-*-manylinux*.whl 2>/dev/null | head -n1 || true)
    [ -n "$wheel" ] || die "no manylinux wheel in dist/: run scripts/build-wheels.sh (or pass --build)"
fi
[ -f "$wheel" ] || die "$wheel: no such file"
wheel=$(cd "$(dirname "$wheel")" && pwd)/$(basename "$wheel")
whl_name=$(basename "$wheel")
version=$(echo "$whl_name" | cut -d- -f2)
sdist=$(dirname "$wheel")/turboavro-$version.tar.gz
[ -f "$sdist" ] || die "$sdist is missing (the test suite runs from the sdist of the wheel)"

suite=${TURBOAVRO_CLEANROOM_SUITE:-bookworm}
arch=$(dpkg --print-architecture 2>/dev/null || echo amd64)
packages=python3,python3-venv,python3-pip
mirror=${TURBOAVRO_CLEANROOM_MIRROR:-}
if [ -z "$mirror" ]; then
    # the machine's own Debian mirror: "deb URL suite ..." lines and deb822 "URIs:" fields
    mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
                 | awk '$1 == "deb" && $2 !~ /security/ && $2 ~ /debian\/?$/ {print $2; exit}' || true)
    if [ -z "$mirror" ]; then
        mirror=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null \
                     | awk '$1 == "URIs:" && $2 !~ /security/ && $2 ~ /debian\/?$/ {print $2; exit}' || true)
    fi
    mirror=${mirror:-http://deb.debian.org/debian}
fi
cache=${TURBOAVRO_CLEANROOM_CACHE:-/var/cache/turboavro-cleanroom}
tarball=$cache/debian-$suite-$arch-minbase-${packages//,/-}.tar.gz

work=$(mktemp -d /var/tmp/turboavro-cleanroom.XXXXXX)
root=$work/root
mounted=()
cleanup() {
    local m
    for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
        m=${mounted[i]}
        umount -R "$m" 2>/dev/null || umount -R -l "$m" 2>/dev/null || true
    done
    if grep -q " $work/" /proc/mounts; then
        echo "clean-room-check: mounts remain under $work; not deleting it:" >&2
        grep " $work/" /proc/mounts >&2
        return
    fi
    # --one-file-system: never descend into anything still mounted in there
    rm -rf --one-file-system "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------------------------------------
say "Debian root: $suite/$arch with $packages"
t0=$SECONDS
if [ -f "$tarball" ]; then
    echo "from the cache: $tarball"
    mkdir "$root"
    tar -C "$root" -xzf "$tarball"
else
    echo "debootstrap --variant=minbase from $mirror (cached afterwards in $tarball)"
    debootstrap --variant=minbase --include="$packages" "$suite" "$root" "$mirror" \
        >"$work/debootstrap.log" 2>&1 \
        || { tail -n 40 "$work/debootstrap.log" >&2; die "debootstrap failed (log above)"; }
    chroot "$root" apt-get clean
    mkdir -p "$cache"
    tar -C "$root" -czf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
fi
root_time=$((SECONDS - t0))

# What makes the room clean: no compiler, no headers, no codec library the wheel must bring.
for tool in cc gcc g++ clang c++ ld; do
    [ -z "$(chroot "$root" /bin/sh -c "command -v $tool" || true)" ] \
        || die "the Debian root has a $tool: it is not clean"
done
headers=$(find "$root/usr/include" "$root/usr/local/include" -name '*.h' 2>/dev/null | head -n3)
[ -z "$headers" ] || die "the Debian root has C headers: ${headers//$root/}"
for lib in libdeflate libsnappy; do
    if ls "$root"/usr/lib/*/"$lib".so* >/dev/null 2>&1; then die "the Debian root has $lib"; fi
done
chroot_python=$(chroot "$root" python3 -c 'import sys; print(f"cp{sys.version_info[0]}{sys.version_info[1]}")')
case $whl_name in
    *-"$chroot_python"-*) ;;
    *) die "$whl_name is not for the Debian root's Python ($chroot_python): build it with that Python" ;;
esac
echo "python3: $(chroot "$root" python3 --version); no compiler, no -dev headers, no libdeflate, no snappy"
echo "Debian packages: $(chroot "$root" dpkg-query -f '.\n' -W | wc -l)"

# ---------------------------------------------------------------------------------------------
mkdir -p "$root/cleanroom/sdist"
cp "$wheel" "$root/cleanroom/"
tar -C "$root/cleanroom/sdist" -xzf "$sdist"
cp scripts/check_installed_wheel.py "$root/cleanroom/"
cp /etc/resolv.conf "$root/etc/resolv.conf"
for fs in proc dev; do
    mkdir -p "$root/$fs"
    if [ "$fs" = proc ]; then mount -t proc proc "$root/proc"; else mount --rbind /dev "$root/dev"; fi
    mounted+=("$root/$fs")
    [ "$fs" = dev ] && mount --make-rslave "$root/dev"
done
# A TLS-intercepting proxy's certificate, when this machine's pip trusts one, is trusted by
# the room's pip too (it reaches PyPI through the same network).
cert=${PIP_CERT:-$(pip config get global.cert 2>/dev/null || true)}
chroot_env=(env -i HOME=/root LANG=C.UTF-8 PATH=/usr/local/bin:/usr/bin:/bin
            PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PIP_DEFAULT_TIMEOUT=180)
if [ -n "$cert" ] && [ -f "$cert" ]; then
    cp "$cert" "$root/cleanroom/pip-ca.crt"
    chroot_env+=(PIP_CERT=/cleanroom/pip-ca.crt)
fi
in_room() { chroot "$root" "${chroot_env[@]}" /bin/bash -o pipefail -c "$1"; }

say "fresh venv; pip install $whl_name[all,test] (dependencies from PyPI)"
t0=$SECONDS
in_room "python3 -m venv /cleanroom/venv && /cleanroom/venv/bin/python -m pip install -q \
    '/cleanroom/$whl_name[all,test]'"
install_time=$((SECONDS - t0))
in_room "/cleanroom/venv/bin/python -m pip list 2>/dev/null | grep -iE '^(turboavro|numpy|cramjam|zstandard|pandas|pyarrow) '"

say "build_features, every codec written and read, interop files (check_installed_wheel.py)"
sd=/cleanroom/sdist/turboavro-$version
in_room "cd /tmp && /cleanroom/venv/bin/python /cleanroom/check_installed_wheel.py \
    $sd/tests/data --json /cleanroom/check.json"

say "the test suite from the sdist against the installed wheel (-m 'not needs_compiler')"
t0=$SECONDS
# TURBOAVRO_EXPECT_NATIVE_CODECS=all: tests/test_codecs.py asserts every codec native
set +e
in_room "cd $sd && TURBOAVRO_EXPECT_NATIVE_CODECS=all /cleanroom/venv/bin/python -m pytest \
    -q -p no:cacheprovider -m 'not needs_compiler' ${TURBOAVRO_CLEANROOM_PYTEST:-} \
    --junitxml=/cleanroom/junit.xml" 2>&1 | tee "$work/pytest.log"
pytest_rc=${PIPESTATUS[0]}
set -e
test_time=$((SECONDS - t0))
# which turboavro the suite imported: the venv's, not the sdist's src/
imported=$(in_room "cd $sd && /cleanroom/venv/bin/python -c 'import turboavro; print(turboavro.__file__)'")

# ---------------------------------------------------------------------------------------------
# --sdist: the sdist builds where no codec library is installed (the Python fallbacks serve)
if [ "$sdist_check" = 1 ]; then
    say "--sdist: compiler into the room (gcc g++ python3-dev; no codec -dev package), then pip install the sdist"
    t0=$SECONDS
    in_room "export DEBIAN_FRONTEND=noninteractive; apt-get update -qq && \
        apt-get install -y -qq --no-install-recommends gcc g++ python3-dev >/dev/null"
    # python3-dev brings zlib1g-dev (libpython's own dependency): deflate may use zlib
    for h in libdeflate.h zstd.h snappy-c.h lzma.h bzlib.h; do
        [ ! -e "$root/usr/include/$h" ] || die "the room has $h: not a build without codec libraries"
    done
    cp "$sdist" "$root/cleanroom/"
    in_room "python3 -m venv /cleanroom/sdistvenv && /cleanroom/sdistvenv/bin/python -m pip install \
        -v '/cleanroom/$(basename "$sdist")[codecs]' >/cleanroom/sdist-install.log 2>&1 \
        || { tail -n 40 /cleanroom/sdist-install.log; exit 1; }
        grep 'turboavro build: ' /cleanroom/sdist-install.log | sort -u"
    in_room "cd /tmp && /cleanroom/sdistvenv/bin/python - <<'PYEOF'
import json, turboavro
f = turboavro.build_features()
print('build_features codecs:', json.dumps(f['codecs']))
assert all(f['codecs'].values()), 'a codec is unavailable'
native = sorted(k for k, v in f['native'].items() if v)
assert set(native) <= {'deflate'}, native
assert f['native']['deflate'] in (None, 'zlib ' + str(f['libraries']['zlib'])), f['native']
print('native:', native or 'none', '- every other codec runs through its fallback')
PYEOF"
    in_room "cd /tmp && /cleanroom/sdistvenv/bin/python -m pip install -q pytest hypothesis fastavro avro && \
        /cleanroom/sdistvenv/bin/python -m pytest -q -p no:cacheprovider --rootdir $sd \
        $sd/tests/test_codecs.py $sd/tests/test_interop.py 2>&1 | tail -n 3"
    sdist_time=$((SECONDS - t0))
fi

summary=$(python3 - "$root/cleanroom/junit.xml" "$root/cleanroom/check.json" <<'PYEOF'
import json, sys, xml.etree.ElementTree as ET
suite = ET.parse(sys.argv[1]).getroot()
suite = suite if suite.tag == "testsuite" else suite.find("testsuite")
n = {k: int(suite.get(k, 0)) for k in ("tests", "failures", "errors", "skipped")}
passed = n["tests"] - n["failures"] - n["errors"] - n["skipped"]
check = json.load(open(sys.argv[2]))
print(f"tests: {passed} passed, {n['failures']} failed, {n['errors']} errors, {n['skipped']} skipped")
print("codecs: " + ", ".join(f"{k}={v}" for k, v in check["codecs"].items()))
print("bundled: " + " ".join(check["bundled"]))
print("interop files read: " + ", ".join(f"{k} {v}" for k, v in sorted(check["interop"].items())))
PYEOF
)
deselected=$(grep -oE '[0-9]+ deselected' "$work/pytest.log" | tail -n1 || true)
skips=$(grep -E '^SKIPPED' "$work/pytest.log" || true)

say "summary"
echo "wheel:     $whl_name ($(stat -c %s "$wheel") bytes, $(du -h "$wheel" | cut -f1))"
echo "room:      Debian $suite $arch, $(chroot "$root" python3 --version), $packages only"
echo "$summary" | sed 's/^codecs: /codecs:    /; s/^bundled: /bundled:   /; s/^tests: /tests:     /'
echo "           ${deselected:-0 deselected} (needs_compiler)"
[ -z "$skips" ] || { echo "skips:"; echo "$skips" | sed 's/^/  /'; }
echo "imported:  $imported"
echo "elapsed:   $((SECONDS - start))s (Debian root ${root_time}s, pip install ${install_time}s, tests ${test_time}s${sdist_time:+, --sdist ${sdist_time}s})"
[ "$pytest_rc" = 0 ] || die "the test suite failed (exit $pytest_rc)"
echo "clean-room check: OK"
