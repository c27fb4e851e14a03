"""Checkpoints: everything a run needs to continue exactly, written atomically, read safely.

A checkpoint is one ``torch.save`` file holding plain data and tensors only: the resolved
configuration, the step and epoch, every network, optimiser, learning-rate scheduler and schedule
(EMA weights included), the history pools, the augmentations' state (section ``augment``, in runs
that augment: ADA's probability), every random state, the latest losses and the state a loss keeps
between steps (``losses``, absent from older checkpoints). It is loaded with
``weights_only=True``, so a file carrying pickled code is refused instead of run, and its sections are
checked before any is used, so a damaged file is named instead of failing later.

Given a run directory, :func:`load_checkpoint` takes the newest checkpoint that loads: when the one
``latest`` names is damaged or gone, it says so and falls back to the previous complete one.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from pathlib import Path
from typing import Any

import torch

from ganzoo.atomic import OutputError, atomic_path, atomic_write_text
from ganzoo.errors import GanzooError
from ganzoo.tensor_files import read_tensor_file

FORMAT = "ganzoo-checkpoint"
VERSION = 1
LATEST = "latest"  # a text file in the checkpoint folder naming the newest complete checkpoint
#: The best checkpoint's file name, in the run's ``checkpoints`` folder (kept by periodic evaluation).
BEST_CHECKPOINT = "best.pt"

logger = logging.getLogger(__name__)

#: The type of each section a checkpoint holds; ``config.KEY`` names a section of the configuration.
SECTIONS: dict[str, type | tuple[type, ...]] = {
    "config": dict,
    "config.networks": dict,
    "config.generator": dict,
    "config.discriminator": dict,
    "config.data": dict,
    "config.forward": dict,
    "config.loss": dict,
    "config.schedule": dict,
    "config.optim": dict,
    "config.train": dict,
    "step": int,
    "epoch": int,
    "epoch_items": int,
    "networks": dict,
    "optimizers": dict,
    "lr_schedulers": dict,
    "schedule": dict,
    "pools": dict,
    "rng": dict,
}
#: What continuing a run (or rebuilding its trainer, as ``ganzoo eval`` does) reads: everything.
RESUME_SECTIONS: tuple[str, ...] = tuple(SECTIONS)
#: What rebuilding the generators reads (``ganzoo sample``): their configuration, weights and averages.
GENERATOR_SECTIONS: tuple[str, ...] = ("config", "config.networks", "config.generator", "config.schedule", "networks", "schedule")


class CheckpointError(GanzooError):
    """A checkpoint that is missing, truncated, foreign, unsafe, or made for another configuration."""


# torch's zip writer reports a failed write (a full disk, mostly) as a RuntimeError.
_WRITER_FAILURES = ("PytorchStreamWriter", "inline_container", "file write failed", "unexpected pos")


def save_checkpoint(path: Path, state: dict[str, Any]) -> None:
    """Write a checkpoint atomically (a crash or a full disk leaves the previous file intact).

    Raises:
        OutputError: If the file cannot be written, naming the path and the cause.
    """
    payload = {"format": FORMAT, "version": VERSION, **state}
    with atomic_path(path) as temporary:
        try:
            torch.save(payload, temporary)
        except RuntimeError as error:
            message = str(error)
            if not any(marker in message for marker in _WRITER_FAILURES):
                raise
            cause = next((line.strip(" .") for line in message.splitlines() if "PytorchStreamWriter" in line), message.strip())
            cause = cause.split("] ", 1)[-1].strip(" .")  # drop torch's "[enforce fail at file.cc:N]" prefix
            raise OutputError(f"cannot write checkpoint '{path}' (no space left?): {cause}") from error


def check_sections(payload: dict[str, Any], needed: Collection[str], path: Path | str) -> None:
    """Check that a checkpoint holds the sections a use of it reads, each of the right type.

    Args:
        payload: The loaded checkpoint.
        needed: Names from :data:`SECTIONS` (``config.train`` is the configuration's ``train``).
        path: The file, for the message.

    Raises:
        CheckpointError: Naming the file and every missing or ill-typed section.
    """
    missing, wrong = [], []
    for name in needed:
        holder: Any = payload
        *parents, key = name.split(".")
        for parent in parents:
            holder = holder.get(parent) if isinstance(holder, dict) else None
        if not isinstance(holder, dict) or key not in holder:
            missing.append(name)
        elif not isinstance(holder[key], SECTIONS.get(name, object)) or isinstance(holder[key], bool):
            wrong.append(f"{name} ({type(holder[key]).__name__})")
    if missing or wrong:
        problems = ([f"lacks {', '.join(missing)}"] if missing else []) + ([f"has ill-typed {', '.join(wrong)}"] if wrong else [])
        raise CheckpointError(f"'{path}' is a damaged ganzoo checkpoint: it {' and '.join(problems)}")


def load_checkpoint(path: str | Path, *, require: Collection[str] = RESUME_SECTIONS) -> dict[str, Any]:
    """Read a checkpoint without running any code it might carry.

    Args:
        path: A checkpoint file, or a run directory. For a directory, the checkpoint ``latest`` names
            is taken; if it does not load, the previous complete ``step_*.pt`` is, with a warning
            naming the file skipped.
        require: The sections the caller reads (see :data:`SECTIONS`); the default is everything a
            resumed run needs, :data:`GENERATOR_SECTIONS` is enough to sample.

    Raises:
        CheckpointError: Naming the file and what is wrong with it (for a directory, with its newest
            checkpoint, when none loads).
    """
    path = Path(path)
    if not path.is_dir():
        return _load_file(resolve_checkpoint(path), require)
    first_error: CheckpointError | None = None
    skipped: list[str] = []
    for candidate in checkpoint_candidates(path):
        try:
            payload = _load_file(candidate, require)
        except CheckpointError as error:
            first_error = first_error or error
            skipped.append(f"{error}")
            continue
        for reason in skipped:
            logger.warning("skipping a checkpoint that does not load: %s; using '%s'", reason, candidate)
        return payload
    assert first_error is not None  # checkpoint_candidates raises when there is none
    raise first_error


def _load_file(path: Path, require: Collection[str]) -> dict[str, Any]:
    payload = read_tensor_file(path, "checkpoint", CheckpointError)
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(f"'{path}' is not a ganzoo checkpoint (no '{FORMAT}' marker)")
    if payload.get("version") != VERSION:
        raise CheckpointError(f"'{path}' is a version {payload.get('version')} checkpoint; this ganzoo reads version {VERSION}")
    check_sections(payload, require, path)
    return payload


def checkpoint_candidates(directory: Path) -> list[Path]:
    """A run's checkpoints, newest first: the one ``latest`` names, then every ``step_*.pt`` by step.

    Raises:
        CheckpointError: If the run has no checkpoint yet.
    """
    newest = resolve_checkpoint(directory)
    folder = newest.parent
    return [newest, *(file for file in sorted(folder.glob("step_*.pt"), reverse=True) if file != newest)]


def resolve_checkpoint(path: Path) -> Path:
    """Turn a run directory into its newest checkpoint; check that the file exists.

    Raises:
        CheckpointError: If there is no such file, or the run has no checkpoint yet.
    """
    if path.is_dir():
        folder = path / "checkpoints" if (path / "checkpoints").is_dir() else path
        named = _named_by_latest(folder)
        if named is not None:
            return named
        files = sorted(folder.glob("step_*.pt"))
        if not files:
            raise CheckpointError(f"'{path}' holds no checkpoint (expected {folder}/step_*.pt)")
        return files[-1]
    if not path.is_file():
        raise CheckpointError(f"checkpoint '{path}' does not exist")
    return path


def _named_by_latest(folder: Path) -> Path | None:
    """The checkpoint file ``folder/latest`` names, if both exist."""
    latest = folder / LATEST
    if not latest.is_file():
        return None
    candidate = folder / latest.read_text(encoding="utf-8").strip()
    return candidate if candidate.is_file() else None


def kept_checkpoint(directory: Path, *, best: bool = True) -> Path | None:
    """The checkpoint to keep from a run directory, as trackers log it at the end of a run.

    Args:
        directory: The run directory.
        best: Prefer ``checkpoints/best.pt`` when the run's evaluations kept one.

    Returns:
        ``best.pt`` (when ``best`` and it exists), else the checkpoint ``checkpoints/latest`` names;
        ``None`` when the run has neither.
    """
    folder = Path(directory) / "checkpoints"
    if best and (folder / BEST_CHECKPOINT).is_file():
        return folder / BEST_CHECKPOINT
    return _named_by_latest(folder)


def checkpoint_name(step: int) -> str:
    """The file name of the checkpoint taken after ``step`` steps."""
    return f"step_{step:08d}.pt"


def publish_checkpoint(path: Path, keep: int) -> None:
    """Point ``latest`` at a checkpoint just written, and drop all but the newest ``keep`` (0 keeps all)."""
    atomic_write_text(path.parent / LATEST, path.name + "\n")
    if keep > 0:
        for old in sorted(path.parent.glob("step_*.pt"))[:-keep]:
            old.unlink(missing_ok=True)
