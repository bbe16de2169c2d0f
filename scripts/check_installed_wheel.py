"""Check an installed turboavro (a wheel, in an environment without compiler or codec headers):
every codec runs natively, a file in every codec is written and read back byte-exact, and the
interop files of every other implementation read as expected.

    python scripts/check_installed_wheel.py TESTS_DATA_DIR [--json SUMMARY.json]

TESTS_DATA_DIR is ``tests/data`` of the sdist (or checkout). Run it from a directory that does
not hold a ``turboavro`` package, so the installed one is imported. Exits non-zero, saying why,
on the first failure. Used by scripts/clean-room-check.sh and .ci/run.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import sys
import tempfile
from pathlib import Path


def fail(message: str) -> None:
    sys.exit(f"check_installed_wheel: FAILED: {message}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, help="tests/data of the sdist")
    parser.add_argument("--json", type=Path, help="write a summary here")
    args = parser.parse_args()

    import turboavro
    from turboavro.codec import Encoder
    from turboavro.codecs import CODEC_NAMES, get_codec
    from turboavro.container import Reader, Writer
    from turboavro.json_codec import from_json_value

    where = Path(turboavro.__file__).resolve().parent
    print(f"turboavro {turboavro.__version__} from {where}")
    if "site-packages" not in where.parts:
        fail(f"turboavro was imported from {where}, not from an installed wheel")
    bundled = sorted(p.name for p in (where.parent / "turboavro.libs").glob("*.so*"))
    print("bundled libraries:", " ".join(bundled) or "(none)")

    # 1. every codec native
    features = turboavro.build_features()
    print("build_features codecs:", json.dumps(features["codecs"]))
    print("build_features libraries:", json.dumps(features["libraries"]))
    not_native = [name for name, impl in features["native"].items() if not impl]
    if not_native:
        fail(f"codecs without their native library: {not_native}")
    if not all(features["compile_flags"].values()):
        fail(f"compile flags: {features['compile_flags']}")
    for name in CODEC_NAMES:
        if not get_codec(name).native:
            fail(f"get_codec({name!r}) is not the native codec")
    maps = Path("/proc/self/maps")
    if bundled and maps.exists():
        # the codec kernel runs the wheel's copies, whatever the system has
        loaded = {line.split()[-1] for line in maps.read_text().splitlines() if "/" in line}
        libs_dir = str(where.parent / "turboavro.libs")
        for lib in ("libdeflate", "libzstd", "libsnappy", "liblzma", "libbz2"):
            if not any(p.startswith(libs_dir) and Path(p).name.startswith(lib) for p in loaded):
                fail(f"{lib} is not loaded from {libs_dir}")
        print(f"codec libraries loaded from {libs_dir}")

    # 2. interop files of every implementation, against their expected datums
    interop = sorted((args.data / "interop").glob("*/*.avro"))
    if not interop:
        fail(f"no interop files under {args.data / 'interop'}")
    per_impl: dict[str, list[str]] = collections.defaultdict(list)
    datums: list[tuple[object, object]] = []  # (schema, datum) of full/java.avro
    for path in interop:
        with Reader(str(path)) as r:
            got = list(r)
            schema, codec = r.schema, r.codec
        expected_codec = path.stem.partition("_")[2] or "null"
        if codec != expected_codec:
            fail(f"{path}: codec {codec!r}, expected {expected_codec!r}")
        lines = (path.parent / "expected.jsonl").read_text(encoding="utf-8").splitlines()
        expected = [from_json_value(json.loads(line), schema) for line in lines if line.strip()]
        enc = Encoder(schema)
        # the binary encodings compare bit-exact (NaN, -0.0) where == would not
        if [enc.encode(d) for d in got] != [enc.encode(d) for d in expected]:
            fail(f"{path}: the records differ from expected.jsonl")
        per_impl[path.stem.partition("_")[0]].append(f"{path.parent.name}/{codec}")
        if path.parent.name == "full" and path.stem == "java":
            datums = [(schema, d) for d in got]
    for impl, files in sorted(per_impl.items()):
        print(f"interop {impl}: {len(files)} files read ({', '.join(files)})")
    if not datums:
        fail("interop/full/java.avro is missing")

    # 3. write and read back a file in every codec
    schema = datums[0][0]
    records = [d for _, d in datums] * 200
    enc = Encoder(schema)
    want = [enc.encode(d) for d in records]
    sizes: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="turboavro-wheel-check-") as tmp:
        for name in CODEC_NAMES:
            path = os.path.join(tmp, f"{name}.avro")
            with Writer(path, schema, codec=name) as w:
                w.write_many(records)
            with Reader(path) as r:
                back = list(r)
                if r.codec != name:
                    fail(f"{name}: the file says codec {r.codec!r}")
            if [enc.encode(d) for d in back] != want:
                fail(f"{name}: records read back differ from those written")
            sizes[name] = os.path.getsize(path)
    for name in CODEC_NAMES[1:]:
        if sizes[name] >= sizes["null"]:
            fail(f"{name}: {sizes[name]} bytes, not smaller than null's {sizes['null']}")
    print(f"codecs written and read back ({len(records)} records each), file sizes:",
          ", ".join(f"{n} {s}" for n, s in sizes.items()))

    if args.json:
        args.json.write_text(json.dumps({
            "codecs": features["codecs"],
            "bundled": bundled,
            "interop": {k: len(v) for k, v in per_impl.items()},
            "sizes": sizes,
        }))
    print("check_installed_wheel: OK")


if __name__ == "__main__":
    main()
