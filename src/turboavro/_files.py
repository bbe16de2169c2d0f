"""Writing a whole file safely: into a temporary file beside it, renamed over it only when
everything was written. Every command that replaces a file goes through
:func:`atomic_write` (the CLI through ``cli._output``, which also refuses an OUT that is one
of the command's inputs)."""
from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterator
from typing import IO


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike[str], new_mode: int | None = None) -> Iterator[IO[bytes]]:
    """A binary file object whose content replaces ``path`` when the ``with`` body succeeds.

    On any failure (an exception, an interrupt) the temporary file is removed and ``path`` is
    left as it was, absent if it was absent. A replaced file keeps its permission bits; a new
    one gets ``new_mode``, by default what ``open`` would give it (0o666 less the umask). A
    symbolic link ``path`` is followed: its target is replaced, the link stays.
    ``OSError`` (no such directory, permission denied) comes from creating the temporary
    file, before anything is written."""
    target = os.path.realpath(path)
    folder, name = os.path.split(target)
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as fo:
            yield fo
        try:
            mode = stat.S_IMODE(os.stat(target).st_mode)
        except FileNotFoundError:
            if new_mode is None:
                umask = os.umask(0)
                os.umask(umask)
                new_mode = 0o666 & ~umask
            mode = new_mode
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
