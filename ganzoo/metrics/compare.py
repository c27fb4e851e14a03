"""Measuring images from anywhere, as a run's images are measured: ``ganzoo eval fake=… real=…``.

Generated images from any source (a folder another tool wrote, an ``.npz`` file of an evaluation
suite, ``ganzoo sample out=…``) are compared with real images (a folder, an array file or a data set
part) through the same feature extractors, resizing and measures as a checkpoint's
(:mod:`ganzoo.metrics.evaluate`): the real side contributes up to
:data:`~ganzoo.metrics.evaluate.REFERENCE_LIMIT` images, spread evenly over it, and the generated side
all of its images up to the same limit (or ``n``), spread likewise. Distribution measures (``fid``,
``kid``, ``precision``, ``recall``, ``density``, ``coverage``) and sample measures (``is``,
``classes``) apply; paired measures, which need each output's own target, do not.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import torch

from ganzoo.contracts import FeatureExtractor, Measure
from ganzoo.errors import ConfigError
from ganzoo.metrics.evaluate import REFERENCE_LIMIT
from ganzoo.metrics.features import build_features
from ganzoo.metrics.image_sets import ImageSet
from ganzoo.metrics.references import feed, make_metric, shared_features, spread_indices
from ganzoo.training.recipes import EVAL_DEFAULTS

__all__ = ["Comparison", "evaluate_images"]


@dataclass(frozen=True)
class Comparison:
    """What :func:`evaluate_images` measured.

    Attributes:
        values: Figures by name (``fid``, ``kid`` and ``kid_std``, ``precision``, …).
        metrics: The measures, by the names they were selected by.
        fake_count: Generated images used.
        real_count: Real images used.
        channels: The channels both sets were compared in (1 when both are grey).
    """

    values: dict[str, float]
    metrics: tuple[str, ...]
    fake_count: int
    real_count: int
    channels: int


def evaluate_images(
    fake: ImageSet,
    real: ImageSet,
    *,
    metrics: Sequence[str] | None = None,
    n: int | None = None,
    features: str | Mapping[str, Any] | FeatureExtractor | None = None,
    device: torch.device | str = "cpu",
    seed: int = 0,
    registry: Any = None,
) -> Comparison:
    """Measure a set of generated images against a set of real ones.

    Args:
        fake: The generated images (see :func:`ganzoo.metrics.image_sets.open_image_set`).
        real: The real images.
        metrics: Measure names (default: ``eval.metrics``'s default, ``fid``).
        n: Generated images to use at most, spread evenly (default: all, up to 50,000).
        features: The feature extractor: a name, a slot or an extractor (default: ``digits``).
        device: Where features are computed.
        seed: Seed of the measures' random subsets (KID, IS).
        registry: Where measures and extractors are looked up (default: the process-wide registry).

    Raises:
        ConfigError: For a paired measure, or ``n`` below 2.
        FeaturesError: When the feature extractor's weights cannot be had.
    """
    if registry is None:
        from ganzoo.plugins import get_registry

        registry = get_registry()
    names = list(metrics) if metrics is not None else list(EVAL_DEFAULTS["metrics"])
    if not names:
        raise ConfigError("no metric to compute: name at least one, e.g. metric=fid")
    if n is not None and n < 2:
        raise ConfigError(f"n={n}: measuring a distribution needs at least 2 images")
    measures: dict[str, Measure] = {name: registry.get("metric", name).build() for name in dict.fromkeys(names)}
    for name, measure in measures.items():
        if measure.family == "paired":
            raise ConfigError(
                f"metric '{name}' compares each output with its own target, which sets of images do not pair; "
                "use a distribution measure such as fid, kid, precision or coverage"
            )
    device = torch.device(device)
    extractor = build_features(EVAL_DEFAULTS["features"] if features is None else features, registry).to(device)
    shared = shared_features(extractor)
    made = {name: make_metric(name, measure, shared).to(device) for name, measure in measures.items()}
    channels = max(fake.channels, real.channels)  # grey is repeated to compare with colour
    fake_indices = spread_indices(fake.count, min(n or REFERENCE_LIMIT, REFERENCE_LIMIT))
    real_indices = spread_indices(real.count, REFERENCE_LIMIT)
    fed = [(measures[name], metric) for name, metric in made.items()]
    if not any(m.family == "distribution" for m in measures.values()):
        real_indices = []  # the sample measures judge the generated images alone
    try:
        if real_indices:
            for images in real.batches(real_indices, channels):
                feed(fed, images.to(device), real=True)
        for images in fake.batches(fake_indices, channels):
            feed(fed, images.to(device), real=False)
    finally:
        shared.forget()
    values: dict[str, float] = {}
    with torch.random.fork_rng(devices=[]):
        for name, measure in measures.items():
            torch.manual_seed(seed)  # KID's subsets and IS's splits: the same draw every time
            values |= measure.values(made[name], name)
    return Comparison(values, tuple(measures), len(fake_indices), len(real_indices), channels)
