"""ganzoo-wandb: the ``wandb`` tracker, which follows ganzoo training runs in Weights & Biases.

``ganzoo train recipe=dcgan tracker=wandb tracker.project=gans`` logs the run's configuration, every
value of ``metrics.jsonl`` at its ganzoo step, the sample grids, the loss curves, the best checkpoint
and the end status; a resumed run continues the same W&B run. See :mod:`ganzoo_wandb.tracker`.
"""

from __future__ import annotations

from importlib import metadata

try:
    __version__ = metadata.version("ganzoo-wandb")
except metadata.PackageNotFoundError:  # pragma: no cover - run from a source tree
    __version__ = "0+unknown"

__all__ = ["__version__"]
