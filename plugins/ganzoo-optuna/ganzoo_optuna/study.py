"""The sweep folder and its Optuna study: storage, sampler, pruner, and who runs which trial.

The folder (``out=``) holds the SQLite storage ``optuna.db`` (unless ``storage=`` names another), the
sweep's words (:data:`MARKER`), one run directory per trial (``trial-0003/``), and two kinds of lock:

- :data:`SWEEP_LOCK`, held for a moment by a worker that picks its next trial, so that the workers of
  one folder never pick the same trial nor start more than ``trials`` between them;
- one claim per trial (``.claims/trial-0003.lock``), held for as long as a worker runs that trial.

The operating system releases a process's locks however it ends (``kill -9`` too). A trial that is
RUNNING in the study while its claim is free was left by a process that is gone: the next worker
takes it over and resumes its ganzoo run from its newest checkpoint (see :mod:`ganzoo_optuna.trials`).
"""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from ganzoo.atomic import atomic_write_text
from ganzoo_optuna.spec import SweepError

if TYPE_CHECKING:
    import optuna

    from ganzoo_optuna.checks import CheckedSweep

#: The file that marks a sweep folder; it records the sweep's words.
MARKER = "sweep.yaml"
SWEEP_LOCK = ".sweep.lock"
CLAIMS = ".claims"
#: The key of the study's user attribute recording what the sweep was started with.
IDENTITY = "ganzoo_sweep"
#: SQLite waits this long (seconds) for another worker's write before "database is locked".
SQLITE_TIMEOUT = 60
#: A RUNNING trial whose worker never recorded itself for this long was asked by a process that died at once.
UNCLAIMED_AFTER = timedelta(seconds=60)
#: A trial whose worker died this many times is failed rather than taken over again.
MAX_TAKEOVERS = 2


def trial_name(number: int) -> str:
    """The run directory's name of trial ``number``: ``trial-0003``."""
    return f"trial-{number:04d}"


class FileLock:
    """An exclusive lock on a file (``flock``; ``msvcrt.locking`` on Windows), released when its process ends."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stream: IO[str] | None = None

    def acquire(self, *, wait: bool) -> bool:
        """Take the lock; without ``wait``, give up at once when another process holds it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        stream = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115  (held open: the lock lives with it)
        try:
            try:
                import fcntl

                fcntl.flock(stream.fileno(), fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
            except ImportError:  # Windows
                import msvcrt

                stream.seek(0)
                msvcrt.locking(stream.fileno(), msvcrt.LK_LOCK if wait else msvcrt.LK_NBLCK, 1)
        except OSError:
            stream.close()
            if wait:
                raise
            return False
        self._stream = stream
        return True

    def release(self) -> None:
        """Let the lock go (the file stays: removing it would race with a process about to lock it)."""
        if self._stream is not None:
            self._stream.close()  # closing the file releases the lock
            self._stream = None


class SweepFolder:
    """The sweep folder: its marker, its locks and its trials' run directories.

    Args:
        path: The folder (``out=``).
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def create(self, words: list[str], storage: str, study: str) -> None:
        """Create the folder and its marker (once: a rerun keeps the first)."""
        self.path.mkdir(parents=True, exist_ok=True)
        marker = self.path / MARKER
        if not marker.exists():
            lines = [f"study: {study}", f"storage: {storage}", "words:", *(f"  - {_quoted(w)}" for w in words)]
            atomic_write_text(marker, "\n".join(lines) + "\n")

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold :data:`SWEEP_LOCK` (waiting for another worker to let it go)."""
        lock = FileLock(self.path / SWEEP_LOCK)
        lock.acquire(wait=True)
        try:
            yield
        finally:
            lock.release()

    def claim_path(self, number: int) -> Path:
        """The claim lock of trial ``number``."""
        return self.path / CLAIMS / f"{trial_name(number)}.lock"

    def claim(self, number: int) -> FileLock | None:
        """Take trial ``number``'s claim, or ``None`` when a live worker holds it."""
        lock = FileLock(self.claim_path(number))
        return lock if lock.acquire(wait=False) else None

    def run_directory(self, number: int) -> Path:
        """Trial ``number``'s run directory."""
        return self.path / trial_name(number)

    def trial_directories(self) -> list[Path]:
        """The trial run directories present."""
        return sorted(p for p in self.path.glob("trial-[0-9]*") if p.is_dir())


def _quoted(word: str) -> str:
    return "'" + word.replace("'", "''") + "'"


def worker_name() -> str:
    """This process as the trials record it: ``host:pid``."""
    return f"{socket.gethostname()}:{os.getpid()}"


def open_storage(url: str) -> Any:
    """Optuna's RDB storage for ``url``; SQLite waits :data:`SQLITE_TIMEOUT` seconds on a busy database.

    Raises:
        SweepError: If the storage cannot be opened (a malformed URL, a missing driver, no server).
    """
    import optuna

    engine_kwargs: dict[str, Any] = {}
    if url.startswith("sqlite"):
        # Two workers writing at once: the second waits for the first rather than failing with
        # "database is locked" (sqlite3's busy timeout; the default is 5 s).
        engine_kwargs["connect_args"] = {"timeout": SQLITE_TIMEOUT}
    try:
        return optuna.storages.RDBStorage(url, engine_kwargs=engine_kwargs)
    except Exception as error:
        message = " ".join(str(error).split())[:300]
        raise SweepError(f"storage={url}: Optuna cannot open it ({type(error).__name__}: {message})") from error


def make_pruner(checked: CheckedSweep) -> optuna.pruners.BasePruner:
    """The pruner ``pruner=`` names: median (Optuna's MedianPruner), none, or threshold:VALUE."""
    import optuna

    spec = checked.spec
    if spec.pruner == "median":
        return optuna.pruners.MedianPruner()
    if spec.pruner == "none":
        return optuna.pruners.NopPruner()
    threshold = float(spec.threshold or 0.0)
    if checked.direction == "minimize":
        return optuna.pruners.ThresholdPruner(upper=threshold)
    return optuna.pruners.ThresholdPruner(lower=threshold)


def make_sampler(checked: CheckedSweep, number: int) -> optuna.samplers.BaseSampler:
    """The sampler of the trial numbered ``number``: a grid's, or TPE seeded by ``seed`` and the number.

    TPE is seeded afresh for each trial, so that a sweep draws the same trials however often it is
    interrupted, and workers that share a study draw different ones.
    """
    import optuna

    spec = checked.spec
    if spec.is_grid:
        return _grid_sampler_class()({p.key: list(p.choices) for p in spec.parameters}, seed=spec.seed)
    startup = min(10, max(1, (spec.trials or 1) // 2))
    return optuna.samplers.TPESampler(seed=spec.seed + number, n_startup_trials=startup, constant_liar=True)


def _grid_sampler_class() -> type:
    """Optuna's GridSampler, without its ``study.stop()`` after the last point: that works only inside
    ``study.optimize``, and the sweep stops by counting the study's trials itself."""
    import optuna

    class SweepGridSampler(optuna.samplers.GridSampler):
        def after_trial(self, study: Any, trial: Any, state: Any, values: Any) -> None:
            return None

    return SweepGridSampler


def open_study(checked: CheckedSweep, folder: SweepFolder) -> optuna.Study:
    """Create the study, or load it to continue; refuse one that was started with other words.

    Raises:
        SweepError: If the storage cannot be opened, or the study exists with other parameters, run
            words, objective or direction.
    """
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)  # the sweep prints its own line per trial
    with folder.locked():  # two workers starting together create the tables and the study once
        storage = open_storage(checked.storage)
        try:
            study = optuna.create_study(
                storage=storage, study_name=checked.study, direction=checked.direction, load_if_exists=True,
                sampler=make_sampler(checked, 0), pruner=make_pruner(checked),
            )
        except ValueError as error:  # e.g. a study of several objectives under that name
            raise SweepError(f"study={checked.study} in {checked.storage}: {error}") from error
        identity = checked.spec.identity()
        recorded = study.user_attrs.get(IDENTITY)
        if recorded is None and study.get_trials(deepcopy=False):
            raise SweepError(
                f"study '{checked.study}' in {checked.storage} holds trials that no ganzoo sweep started; choose another study= or out="
            )
        if recorded is None:
            study.set_user_attr(IDENTITY, identity)
        elif recorded != identity:
            raise SweepError(f"study '{checked.study}' in {checked.storage} was started with other words ({_difference(recorded, identity)}); "
                             "run its own command again, or choose another out= or study=")
        if study.direction.name.lower() != checked.direction:
            raise SweepError(f"study '{checked.study}' in {checked.storage} is to {study.direction.name.lower()}, not {checked.direction}; "
                             "drop direction= or choose another out= or study=")
        if not study.get_trials(deepcopy=False) and folder.trial_directories():
            raise SweepError(f"out={folder.path} holds trial directories but study '{checked.study}' has no trials; choose another out=")
    return study


def _difference(recorded: dict[str, Any], identity: dict[str, Any]) -> str:
    for key in ("parameters", "fixed", "objective", "score"):
        if recorded.get(key) != identity.get(key):
            old, new = recorded.get(key), identity.get(key)
            if key == "parameters":
                old = " ".join(f"{k}={v}" for k, v in (old or {}).items())
                new = " ".join(f"{k}={v}" for k, v in (new or {}).items())
            elif key == "fixed":
                old, new = " ".join(old or []), " ".join(new or [])
            return f"{key}: {old or '-'} then, {new or '-'} now"
    return "other settings"


def pick_trial(study: optuna.Study, folder: SweepFolder, checked: CheckedSweep) -> tuple[Any, Any, FileLock] | None:
    """The next trial this worker runs, with its claim held: one left by a dead worker, or a new one.

    Returns:
        ``(trial, left, claim)``: the :class:`optuna.Trial`, the frozen trial taken over (``None`` for a
        new trial) and the held claim; ``None`` when the study has its ``trials`` already.
    """
    import optuna
    from optuna.trial import TrialState

    with folder.locked():
        trials = study.get_trials(deepcopy=False)
        now = datetime.now()
        for frozen in trials:
            if frozen.state != TrialState.RUNNING:
                continue
            mine = folder.claim_path(frozen.number).is_file()
            asked_and_dropped = "worker" not in frozen.user_attrs and frozen.datetime_start is not None and now - frozen.datetime_start > UNCLAIMED_AFTER
            if not (mine or asked_and_dropped):
                continue  # run by a worker elsewhere (another machine's sweep folder)
            claim = folder.claim(frozen.number)
            if claim is None:
                continue  # its worker is alive
            study.sampler = make_sampler(checked, frozen.number)  # for parameters it never drew
            trial = optuna.Trial(study, frozen._trial_id)
            takeovers = int(frozen.user_attrs.get("takeovers", 0)) + 1
            if takeovers > MAX_TAKEOVERS:  # it kills whichever process runs it: give up on it
                message = f"its worker died {takeovers} times (a crash, a kill, or out of memory?)"
                trial.set_user_attr("error", message)
                study.tell(trial, state=TrialState.FAIL)
                claim.release()
                print(f"trial {frozen.number} failed: {message}", flush=True)
                continue
            trial.set_user_attr("takeovers", takeovers)
            trial.set_user_attr("worker", worker_name())
            return trial, frozen, claim
        if len(trials) >= int(checked.spec.trials or 0):
            return None
        study.sampler = make_sampler(checked, len(trials))
        trial = study.ask()
        claim = folder.claim(trial.number)
        if claim is None:  # cannot happen: trial numbers are never reused
            raise SweepError(f"trial {trial.number}'s claim {folder.claim_path(trial.number)} is held by another process")
        trial.set_user_attr("worker", worker_name())
        trial.set_user_attr("run", trial_name(trial.number))
        return trial, None, claim
