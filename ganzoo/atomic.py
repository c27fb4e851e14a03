"""Writing files so that a crash or a kill never leaves a half-written one.

Every output goes to a temporary file in the destination's folder, is flushed to disk, and is then
renamed over the destination: readers see either the old file or the new one, never a mix. The file
gets the permissions any other new file would (``0o666`` less the process's umask), not the private
``0o600`` a temporary file starts with.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from ganzoo.errors import GanzooError


class OutputError(GanzooError):
    """An output that could not be written (unwritable folder, full disk)."""


def current_umask() -> int:
    """The process's umask, read without changing it where the system allows.

    Linux reports it in ``/proc/self/status``; elsewhere it is read by setting it and setting it back,
    which another thread creating a file at that instant could notice.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path`` atomically.

    On any error the temporary file is removed and ``path`` is left as it was.

    Raises:
        OutputError: If the folder cannot be created or written (naming the path and the cause).
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        os.close(handle)
    except OSError as error:
        raise OutputError(f"cannot write '{path}': {error.strerror or error}; choose a writable location") from error
    temporary_path = Path(temporary)
    try:
        os.chmod(temporary_path, 0o666 & ~current_umask())
        yield temporary_path
        with open(temporary_path, "rb+") as stream:
            os.fsync(stream.fileno())
        os.replace(temporary_path, path)
    except OSError as error:
        raise OutputError(f"cannot write '{path}': {error.strerror or error}") from error
    finally:
        temporary_path.unlink(missing_ok=True)


def atomic_write(path: Path, write: Callable[[IO[bytes]], None]) -> None:
    """Write a file atomically through a callback that receives a binary stream."""
    with atomic_path(path) as temporary, open(temporary, "wb") as stream:
        write(stream)


def atomic_write_text(path: Path, text: str) -> None:
    """Write a text file (UTF-8) atomically."""
    atomic_write(path, lambda stream: stream.write(text.encode("utf-8")))
