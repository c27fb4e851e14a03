"""The contract of the ``tracker`` parts: :class:`Tracker`, which follows a run for an experiment tracker.

A run picks one with ``tracker=NAME`` and sets its parameters with ``tracker.PARAM=VALUE``, like any
part; ``tracker=none`` (the default) follows nothing. The tracker's settings are part of the run's
configuration, so ``config.yaml`` records them and a resumed run follows the same tracker.

The trainer builds the tracker in the main process only (rank 0 of a distributed run) and calls its
methods at the moments the plugin lifecycle hooks are called (:mod:`ganzoo.hookspecs`), after the
plugins' own implementations, with the same arguments. Every method is optional. A method that
raises, for example because the tracker's server cannot be reached, is reported in one warning and
the tracker is left out of the rest of the run: a tracker never costs a run its training. A bad
parameter, on the other hand, is refused before anything is written, as any part's is.

Constructors should only check and keep their settings; connect in :meth:`Tracker.run_start`, where
the run directory exists and the run's configuration is resolved.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["Tracker"]


class Tracker:
    """Follows one training run: parameters, logged values, images, checkpoints and the end status.

    Subclass it and override what the tracker records. ``run`` is the
    :class:`~ganzoo.training.Trainer`: ``run.directory`` (the run directory, where a tracker can keep
    the id of its own run so that a resume continues it), ``run.config`` (the resolved configuration),
    ``run.step`` (the step it starts from: above 0 after a resume), ``run.resumed_from`` (the run
    directory or checkpoint a resumed run continues, which differs from ``run.directory`` for a run
    continued elsewhere with ``out=OTHER``; ``None`` for a new run).
    """

    def run_start(self, run: Any) -> None:
        """The run is about to take its first step (also after a resume)."""

    def step_end(self, run: Any, step: int, losses: dict[str, float]) -> None:
        """Values were logged at ``step``: those of ``metrics.jsonl`` (see :func:`ganzoo.hookspecs.ganzoo_step_end`)."""

    def samples_written(self, run: Any, step: int, path: Path) -> None:
        """A grid of samples was written to ``path``."""

    def checkpoint_saved(self, run: Any, step: int, path: Path) -> None:
        """A checkpoint was written completely to ``path``."""

    def run_end(self, run: Any, status: str) -> None:
        """The run ended: ``completed``, ``interrupted``, ``stopped`` or ``failed``; ``loss_curves.png`` is written."""
