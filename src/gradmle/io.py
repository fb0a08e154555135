"""The error for bad input data, and writing files atomically. (Reading is
:mod:`gradmle.source`: files, standard input, iterables of chunks.)"""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

__all__ = ["atomic_write", "DataError"]


class DataError(ValueError):
    """Bad input data (a file that cannot be read as a numeric column)."""


# -- output -------------------------------------------------------------------------

@contextmanager
def atomic_write(path, mode: str = "w"):
    """Write ``path`` completely or not at all: a temporary file in the same folder is
    renamed over ``path`` only when the block finishes without an exception."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise DataError(f"{path}: the folder {folder} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, mode) as fh:
            yield fh
        # mkstemp makes the file private (0600): give it the mode a new file would
        # have (or keep the mode of the file it replaces).
        try:
            os.chmod(tmp, path.stat().st_mode & 0o7777)
        except FileNotFoundError:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
