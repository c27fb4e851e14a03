"""Evaluation during training, and the best checkpoint it keeps.

A run's ``eval`` settings switch it on::

    eval: {every: 1000, metrics: [fid], n: 1000, features: digits, best: fid}

Every ``every`` steps, and after the last step of a run at least ``every`` steps long, the trainer
calls :meth:`PeriodicEvaluation.run_if_due`: the run is measured with
:func:`ganzoo.metrics.evaluate_run`, the figures are logged to
``metrics.jsonl`` with an ``eval/`` prefix, and when the ``best`` measure improved (lower is better
for ``fid``, ``kid`` and ``l1``; higher for ``psnr``, ``ssim`` and ``is``) the run is saved as
``checkpoints/best.pt``, with the figure and step in ``checkpoints/best.json``. ``best: null`` keeps no
best checkpoint; ``every: 0`` (the default) switches evaluation off.

Evaluation draws from none of the training random streams, so a run gives the same weights with
evaluation on or off, and a resumed run continues exactly.
"""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ganzoo.atomic import atomic_write_text
from ganzoo.contracts import FeatureExtractor
from ganzoo.errors import ConfigError, GanzooError
from ganzoo.metrics.evaluate import EVAL_DEFAULTS, _measure, evaluate_run, finite, plan_evaluation
from ganzoo.metrics.features import build_features
from ganzoo.training import checkpoint as ckpt

if TYPE_CHECKING:
    from ganzoo.training.trainer import Trainer

logger = logging.getLogger("ganzoo.metrics")

__all__ = ["BEST_CHECKPOINT", "BEST_RECORD", "PeriodicEvaluation"]

#: The best checkpoint's file name, in the run's ``checkpoints`` folder.
BEST_CHECKPOINT = ckpt.BEST_CHECKPOINT
#: The record of the best figure, beside it.
BEST_RECORD = "best.json"


class PeriodicEvaluation:
    """Measures a run every ``eval.every`` steps and keeps its best checkpoint.

    The settings are checked, and the feature extractor loaded (once per process), when the run is
    set up: a mistake or missing weights stop the run before anything is written or trained.

    Args:
        trainer: The run.

    Raises:
        ConfigError: For a negative ``every``, ``n`` below 2, an unknown measure or feature
            extractor, measures that do not apply to the run, or a ``best`` that is not measured.
    """

    def __init__(self, trainer: Trainer) -> None:
        self.trainer = trainer
        settings = {**EVAL_DEFAULTS, **dict(trainer.config.get("eval") or {})}
        unknown = sorted(set(settings) - set(EVAL_DEFAULTS))
        if unknown:
            raise ConfigError(f"eval has no setting {', '.join(unknown)} (it has {', '.join(EVAL_DEFAULTS)})")
        try:
            self.every = int(settings["every"])
            self.n = int(settings["n"])
        except (TypeError, ValueError) as error:
            raise ConfigError(f"eval.every and eval.n take integers: {error}") from error
        if self.every < 0:
            raise ConfigError(f"eval.every={self.every}: use 0 to switch evaluation off, or a number of steps")
        self.best: str | None = settings["best"] or None
        self.seed = 0
        self.metrics: tuple[str, ...] = ()
        self.higher_is_better = False
        self.best_value: float | None = None
        self.best_step: int | None = None
        self.features: FeatureExtractor | None = None
        if not self.every:
            return
        if self.n < 2:
            raise ConfigError(f"eval.n={self.n}: measuring a distribution needs at least 2 images")
        self.metrics = plan_evaluation(trainer.built).metrics  # checks every name and that each applies
        # Built now (once per process) so that missing weights stop the run before it trains.
        self.features = build_features(settings["features"], trainer.registry)
        if self.best is not None:
            if self.best not in self.metrics:
                raise ConfigError(
                    f"eval.best={self.best} is not measured (eval.metrics gives {', '.join(self.metrics)}); "
                    "name one of those, or best=null to keep no best checkpoint"
                )
            self.higher_is_better = _measure(trainer.registry, self.best).higher_is_better
            self._load_record()

    @property
    def folder(self) -> Path:
        """The run's checkpoint folder."""
        return self.trainer.directory / "checkpoints"

    def _load_record(self) -> None:
        path = self.folder / BEST_RECORD
        if not path.is_file():
            return
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
            value, step = float(record["value"]), int(record["step"])
        except (OSError, ValueError, KeyError, TypeError) as error:
            logger.warning("ignoring unreadable %s (%s): the next evaluation starts a new best", path, error)
            return
        # A run resumed from before its best step repeats those steps; that best is not yet reached.
        if record.get("metric") == self.best and step <= self.trainer.step:
            self.best_value, self.best_step = value, step

    def due(self, last: bool) -> bool:
        """Whether the run is evaluated at its current step: every ``every`` steps, and at the last
        step of a run at least ``every`` steps long (a short smoke run pays for no evaluation)."""
        if not self.every:
            return False
        return self.trainer.step % self.every == 0 or (last and self.trainer.total_steps >= self.every)

    def _improves(self, value: float | None) -> bool:
        if value is None or not math.isfinite(value):
            return False
        if self.best_value is None:
            return True
        return value > self.best_value if self.higher_is_better else value < self.best_value

    def run_if_due(self, last: bool = False) -> dict[str, float]:
        """Evaluate when due; keep the best checkpoint.

        Every process of a multi-process run must call it; only the main one measures and writes.

        Args:
            last: Whether the step just taken is the run's last.

        Returns:
            The figures with an ``eval/`` prefix (empty when not due, and on other processes).
        """
        if not self.due(last):
            return {}
        trainer = self.trainer
        values: dict[str, float] = {}
        improved = False
        if trainer.is_main_process:
            try:
                values = finite(evaluate_run(trainer.built, metrics=self.metrics, n=self.n, features=self.features, seed=self.seed))
            except GanzooError as error:
                # e.g. Inception weights that cannot be had: training goes on, the figures are missing.
                logger.warning("step %d: evaluation failed: %s", trainer.step, error)
            improved = self.best is not None and self._improves(values.get(self.best))
        group = getattr(trainer, "group", None)
        if group is not None and getattr(group, "enabled", False):
            from ganzoo.training import distributed

            improved = bool(distributed.any_process(improved, trainer.device))  # the main process decides
        if improved:
            state = trainer.state_dict()  # every process takes part (random states are gathered)
            if trainer.is_main_process:
                self._save_best(state, values)
        return {f"eval/{key}": value for key, value in values.items()}

    def _save_best(self, state: dict[str, Any], values: dict[str, float]) -> None:
        assert self.best is not None
        step = self.trainer.step
        self.best_value, self.best_step = values[self.best], step
        ckpt.save_checkpoint(self.folder / BEST_CHECKPOINT, state)
        record = {
            "metric": self.best,
            "value": self.best_value,
            "step": step,
            "higher_is_better": self.higher_is_better,
            "checkpoint": BEST_CHECKPOINT,
            "values": values,
        }
        atomic_write_text(self.folder / BEST_RECORD, json.dumps(record, indent=2) + "\n")
        logger.info("step %d: best %s so far (%.4g); saved %s", step, self.best, self.best_value, self.folder / BEST_CHECKPOINT)
