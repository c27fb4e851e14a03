"""Run directories: which folders are runs, who may write into one, and what a failed start leaves.

A run directory is a folder ganzoo made for one training run. It is marked by a small file,
:data:`MARKER` (``.ganzoo-run``), written when the run starts; folders written by older versions, which
hold ``config.yaml`` beside a ``checkpoints`` folder, count as runs too. ganzoo writes, cleans and
resumes only in such folders: a checkpoint file found anywhere else is *loose*, and resuming it starts
a new run directory rather than touching the folder it lies in.

One process at a time trains in a run directory. It holds an exclusive lock on :data:`LOCK_FILE`
(``fcntl.flock``, or a create-exclusive file where ``fcntl`` is missing) for as long as it trains; the
file records the holder's process id, host and start time so that a refused second writer can name
it. The operating system releases the lock when its process ends in any way (a kill included), so a
lock left by a dead process never blocks a resume.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import IO

from ganzoo.atomic import OutputError, atomic_write_text
from ganzoo.errors import ConfigError, GanzooError

#: The file that marks a folder as a ganzoo run directory.
MARKER = ".ganzoo-run"
#: The lock file a training process holds while it writes into the run directory.
LOCK_FILE = ".ganzoo-lock"
#: The checkpoint folder's name inside a run directory.
CHECKPOINTS = "checkpoints"
#: What a run writes at its top level and below; a failed start removes these and nothing else.
RUN_OUTPUTS = (MARKER, LOCK_FILE, "config.yaml", "metrics.jsonl", "loss_curves.png", "samples", "tensorboard", CHECKPOINTS)


class RunLockedError(GanzooError):
    """Another process is training in the run directory."""


def is_run_directory(path: Path) -> bool:
    """Whether ``path`` is a folder ganzoo made for a run: marked, or laid out as older runs were (a
    ``checkpoints`` folder beside ``config.yaml``, or holding ``latest`` or ``step_*.pt`` files)."""
    path = Path(path)
    try:
        if (path / MARKER).is_file():
            return True
        checkpoints = path / CHECKPOINTS
        if not checkpoints.is_dir():
            return False
        return (path / "config.yaml").is_file() or (checkpoints / "latest").is_file() or any(checkpoints.glob("step_*.pt"))
    except OSError:  # a folder this user may not look into holds nothing they could write
        return False


def run_directory_of(checkpoint: Path) -> Path | None:
    """The run directory a checkpoint file or folder belongs to, or ``None`` for a loose checkpoint.

    Args:
        checkpoint: A run directory, its ``checkpoints`` folder, or a checkpoint file in it.
    """
    checkpoint = Path(checkpoint)
    candidates = [checkpoint] if checkpoint.is_dir() else []
    if checkpoint.parent.name == CHECKPOINTS or checkpoint.name == CHECKPOINTS:
        candidates.append(checkpoint.parent.parent if checkpoint.parent.name == CHECKPOINTS else checkpoint.parent)
    return next((path for path in candidates if is_run_directory(path)), None)


def enclosing_run_directory(path: Path) -> Path | None:
    """The run directory that ``path`` is or lies in, searching upwards (through symbolic links too)."""
    path = Path(path)
    seen: set[Path] = set()
    for start in (path.absolute(), path.resolve()):
        for folder in (start, *start.parents):
            if folder in seen:
                continue
            seen.add(folder)
            if folder.is_dir() and is_run_directory(folder):
                return folder
    return None


def has_checkpoint(directory: Path) -> bool:
    """Whether a run directory holds a checkpoint it could resume from."""
    folder = Path(directory) / CHECKPOINTS
    return folder.is_dir() and any(folder.glob("step_*.pt"))


def default_directory(recipe: str) -> str:
    """Where a run goes when ``out=`` does not say: ``runs/<recipe>-<date>-<time>``."""
    return f"runs/{recipe}-{datetime.now():%Y%m%d-%H%M%S}"


def resume_directory(source: Path, out: Path | None, *, check_lock: bool = True) -> tuple[Path | None, bool]:
    """Where a resumed checkpoint continues, and whether that is a new run directory.

    A checkpoint in a run directory continues there; a loose one (``None`` is returned: the caller
    names a new directory) or one given ``out=`` elsewhere continues in a new directory.

    Args:
        source: The ``resume=`` path: a run directory or a checkpoint file.
        out: The ``out=`` directory, if given.
        check_lock: Refuse at once if another process trains in the run directory it continues.

    Raises:
        RunLockedError: If ``check_lock`` and another process holds the run directory.
    """
    own = run_directory_of(source)
    if own is not None and (out is None or Path(out).absolute() == own.absolute()):
        if check_lock:
            RunLock(own).acquire_or_refuse_now()  # before anything is built
        return own, False
    return out, True


def check_output_directory(path: Path) -> None:
    """Check, before anything is built or written, that a new run may go into ``path``.

    Raises:
        ConfigError: If ``path`` is a file, or a folder that already holds files.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise ConfigError(f"out={path} is a file; name a folder for the run's outputs")
    if path.is_dir() and any(path.iterdir()):
        hint = f"continue it with resume={path}" if is_run_directory(path) else "it is not a ganzoo run"
        raise ConfigError(f"run directory '{path}' already holds files ({hint}); choose another with out=DIR")


class RunLock:
    """An exclusive, process-lifetime lock on a run directory.

    Args:
        directory: The run directory (it must exist).
    """

    def __init__(self, directory: Path) -> None:
        self.path = Path(directory) / LOCK_FILE
        self._stream: IO[str] | None = None

    @property
    def held(self) -> bool:
        """Whether this object holds the lock."""
        return self._stream is not None

    def acquire(self) -> None:
        """Take the lock, or refuse naming the process that holds it.

        Raises:
            RunLockedError: If another live process holds it.
            OutputError: If the lock file cannot be created.
        """
        if self.held:
            return
        try:
            stream = _lock_file(self.path)
        except BlockingIOError:
            raise RunLockedError(
                f"run directory '{self.path.parent}' is in use by {self._describe_holder()}; wait for that run to "
                "end (or stop it), or train into another directory with out=DIR"
            ) from None
        except OSError as error:
            raise OutputError(f"cannot lock run directory '{self.path.parent}': {error.strerror or error}") from error
        record = {"pid": os.getpid(), "host": socket.gethostname(), "started": time.strftime("%Y-%m-%d %H:%M:%S"), "command": " ".join(sys.argv)}
        stream.seek(0)
        stream.truncate()
        stream.write(json.dumps(record) + "\n")
        stream.flush()
        self._stream = stream

    def acquire_or_refuse_now(self) -> None:
        """Check that no other process holds the lock (taking and releasing it), to refuse early."""
        if not self.held:
            self.acquire()
            self.release()

    def _describe_holder(self) -> str:
        try:
            record = json.loads(self.path.read_text(encoding="utf-8"))
            return f"process {record['pid']} on {record['host']} (started {record['started']}: {record['command']})"
        except (OSError, ValueError, KeyError, TypeError):
            return "another process"

    def release(self) -> None:
        """Let the lock go (the file stays: removing it would race with a process about to lock it)."""
        if self._stream is not None:
            _unlock_file(self._stream)
            self._stream.close()
            self._stream = None


def _lock_file(path: Path) -> IO[str]:
    """Open ``path`` and lock it exclusively without waiting; raises :class:`BlockingIOError` if held."""
    try:
        import fcntl
    except ImportError:  # no flock (Windows): a file created exclusively, held open by its creator
        return _exclusive_file(path)
    stream = open(path, "a+", encoding="utf-8")  # noqa: SIM115  (held open: the lock lives as long as the file)
    try:
        fcntl.flock(stream.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        stream.close()
        raise BlockingIOError(path) from None
    return stream


def _exclusive_file(path: Path) -> IO[str]:
    try:
        descriptor = os.open(path, os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o666)
    except FileExistsError:
        pid = _recorded_pid(path)
        if pid is not None and _alive(pid):
            raise BlockingIOError(path) from None
        path.unlink(missing_ok=True)  # left by a process that is gone
        descriptor = os.open(path, os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o666)
    return os.fdopen(descriptor, "w+", encoding="utf-8")


def _recorded_pid(path: Path) -> int | None:
    try:
        return int(json.loads(path.read_text(encoding="utf-8"))["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


def _unlock_file(stream: IO[str]) -> None:
    try:
        import fcntl
    except ImportError:
        stream.close()
        Path(stream.name).unlink(missing_ok=True)
        return
    fcntl.flock(stream.fileno(), fcntl.LOCK_UN)


class RunDirectory:
    """The run directory a training process writes into, held under its lock for the whole run.

    Args:
        path: The folder.
        new: Whether a new run starts there (the folder must then be missing or empty); otherwise
            a run is resumed there.
    """

    def __init__(self, path: Path, *, new: bool) -> None:
        self.path = Path(path)
        self.new = new
        self.created = False
        self.lock = RunLock(self.path)

    def open(self) -> None:
        """Create the folder if needed, take its lock, mark it, and clear what a killed run left.

        Raises:
            RunLockedError: If another process trains there.
            ConfigError: If a new run's folder filled up since it was checked.
            OutputError: If the folder cannot be created.
        """
        if self.path.exists() and not self.path.is_dir():
            raise ConfigError(f"out={self.path} is a file; name a folder for the run's outputs")
        try:
            self.created = not self.path.exists()
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise OutputError(f"cannot create run directory '{self.path}': {error.strerror or error}") from error
        self.lock.acquire()
        try:
            if self.new and any(entry.name != LOCK_FILE for entry in self.path.iterdir()):
                raise ConfigError(f"run directory '{self.path}' already holds files (another run started there); choose another with out=DIR")
            self._clear_temporary_files()
            if not (self.path / MARKER).is_file():
                from ganzoo import __version__

                atomic_write_text(self.path / MARKER, json.dumps({"ganzoo": __version__, "created": time.strftime("%Y-%m-%d %H:%M:%S")}) + "\n")
        except BaseException:
            self.lock.release()
            raise

    def _clear_temporary_files(self) -> None:
        """Remove the temporary files of writes a killed process left (only ganzoo's, only in its folders)."""
        for folder in (self.path, self.path / CHECKPOINTS, self.path / "samples"):
            if folder.is_dir():
                for stale in folder.glob(".*.tmp"):  # ganzoo.atomic's names: .<file>.<random>.tmp
                    stale.unlink(missing_ok=True)

    def has_checkpoint(self) -> bool:
        """Whether the run has saved a checkpoint it could resume from."""
        return has_checkpoint(self.path)

    def close(self, *, failed_before_checkpoint: bool = False) -> str | None:
        """Release the lock; after a new run failed before its first checkpoint, remove what it wrote.

        Returns:
            A sentence saying what was done with the folder after a failure, or ``None``.
        """
        note = None
        if not self.lock.held:  # never opened (or another process holds it): nothing here is ours
            return None
        try:
            if failed_before_checkpoint and self.new and not self.has_checkpoint():
                note = self._remove_outputs()
        finally:
            self.lock.release()
        return note

    def _remove_outputs(self) -> str:
        for name in RUN_OUTPUTS:
            if name == LOCK_FILE:
                continue
            target = self.path / name
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target, ignore_errors=True)
            else:
                target.unlink(missing_ok=True)
        others = [entry.name for entry in self.path.iterdir() if entry.name != LOCK_FILE]
        if others:
            return f"removed the failed run's outputs from '{self.path}' (nothing to resume); other files there were left"
        (self.path / LOCK_FILE).unlink(missing_ok=True)  # ours, and held: no one else can be locking it
        if self.created:
            try:
                self.path.rmdir()
            except OSError:
                pass
            return f"removed run directory '{self.path}' (the run failed before its first checkpoint: nothing to resume)"
        return f"emptied '{self.path}' (the run failed before its first checkpoint: nothing to resume)"



def resume_words(words: list[str]) -> tuple[list[str], Path | None]:
    """Split a resume's words into the settings it changes and its ``out=DIR`` (``None`` when absent).

    Raises:
        ConfigError: For a word that changes anything but ``train.*`` and the tracker: a resumed run
            keeps the configuration its checkpoint was trained with.
    """
    outs = [word for word in words if word.split("=", 1)[0].strip() == "out"]
    settings = [word for word in words if word not in outs]
    for word in settings:
        if not word.startswith(("train.", "tracker=", "tracker.")):
            raise ConfigError(f"'{word}': a resumed run keeps its configuration; only train.* and tracker settings (and out=DIR) may change")
    return settings, (Path(outs[-1].split("=", 1)[1].strip()) if outs else None)


def divergence_advice(directory: Path) -> str:
    """What to do after losses became non-finite: where to resume from, if anywhere, and what to change."""
    last = f"The last good checkpoint is in {directory / 'checkpoints'} (resume={directory})"
    return f"{last if has_checkpoint(directory) else 'No checkpoint had been saved yet'}; lower the learning rates or set train.on_nonfinite=skip"
