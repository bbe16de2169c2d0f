"""Where container files are read from: local paths, file objects, and fsspec URLs.

A string with a protocol (``s3://``, ``gs://``, ``abfs://``, ``http(s)://``, ``memory://``,
``file://``...) is opened through `fsspec <https://filesystem-spec.readthedocs.io>`_ (an
optional dependency, imported only for such strings) with the caller's ``storage_options``.
A local file -- a plain path, or a ``file://`` URL -- is opened as a plain file, so the
columnar reader's positioned reads apply to it.

A remote object is read through :class:`RemoteFile`: it never downloads the whole object to
read part of it. It fetches the bytes a reader asks for as byte ranges of the object: small
ones outside the reader's planned window (the header; the end of the last block of a split),
and inside the window large ranges (``chunk`` bytes), several of them fetched ahead
concurrently on a shared thread pool while the reader decodes. ``RemoteFile.requests``
lists every range fetched.

Expanding datasets (:func:`expand`): a list of paths/URLs, a glob (``data/*.avro``,
``s3://bucket/part-*.avro``) or a directory (its ``.avro`` files), in natural order
(``part.2`` before ``part.10``).
"""
from __future__ import annotations

import glob as _glob
import io
import os
import re
import threading
from collections.abc import Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Literal

from .errors import AvroError

__all__ = ["RemoteFile", "expand", "is_url", "open_input", "naming"]

_SMALL = 64 << 10  # a fetch outside the planned window (the header, a split's last block)
_TAIL = 64 << 10  # a fetch past the window's end: the rest of the block crossing it
_FIRST = 256 << 10  # the first fetch inside the window; each next one doubles, to CHUNK
CHUNK = 4 << 20  # a fetch inside the window
DEPTH = 4  # ranges fetched ahead inside the window
_FETCHERS = 8  # threads fetching ranges, shared by every RemoteFile of the process

_POOL: ThreadPoolExecutor | None = None
_POOL_LOCK = threading.Lock()


def _pool() -> ThreadPoolExecutor:
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = ThreadPoolExecutor(_FETCHERS, thread_name_prefix="turboavro-fetch")
        return _POOL


def is_url(source: Any) -> bool:
    """True for a string (or ``os.PathLike``) naming a protocol: ``proto://...``."""
    if isinstance(source, os.PathLike):
        source = os.fspath(source)
    return isinstance(source, str) and "://" in source


def _fsspec() -> Any:
    try:
        import fsspec
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError(
            "reading URLs needs fsspec (and the filesystem's package, e.g. s3fs): "
            "pip install 'turboavro[fsspec]' (or [s3], [gcs], [azure], [http])"
        ) from e
    return fsspec


def url_to_fs(url: str, storage_options: Mapping[str, Any] | None = None) -> tuple[Any, str]:
    """The fsspec filesystem of ``url`` and the path within it."""
    fsspec = _fsspec()
    fs, path = fsspec.core.url_to_fs(url, **dict(storage_options or {}))
    return fs, path


def _is_local(fs: Any) -> bool:
    return "file" in _protocols(fs)


def _protocols(fs: Any) -> tuple[str, ...]:
    proto = fs.protocol
    return (proto,) if isinstance(proto, str) else tuple(proto)


def unstrip(fs: Any, path: str) -> str:
    """The URL of ``path`` on ``fs`` (a local path stays a plain path)."""
    if _is_local(fs):
        return path
    return fs.unstrip_protocol(path)


def open_input(
    source: Any,
    storage_options: Mapping[str, Any] | None = None,
    *,
    start: int | None = None,
    end: int | None = None,
    header: bytes | None = None,
) -> tuple[Any, bool]:
    """``(file object, owned)`` for a reader: a path or URL is opened (``owned``: the caller
    closes it), anything else is returned as it is. ``start``/``end``: the byte range the
    reader will read (a split), to fetch ahead within; ``header``: the file's first bytes
    when known (a split's planner read them), served without fetching them again."""
    if isinstance(source, os.PathLike):
        source = os.fspath(source)
    if not isinstance(source, str):
        if storage_options:
            raise TypeError("storage_options apply to paths and URLs only")
        return source, False
    if not is_url(source):
        return open(source, "rb"), True  # noqa: SIM115 - closed by the reader
    fs, path = url_to_fs(source, storage_options)
    if _is_local(fs):
        return open(path, "rb"), True  # noqa: SIM115
    size = int(fs.info(path)["size"])
    return RemoteFile(fs, path, size, name=source, window=(start or 0, end),
                      prefix=header or b""), True


class RemoteFile(io.RawIOBase):
    """A read-only, seekable file over an object of a remote filesystem, fetched by byte
    ranges (see the module docstring). ``window``: ``(start, end)`` of the bytes the reader
    will read in order (``end`` None: to the end of the object); ``prefix``: the object's
    first bytes, already known."""

    def __init__(
        self,
        fs: Any,
        path: str,
        size: int,
        *,
        name: str | None = None,
        window: tuple[int, int | None] = (0, None),
        prefix: bytes = b"",
        chunk: int = CHUNK,
        depth: int = DEPTH,
    ) -> None:
        super().__init__()
        self.fs = fs
        self.path = path
        self.size = size
        self.name = name or path
        lo, hi = window
        self._lo = max(0, lo)
        self._hi = size if hi is None else min(size, max(hi, self._lo))
        self._chunk = max(1, chunk)
        self._depth = max(0, depth)
        self._pos = 0
        # fetched or pending ranges: start -> (end, Future[bytes] | bytes), disjoint
        self._ranges: dict[int, tuple[int, Any]] = {}
        if prefix:
            self._ranges[0] = (len(prefix), bytes(prefix))
        self.requests: list[tuple[int, int]] = []  # every range fetched, in order
        self._fetched = 0  # window fetches started
        self._reads = 0  # ranges read from
        self._last: int | None = None
        self._window: set[int] = set()  # starts of the ranges fetched inside the window

    # -- io.RawIOBase ---------------------------------------------------------------------

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = 0) -> int:
        if whence == os.SEEK_SET:
            pos = offset
        elif whence == os.SEEK_CUR:
            pos = self._pos + offset
        elif whence == os.SEEK_END:
            pos = self.size + offset
        else:
            raise ValueError(f"invalid whence {whence}")
        if pos < 0:
            raise ValueError("negative seek position")
        self._pos = pos
        return pos

    def readinto(self, b: Any) -> int:
        data = self.read(len(b))
        n = len(data)
        memoryview(b).cast("B")[:n] = data
        return n

    def readall(self) -> bytes:
        return self.read(-1)

    def read(self, n: int | None = -1) -> bytes:
        """Up to ``n`` bytes from the position (``-1``: to the end of the object, fetched
        as concurrent ranges). May return fewer than ``n`` before the end (raw I/O), never
        nothing before it."""
        pos = self._pos
        if pos >= self.size or n == 0:
            return b""
        if n is None or n < 0:
            self._prefetch_all(pos)
            parts = []
            while self._pos < self.size:
                parts.append(self.read(self.size - self._pos))
            return b"".join(parts)
        a, (b, data) = self._range_at(pos, n)
        data = self._result(a, b, data)
        out = data[pos - a : min(b, pos + n) - a]
        self._pos = pos + len(out)
        self._forget_before(a)  # the ranges before this one (a reader may seek back in it)
        return bytes(out)

    # -- ranges ----------------------------------------------------------------------------

    def _range_at(self, pos: int, n: int) -> tuple[int, tuple[int, Any]]:
        """The range holding ``pos``, fetched (or started) when missing; inside the window,
        the next ranges are started too."""
        hit = next((a for a, (b, _) in self._ranges.items() if a <= pos < b), None)
        if hit != self._last and hit in self._window:
            self._reads += 1
        self._last = hit
        if hit is not None:
            b = self._ranges[hit][0]
            if self._lo <= pos < self._hi:
                self._ahead(b)
            return hit, self._ranges[hit]
        if self._lo <= pos < self._hi:
            b = self._clip(pos, min(self._hi, pos + self._step()))
            self._start(pos, b)
            self._window.add(pos)
            self._ahead(b)
        else:
            # past the window: the rest of its last block, in short reads (raw I/O)
            want = _TAIL if pos >= self._hi else max(n, _SMALL)
            b = min(self.size, pos + want)
            if pos < self._lo:
                b = min(b, max(self._lo, pos + n))
            self._start(pos, self._clip(pos, b))
        return pos, self._ranges[pos]

    def _clip(self, a: int, b: int) -> int:
        """``b`` lowered to the start of the first known range after ``a``."""
        for start in self._ranges:
            if a < start < b:
                b = start
        return b

    def _step(self) -> int:
        """The size of the next fetch inside the window: 256 KiB, doubling with each fetch
        up to ``chunk`` (a reader that stops early, e.g. after ``n_rows``, fetched little)."""
        step = min(self._chunk, _FIRST << min(self._fetched, 16))
        self._fetched += 1
        return step

    def _ahead(self, b: int) -> None:
        """Start fetching window ranges from ``b`` on: as many as ranges were read so far,
        at most ``depth``."""
        for _ in range(min(self._depth, self._reads)):
            if b >= self._hi:
                return
            if b in self._ranges:
                b = self._ranges[b][0]
                continue
            end = self._clip(b, min(self._hi, b + self._step()))
            self._start(b, end)
            self._window.add(b)
            b = end

    def _prefetch_all(self, pos: int) -> None:
        b = pos
        while b < self.size:
            if b in self._ranges:
                b = self._ranges[b][0]
                continue
            inside = next((a for a, (e, _) in self._ranges.items() if a < b < e), None)
            if inside is not None:
                b = self._ranges[inside][0]
                continue
            end = self._clip(b, min(self.size, b + self._chunk))
            self._start(b, end)
            b = end

    def _start(self, a: int, b: int) -> None:
        self.requests.append((a, b))
        self._ranges[a] = (b, _pool().submit(self._fetch, a, b))

    def _fetch(self, a: int, b: int) -> bytes:
        data = self.fs.cat_file(self.path, start=a, end=b)
        if len(data) != b - a:
            raise OSError(
                f"{self.name}: asked for bytes {a}-{b} of a {self.size}-byte object, "
                f"got {len(data)} (was it changed while being read?)"
            )
        return bytes(data)

    def _result(self, a: int, b: int, data: Any) -> Any:
        if isinstance(data, Future):
            data = data.result()
            self._ranges[a] = (b, data)
        return data

    def _forget_before(self, pos: int) -> None:
        for a in [a for a, (b, _) in self._ranges.items() if b <= pos]:
            del self._ranges[a]

    def close(self) -> None:
        for _, data in self._ranges.values():
            if isinstance(data, Future):
                data.cancel()
        self._ranges.clear()
        super().close()


# ----------------------------------------------------------------------------------------------
# Datasets: lists, globs and directories
# ----------------------------------------------------------------------------------------------

_GLOB_CHARS = ("*", "?", "[")


def expand(
    source: Any, storage_options: Mapping[str, Any] | None = None
) -> list[str]:
    """The files of a dataset, in order: ``source`` is a path or URL (a glob or a directory
    expands to its matches, sorted; a directory to its ``*.avro`` files), or a list of them.
    URLs keep their protocol; local files are plain paths."""
    if isinstance(source, (str, os.PathLike)):
        items: Iterable[Any] = [source]
    else:
        items = source
    out: list[str] = []
    for item in items:
        item = os.fspath(item)
        if is_url(item):
            fs, path = url_to_fs(item, storage_options)
            if any(c in path for c in _GLOB_CHARS):
                found = sorted(fs.glob(path), key=natural_key)
            elif fs.isdir(path):
                found = sorted((p for p in fs.find(path) if p.endswith(".avro")), key=natural_key)
            else:
                found = [path]
            out.extend(unstrip(fs, p) for p in found)
        elif any(c in item for c in _GLOB_CHARS):
            out.extend(sorted(_glob.glob(item), key=natural_key))
        elif os.path.isdir(item):
            out.extend(sorted(_glob.glob(os.path.join(item, "*.avro")), key=natural_key))
        else:
            out.append(item)
    if not out:
        raise FileNotFoundError(f"no files match {source!r}")
    return out


def natural_key(path: str) -> list[Any]:
    """Sort key ordering numbers by value: ``part.2`` before ``part.10``."""
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", path)]


def is_dataset(source: Any, storage_options: Mapping[str, Any] | None = None) -> bool:
    """True for a list/tuple of sources, or a path/URL with glob characters or naming a
    directory."""
    if isinstance(source, (list, tuple)):
        return True
    if isinstance(source, os.PathLike):
        source = os.fspath(source)
    if not isinstance(source, str):
        return False
    path = source.split("://", 1)[-1]
    if any(c in path for c in _GLOB_CHARS):
        return True
    if is_url(source):
        fs, p = url_to_fs(source, storage_options)
        return bool(fs.isdir(p))
    return os.path.isdir(source)


class naming:
    """Context manager: an :class:`AvroError` raised inside names ``where`` (a URL or
    path) in its message, and carries it as ``err.source``."""

    def __init__(self, where: Any) -> None:
        self.where = where

    def __enter__(self) -> naming:
        return self

    def __exit__(self, typ: Any, err: Any, tb: Any) -> Literal[False]:
        if isinstance(err, AvroError) and getattr(err, "source", None) is None:
            name = os.fspath(self.where) if isinstance(self.where, os.PathLike) else self.where
            if isinstance(name, str):
                err.source = name  # type: ignore[attr-defined]
                msg = err.args[0] if err.args else ""
                err.args = (f"{name}: {msg}", *err.args[1:])
        return False
