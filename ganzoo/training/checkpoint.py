"""Checkpoints: everything a run needs to continue exactly, written atomically, read safely.

A checkpoint is one ``torch.save`` file holding plain data and tensors only: the resolved
configuration, the step and epoch, every network, optimiser, learning-rate scheduler and schedule
(EMA weights included), the history pools, every random state and the latest losses. It is loaded with
``weights_only=True``, so a file carrying pickled code is refused instead of run.
"""

from __future__ import annotations

import pickle
import random
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ganzoo.atomic import atomic_path
from ganzoo.errors import GanzooError

FORMAT = "ganzoo-checkpoint"
VERSION = 1
LATEST = "latest"  # a text file in the checkpoint folder naming the newest complete checkpoint


class CheckpointError(GanzooError):
    """A checkpoint that is missing, truncated, foreign, unsafe, or made for another configuration."""


def capture_rng_state() -> dict[str, Any]:
    """The states of every random stream a run draws from (Python, NumPy, torch CPU and CUDA)."""
    numpy_state = np.random.get_state()
    state: dict[str, Any] = {
        "python": random.getstate(),
        # NumPy's state holds an array; stored as a tensor so that weights_only loading accepts it.
        "numpy": [numpy_state[0], torch.from_numpy(numpy_state[1].astype(np.int64)), *numpy_state[2:]],
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore_rng_state(state: dict[str, Any]) -> None:
    """Restore what :func:`capture_rng_state` returned."""
    random.setstate(tuple(item if not isinstance(item, list) else tuple(item) for item in state["python"]))
    kind, keys, *rest = state["numpy"]
    np.random.set_state((kind, keys.numpy().astype(np.uint32), *rest))
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def save_checkpoint(path: Path, state: dict[str, Any]) -> None:
    """Write a checkpoint atomically (a crash leaves the previous file intact)."""
    payload = {"format": FORMAT, "version": VERSION, **state}
    with atomic_path(path) as temporary:
        torch.save(payload, temporary)


def load_checkpoint(path: str | Path) -> dict[str, Any]:
    """Read a checkpoint without running any code it might carry.

    Args:
        path: A checkpoint file, or a run directory (its newest checkpoint is taken).

    Raises:
        CheckpointError: Naming the file and what is wrong with it.
    """
    path = resolve_checkpoint(Path(path))
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        # torch's message is a page long; the line naming the refused object is the useful one.
        lines = [line.strip() for line in str(error).splitlines() if line.strip()]
        detail = next((line for line in lines if "Unsupported global" in line), lines[0] if lines else "")
        raise CheckpointError(
            f"'{path}' holds objects other than tensors and plain data and was refused (loading it could run "
            f"code); only load checkpoints written by ganzoo from sources you trust ({detail})"
        ) from error
    except (RuntimeError, EOFError, zipfile.BadZipFile, OSError, ValueError) as error:
        raise CheckpointError(f"'{path}' is not a readable checkpoint (truncated or corrupt?): {error}") from error
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(f"'{path}' is not a ganzoo checkpoint (no '{FORMAT}' marker)")
    if payload.get("version") != VERSION:
        raise CheckpointError(f"'{path}' is a version {payload.get('version')} checkpoint; this ganzoo reads version {VERSION}")
    return payload


def resolve_checkpoint(path: Path) -> Path:
    """Turn a run directory into its newest checkpoint; check that the file exists.

    Raises:
        CheckpointError: If there is no such file, or the run has no checkpoint yet.
    """
    if path.is_dir():
        folder = path / "checkpoints" if (path / "checkpoints").is_dir() else path
        latest = folder / LATEST
        if latest.is_file():
            candidate = folder / latest.read_text(encoding="utf-8").strip()
            if candidate.is_file():
                return candidate
        files = sorted(folder.glob("step_*.pt"))
        if not files:
            raise CheckpointError(f"'{path}' holds no checkpoint (expected {folder}/step_*.pt)")
        return files[-1]
    if not path.is_file():
        raise CheckpointError(f"checkpoint '{path}' does not exist")
    return path


def checkpoint_name(step: int) -> str:
    """The file name of the checkpoint taken after ``step`` steps."""
    return f"step_{step:08d}.pt"
