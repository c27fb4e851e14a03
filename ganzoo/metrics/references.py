"""Real images to compare with, and the statistics of their features, computed once per process.

An evaluation compares generated images with a *reference*: real images of one split of the run's
data set, spread evenly over it. The features of a reference (and the torchmetrics metrics holding
them) are computed once per process and reused, so a periodic evaluation costs only the generated
images; a batch's features are computed once however many metrics read it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import torch

from ganzoo.config import NAME_KEY, slot_params
from ganzoo.contracts import FeatureExtractor, Measure
from ganzoo.errors import GanzooError, MeasurementError

if TYPE_CHECKING:
    from torchmetrics import Metric

    from ganzoo.training.build import BuiltRun

logger = logging.getLogger("ganzoo.metrics")

#: Images per batch while evaluating.
BATCH_SIZE = 250


def make_metric(name: str, measure: Measure, features: FeatureExtractor | None = None) -> Metric:
    """The measure's torchmetrics metric; a refusal is reported under the name it was selected by."""
    try:
        return measure.make(features)
    except GanzooError as error:
        raise GanzooError(f"metric '{name}': {error}") from error


def spread_indices(count: int, limit: int) -> list[int]:
    """``min(count, limit)`` indices spread evenly over ``range(count)`` (data sets are often sorted by class)."""
    take = min(count, limit)
    return [i * count // take for i in range(take)]


def batches(dataset: Any, indices: Sequence[int], batch_size: int = BATCH_SIZE) -> Iterator[dict[str, torch.Tensor]]:
    for start in range(0, len(indices), batch_size):
        items = [dataset[i] for i in indices[start : start + batch_size]]
        yield {key: torch.stack([item[key] for item in items]) for key in items[0]}


class SharedFeatures(FeatureExtractor):
    """An extractor that computes a batch's features once, however many metrics read that batch.

    Every metric of an evaluation is updated with the same tensor object in turn, so remembering the
    last batch (by identity, holding it so that its id cannot be reused) is enough.
    """

    def __init__(self, extractor: FeatureExtractor) -> None:
        super().__init__()
        self.extractor = extractor
        self.num_features = extractor.num_features
        self.key = extractor.key
        self._last: tuple[torch.Tensor, torch.Tensor] | None = None

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        if self._last is None or self._last[0] is not images:
            self._last = (images, self.extractor(images))
        return self._last[1]

    def forget(self) -> None:
        """Drop the remembered batch (and the memory it holds)."""
        self._last = None

    @property
    def classifier(self) -> torch.nn.Module | None:
        return self.extractor.classifier


_shared: dict[str, SharedFeatures] = {}


def shared_features(extractor: FeatureExtractor) -> SharedFeatures:
    if extractor.key not in _shared:
        _shared[extractor.key] = SharedFeatures(extractor)
    return _shared[extractor.key]


def feed(metrics: Iterable[tuple[Measure, Metric]], images: torch.Tensor, *, real: bool) -> None:
    """Feed one batch to every metric (distribution metrics as real or fake images).

    Raises:
        MeasurementError: If generated images hold NaN or infinite values (a diverged generator): the
            statistics of such features cannot be computed, and the linear algebra behind FID may
            even abort the process on them.
    """
    if not real and not bool(torch.isfinite(images).all()):
        raise MeasurementError(
            "the generated images hold NaN or infinite values (the generator has diverged), so they cannot be measured"
        )
    for measure, metric in metrics:
        if measure.family == "distribution":
            metric.update(images, real=real)
        elif not real:
            metric.update(images)


class Reference:
    """Real images of one split, and the torchmetrics metrics loaded with their features."""

    def __init__(self, dataset: Any, tensor: str, indices: list[int]) -> None:
        self.dataset = dataset
        self.tensor = tensor
        self.indices = indices
        self.metrics: dict[tuple[str, str, str, str], Metric] = {}
        self.baselines: dict[tuple[str, str, str], dict[str, float]] = {}

    def load(self, measures: Mapping[str, Measure], extractor: FeatureExtractor, device: torch.device) -> dict[str, Metric]:
        """Metrics of the distribution ``measures`` (by name) holding the features of these real images, fakes reset.

        The metrics missing from the cache are filled together, in one pass over the images.
        """
        shared = shared_features(extractor)
        # By name too: two names for one measure class must not feed one metric twice.
        keys = {name: (name, m.key, extractor.key, str(device)) for name, m in measures.items() if m.family == "distribution"}
        missing = {name: make_metric(name, measures[name], shared).to(device) for name, key in keys.items() if key not in self.metrics}
        if missing:
            fed = [(measures[name], metric) for name, metric in missing.items()]
            for batch in batches(self.dataset, self.indices):
                feed(fed, batch[self.tensor].to(device), real=True)
            shared.forget()
            self.metrics |= {keys[name]: metric for name, metric in missing.items()}
        loaded = {name: self.metrics[key] for name, key in keys.items()}
        for metric in loaded.values():
            metric.reset()  # drops the previous fakes only (reset_real_features=False)
        return loaded


_references: dict[str, Reference] = {}
_test_sets: dict[str, Any] = {}


def _data_key(config: Mapping[str, Any], split: str, tensor: str, limit: int) -> str:
    return json.dumps([config["data"], split, tensor, limit], sort_keys=True, default=str)


def reference_images(run: BuiltRun, dataset: Any, split: str, tensor: str, limit: int) -> Reference:
    key = _data_key(run.config, split, tensor, limit)
    if key not in _references:
        if len(_references) >= 8:  # a long-lived process evaluating many runs: keep the newest
            _references.pop(next(iter(_references)))
        _references[key] = Reference(dataset, tensor, spread_indices(len(dataset), limit))
    return _references[key]


def held_out_split(run: BuiltRun) -> Any | None:
    """The run's data set rebuilt with ``split="test"``, or ``None`` when its part has no such split."""
    slot = run.config["data"]
    part = run.registry.get("dataset", str(slot[NAME_KEY]))
    if not part.accepts("split"):
        return None
    key = json.dumps(slot, sort_keys=True, default=str)
    if key not in _test_sets:
        try:
            _test_sets[key] = part.build(**{**slot_params(slot), "split": "test"})
        except GanzooError as error:
            logger.warning("data set '%s' has no usable test split (%s)", part.name, error)
            return None
    return _test_sets[key]
