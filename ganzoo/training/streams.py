"""The random streams a run draws from: seeded, saved in every checkpoint, restored on resume.

A run draws from Python's, NumPy's and torch's global streams (CPU and CUDA: dropout, augmentation,
data sets) and from its own noise stream. Every process of a multi-process run has its own, all of
which a checkpoint saves, so that a resumed run continues exactly; under another process count the
streams cannot continue as they were, and new ones are seeded from the step.
"""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import torch

from ganzoo.training import distributed


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch (CPU and CUDA)."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


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




def capture_run_streams(noise: torch.Generator, group: distributed.ProcessGroup) -> dict[str, Any]:
    """The global streams and the noise stream, with every process's own in a multi-process run.

    Every process must call it (the streams are gathered).
    """
    state = {**capture_rng_state(), "noise": noise.get_state()}
    if not group.enabled:
        return state
    return {**state, "ranks": distributed.gather_objects(state)}


def restore_run_streams(state: dict[str, Any], saved_world_size: int, noise: torch.Generator, group: distributed.ProcessGroup, *, seed: int) -> None:
    """Continue the streams :func:`capture_run_streams` saved, or start new ones under another process count.

    Args:
        state: The checkpoint's ``rng`` section.
        saved_world_size: The process count the checkpoint was taken under.
        noise: The run's noise stream.
        group: This process's group.
        seed: A seed for new streams (the run's seed and its step), used when the count changed.
    """
    if saved_world_size != group.world_size:
        seed_everything(seed + group.rank)
        noise.manual_seed(seed + group.rank + NOISE_SEED_OFFSET)
        return
    own = state.get("ranks", [state])[group.rank]
    restore_rng_state(own)
    noise.set_state(own["noise"])


#: The seed offset of the noise stream, so that it differs from the global stream of the same seed.
NOISE_SEED_OFFSET = 7919
