"""What this build of turboavro was compiled with: ``build_features()``.

The native codec libraries are probed when the package is built (setup.py, switches
``TURBOAVRO_WITH_<LIB>=auto|1|0`` and ``TURBOAVRO_<LIB>_PREFIX``); a codec whose library was
absent runs through a Python fallback package, if one is importable.
"""
from __future__ import annotations

from typing import Any

from . import codecs as _codecs


def build_features() -> dict[str, Any]:
    """Describe the native features of this build and the codec fallbacks available.

    Returns a dict with:

    ``"codecs"``
        each Avro codec name -> what :func:`turboavro.codecs.get_codec` runs it with
        (``"libdeflate 1.14"``, ``"libzstd 1.5.4"``, ``"cramjam 2.14.0"``, ``"python bz2"``,
        ``"builtin"`` for null), or None when it is unavailable.
    ``"native"``
        each codec except null -> the native library compiled in for it, or None.
    ``"fallbacks"``
        each codec except null -> the importable Python fallback, or None.
    ``"libraries"``
        each probed library (``libdeflate zlib zstd snappy lzma bz2``, the keys of the
        ``TURBOAVRO_WITH_*`` switches in lower case) -> its runtime version, or None when it
        was not compiled in.
    ``"compile_flags"``
        the ``TA_HAVE_*`` macros the codec kernel was compiled with -> bool.
    ``"crc32"``
        the CRC-32 implementation used for snappy blocks: ``"libdeflate"``, ``"zlib"`` or
        ``"builtin"``.
    """
    blocks = _codecs._blocks
    native: dict[str, str | None] = {}
    fallbacks: dict[str, str | None] = {}
    for name in _codecs.CODEC_NAMES[1:]:
        try:
            native[name] = _codecs.get_codec(name, native=True).implementation
        except _codecs.CodecUnavailableError:
            native[name] = None
        try:
            fallbacks[name] = _codecs.get_codec(name, native=False).implementation
        except _codecs.CodecUnavailableError:
            fallbacks[name] = None
    return {
        "codecs": _codecs.available_codecs(),
        "native": native,
        "fallbacks": fallbacks,
        "libraries": blocks.library_versions() if blocks is not None else {
            lib: None for lib in _codecs.LIBRARY_NAMES},
        "compile_flags": dict(blocks.COMPILE_FLAGS) if blocks is not None else {},
        "crc32": blocks.CRC32_IMPL if blocks is not None else None,
    }
