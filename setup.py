"""Build of turboavro's compiled kernels: the extension list, native library probing and the
``TURBOAVRO_*`` build switches (documented in README.md, "Build switches").

Metadata lives in pyproject.toml; this file only says what to compile and against what.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

from setuptools import Extension, setup

HERE = Path(__file__).parent.resolve()
NATIVE = "native"
KERNELS = Path("src", "turboavro", "_kernels")


def env_flag(name: str, default: str = "0") -> bool:
    return os.environ.get(name, default).strip().lower() in ("1", "true", "yes", "on")


DEBUG = env_flag("TURBOAVRO_DEBUG")
NATIVE_ARCH = env_flag("TURBOAVRO_NATIVE_ARCH")


def sanitizers() -> list[str]:
    """TURBOAVRO_SANITIZE=address,undefined (any of address, undefined): build the kernels
    with AddressSanitizer / UndefinedBehaviorSanitizer, for scripts/sanitize-tests.sh and the
    fuzz harnesses. Undefined behaviour aborts (-fno-sanitize-recover) so a report cannot go
    unnoticed. Python itself is not instrumented: run with libasan preloaded."""
    raw = os.environ.get("TURBOAVRO_SANITIZE", "").strip()
    if not raw:
        return []
    names = [n.strip() for n in raw.split(",") if n.strip()]
    bad = [n for n in names if n not in ("address", "undefined")]
    if bad or sys.platform == "win32":
        raise SystemExit(f"turboavro build: TURBOAVRO_SANITIZE={raw!r}: expected a comma list "
                         "of address, undefined (GCC or Clang)")
    flags = [f"-fsanitize={','.join(names)}", "-fno-omit-frame-pointer", "-g"]
    if "undefined" in names:
        flags.append("-fno-sanitize-recover=undefined")
    return flags


SANITIZE = sanitizers()


def compile_args() -> list[str]:
    if sys.platform == "win32":
        return ["/O2"] if not DEBUG else ["/Od", "/Zi"]
    args = ["-fno-strict-aliasing"]
    args += ["-O0", "-g"] if DEBUG else ["-O1"] if SANITIZE else ["-O3"]
    args += SANITIZE
    # Release builds use the platform baseline so wheels run on every CPU of their platform;
    # -march=native is only for local builds that ask for it.
    if NATIVE_ARCH:
        args.append("-march=native")
    return args


# Per-kernel extra C sources and library requirements. Keys are module names under
# turboavro._kernels; every .pyx there is built, those not listed get no extra sources.
KERNEL_SOURCES: dict[str, list[str]] = {
    "_fingerprint": ["ta_crc64.c"],
    "_blocks": ["ta_codecs.c", "ta_crc32.c", "ta_pool.c"],
    "_columns": ["ta_columns.c"],
    "_schema_text": ["ta_json.c"],
}


# Native codec libraries (SPEC.md §G), probed by native_config(). Each is switched by
# TURBOAVRO_WITH_<KEY>=auto|1|0 and located by TURBOAVRO_<KEY>_PREFIX, then pkg-config, then
# a compile-and-link test against the compiler's default paths.
# key: (display name, header, pkg-config name, link-name alternatives, macro, probe call)
CODEC_LIBRARIES: dict[str, tuple[str, str, str, list[list[str]], str, str]] = {
    "DEFLATE": ("libdeflate", "libdeflate.h", "libdeflate", [["deflate"], ["libdeflate"]],
                "TA_HAVE_LIBDEFLATE", "libdeflate_free_decompressor(0);"),
    "ZLIB": ("zlib", "zlib.h", "zlib", [["z"], ["zlib"], ["zlibstatic"]],
             "TA_HAVE_ZLIB", "(void)zlibVersion();"),
    "ZSTD": ("libzstd", "zstd.h", "libzstd", [["zstd"], ["zstd_static"]],
             "TA_HAVE_ZSTD", "(void)ZSTD_versionNumber();"),
    # snappy is C++; a static libsnappy also needs the C++ runtime
    "SNAPPY": ("snappy", "snappy-c.h", "snappy", [["snappy"], ["snappy", "stdc++"]],
               "TA_HAVE_SNAPPY", "(void)snappy_max_compressed_length(1);"),
    "LZMA": ("liblzma", "lzma.h", "liblzma", [["lzma"], ["liblzma"]],
             "TA_HAVE_LZMA", "(void)lzma_version_number();"),
    "BZ2": ("libbz2", "bzlib.h", "bzip2", [["bz2"], ["libbz2"], ["bzip2"]],
            "TA_HAVE_BZ2", "(void)BZ2_bzlibVersion();"),
}

_NATIVE_CONFIG: dict[str, dict] | None = None


def with_switch(key: str) -> str:
    """TURBOAVRO_WITH_<key> as "auto", "1" or "0"."""
    name = f"TURBOAVRO_WITH_{key}"
    raw = os.environ.get(name, "auto").strip().lower()
    if raw in ("", "auto"):
        return "auto"
    if raw in ("1", "true", "yes", "on"):
        return "1"
    if raw in ("0", "false", "no", "off"):
        return "0"
    raise SystemExit(f"turboavro build: {name}={raw!r} is not one of auto, 1, 0")


def try_link(header: str, call: str, include_dirs: list[str], library_dirs: list[str],
             libraries: list[str]) -> bool:
    """Compile a function that includes ``header`` and calls into the library, and link it
    into a shared library against it, the way setuptools will build the extensions (same
    compiler, CFLAGS and LDFLAGS). Compiler output is silenced."""
    import tempfile

    from distutils.ccompiler import new_compiler
    from distutils.sysconfig import customize_compiler

    compiler = new_compiler(verbose=0)
    customize_compiler(compiler)
    with tempfile.TemporaryDirectory(prefix="turboavro-probe-") as tmp:
        src = Path(tmp, "probe.c")
        src.write_text(f"#include <{header}>\nint ta_probe(void) {{ {call} return 0; }}\n")
        saved = [os.dup(1), os.dup(2)]
        devnull = os.open(os.devnull, os.O_WRONLY)
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        try:
            objs = compiler.compile([str(src)], output_dir=tmp, include_dirs=include_dirs)
            compiler.link_shared_object(objs, compiler.library_filename("probe", "shared"),
                                        output_dir=tmp, libraries=libraries,
                                        library_dirs=library_dirs)
            return True
        except Exception:
            return False
        finally:
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in (*saved, devnull):
                os.close(fd)


def pkg_config(package: str) -> tuple[dict[str, list[str]], str] | None:
    """Include dirs, library dirs and libraries of ``package`` from pkg-config, with its
    version; None when pkg-config or the package is missing."""
    import shlex
    import shutil
    import subprocess

    exe = os.environ.get("PKG_CONFIG") or shutil.which("pkg-config")
    if not exe:
        return None
    try:
        flags = subprocess.run([exe, "--cflags", "--libs", package], capture_output=True,
                               text=True, check=True).stdout
        version = subprocess.run([exe, "--modversion", package], capture_output=True,
                                 text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    cfg: dict[str, list[str]] = {"include_dirs": [], "library_dirs": [], "libraries": []}
    for tok in shlex.split(flags):
        for flag, key in (("-I", "include_dirs"), ("-L", "library_dirs"), ("-l", "libraries")):
            if tok.startswith(flag) and len(tok) > 2:
                cfg[key].append(tok[2:])
    return cfg, version


def probe_library(key: str) -> dict[str, list[str]] | None:
    """Locate one codec library; returns its build settings or None (and says which)."""
    display, header, pc_name, link_names, macro, call = CODEC_LIBRARIES[key]
    mode = with_switch(key)
    where = None
    found: dict[str, list[str]] | None = None
    if mode == "0":
        print(f"turboavro build: {display}: disabled (TURBOAVRO_WITH_{key}=0)")
        return None
    prefix = os.environ.get(f"TURBOAVRO_{key}_PREFIX")
    if prefix:
        inc = [str(Path(prefix, "include"))]
        libdirs = [str(Path(prefix, d)) for d in ("lib", "lib64") if Path(prefix, d).is_dir()]
        usable = Path(prefix, "include", header).is_file() and libdirs
        for libs in link_names if usable else []:
            if try_link(header, call, inc, libdirs, libs):
                found = {"include_dirs": inc, "library_dirs": libdirs, "libraries": libs,
                         "runtime_library_dirs": libdirs}
                where = f"TURBOAVRO_{key}_PREFIX={prefix}"
                break
        else:
            # an explicit location that does not work is a configuration error, not "absent"
            raise SystemExit(f"turboavro build: TURBOAVRO_{key}_PREFIX={prefix}: expected "
                             f"include/{header} and lib/ (or lib64/) with the {display} "
                             f"library there")
    if found is None:
        pc = pkg_config(pc_name)
        if pc is not None:
            cfg, version = pc
            if try_link(header, call, cfg["include_dirs"], cfg["library_dirs"],
                        cfg["libraries"]):
                found, where = cfg, f"pkg-config {pc_name} {version}"
                if key == "SNAPPY" and version.replace(".", "").isdigit():
                    # snappy's C API cannot report its version; record what pkg-config said
                    found["define_macros_extra"] = [("TA_SNAPPY_VERSION", f'"{version}"')]
    if found is None:
        for libs in link_names:
            if try_link(header, call, [], [], libs):
                found = {"include_dirs": [], "library_dirs": [], "libraries": libs}
                where = f"compiler default paths (-l{' -l'.join(libs)})"
                break
    if found is None:
        if mode == "1":
            raise SystemExit(f"turboavro build: TURBOAVRO_WITH_{key}=1 but {display} was not "
                             f"found ({header}); install its development package or set "
                             f"TURBOAVRO_{key}_PREFIX")
        print(f"turboavro build: {display}: not found, codec uses a Python fallback "
              f"(set TURBOAVRO_{key}_PREFIX to point at it)")
        return None
    print(f"turboavro build: {display}: found via {where}")
    found["define_macros"] = [(macro, "1"), *found.pop("define_macros_extra", [])]
    return found


def native_config() -> dict[str, dict]:
    """Per-kernel extra settings from library probing: the codec libraries of ``_blocks``.
    Probed once per process (setuptools may ask more than once)."""
    global _NATIVE_CONFIG
    if _NATIVE_CONFIG is None:
        blocks: dict[str, list] = {"include_dirs": [], "library_dirs": [], "libraries": [],
                                   "runtime_library_dirs": [], "define_macros": []}
        for key in CODEC_LIBRARIES:
            found = probe_library(key)
            if found is None:
                continue
            for name, values in found.items():
                for v in values:
                    if v not in blocks[name]:
                        blocks[name].append(v)
        if sys.platform == "win32":
            blocks.pop("runtime_library_dirs")
        _NATIVE_CONFIG = {"_blocks": blocks}
    return _NATIVE_CONFIG


def extensions() -> list[Extension]:
    extra = native_config()
    exts = []
    for pyx in sorted(KERNELS.glob("*.pyx")):
        mod = pyx.stem
        cfg = extra.get(mod, {})
        sources = [str(pyx)] + [f"{NATIVE}/{s}" for s in KERNEL_SOURCES.get(mod, [])]
        sources += cfg.get("sources", [])
        # _blocks runs native compression threads (ta_pool.c): POSIX threads outside Windows
        threads = ["-pthread"] if mod == "_blocks" and sys.platform != "win32" else []
        exts.append(
            Extension(
                f"turboavro._kernels.{mod}",
                sources=sources,
                include_dirs=[NATIVE] + cfg.get("include_dirs", []),
                library_dirs=cfg.get("library_dirs", []),
                libraries=cfg.get("libraries", []),
                # libraries found under TURBOAVRO_<LIB>_PREFIX must also be found at import time
                runtime_library_dirs=cfg.get("runtime_library_dirs", []),
                define_macros=cfg.get("define_macros", []),
                extra_compile_args=compile_args() + threads,
                extra_link_args=SANITIZE + threads,
            )
        )
    return exts


def cythonize_all(exts: list[Extension]) -> list[Extension]:
    from Cython.Build import cythonize

    directives = {
        "language_level": 3,
        "boundscheck": DEBUG,
        "wraparound": False,
        "cdivision": True,
        "embedsignature": True,
    }
    return cythonize(
        exts,
        compiler_directives=directives,
        include_path=[str(KERNELS)],
        nthreads=int(os.environ.get("TURBOAVRO_BUILD_JOBS", "0")) or 0,
        quiet=True,
    )


setup(ext_modules=cythonize_all(extensions()))
