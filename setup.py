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


def compile_args() -> list[str]:
    if sys.platform == "win32":
        return ["/O2"] if not DEBUG else ["/Od", "/Zi"]
    args = ["-fno-strict-aliasing"]
    args += ["-O0", "-g"] if DEBUG else ["-O3"]
    # Release builds use the platform baseline so wheels run on every CPU of their platform;
    # -march=native is only for local builds that ask for it.
    if NATIVE_ARCH:
        args.append("-march=native")
    return args


# Per-kernel extra C sources and library requirements. Keys are module names under
# turboavro._kernels; every .pyx there is built, those not listed get no extra sources.
KERNEL_SOURCES: dict[str, list[str]] = {
    "_fingerprint": ["ta_crc64.c"],
}


def native_config() -> dict[str, dict]:
    """Per-kernel extra settings from library probing (filled in by the codec build)."""
    return {}


def extensions() -> list[Extension]:
    extra = native_config()
    exts = []
    for pyx in sorted(KERNELS.glob("*.pyx")):
        mod = pyx.stem
        cfg = extra.get(mod, {})
        sources = [str(pyx)] + [f"{NATIVE}/{s}" for s in KERNEL_SOURCES.get(mod, [])]
        sources += cfg.get("sources", [])
        exts.append(
            Extension(
                f"turboavro._kernels.{mod}",
                sources=sources,
                include_dirs=[NATIVE] + cfg.get("include_dirs", []),
                library_dirs=cfg.get("library_dirs", []),
                libraries=cfg.get("libraries", []),
                define_macros=cfg.get("define_macros", []),
                extra_compile_args=compile_args(),
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
