"""Input that can be read only once (standard input, a FIFO, ``/dev/stdin``), copied
once to a temporary file while it is read, so that every reader then opens the copy as
a file (:class:`Spool`).
"""

from __future__ import annotations

import os
import tempfile
import weakref

from .io import DataError

__all__ = ["Spool"]


#: Where a process opens its own files again by descriptor (Linux).
_PROC_FD = "/proc/self/fd"


class Spool:
    """A copy of input that can be read only once (standard input, a FIFO, /dev/stdin),
    made while reading it once, block by block; the readers then open the copy as a
    file.

    A copy on disk rather than the chunks kept in memory: the sniffer reads the head
    first, families without sufficient statistics read the data once per new point, data
    of extreme magnitude are read again in working units, ``.npy`` is memory-mapped and
    Parquet keeps its index at the end; and data larger than memory stay out of memory.
    The copy has no name: it is unlinked as soon as it is made and opened again through
    /proc/self/fd, so the system frees it when the process ends, whatever ends it (an
    error, Ctrl-C, a kill). Where there is no /proc, it is a named file removed when
    the copy is no longer used or at exit.
    """

    def __init__(self, stream, name: str):
        try:
            fd, path = tempfile.mkstemp(prefix="gradmle-input-")
        except OSError as exc:
            raise _no_room(name, exc) from None
        self.file = os.fdopen(fd, "w+b")
        if os.path.isdir(_PROC_FD):
            os.unlink(path)
            self.path = f"{_PROC_FD}/{fd}"
        else:
            self.path = path
            weakref.finalize(self, _remove, path)
        try:
            try:
                for block in iter(lambda: _read(stream, name), b""):
                    self.file.write(block)
                self.file.flush()
            except OSError as exc:
                raise _no_room(name, exc) from None
        except BaseException:
            self.file.close()
            raise


def _read(stream, name: str) -> bytes:
    try:
        return stream.read(1 << 20)
    except OSError as exc:
        raise DataError(f"{name}: cannot be read ({exc.strerror or exc})") from None


def _no_room(name: str, exc: OSError) -> DataError:
    return DataError(f"{name}: could not be copied to a temporary file in {tempfile.gettempdir()} "
                     f"({exc.strerror or exc}): pass a file, or set TMPDIR to a folder with room")


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass
