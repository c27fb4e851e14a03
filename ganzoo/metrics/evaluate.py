"""Measuring a run: what its generator makes, against real images, with the ``metric`` parts.

What is measured follows from the run's first ``adversarial`` entry: its ``fake`` tensor is what the
generator makes and its ``real`` tensor what that is compared with.

- A run whose generator makes images from noise (and perhaps a class), such as ``dcgan`` or
  ``cgan``: ``n`` generated images (classes balanced when the generator takes one) against the real
  images of the **training** split (the reference), with the held-out **test** split measured against
  the same reference as a baseline (``baseline/fid``): the figure a generator that reproduced the
  data distribution exactly would get with that many images, give or take the sample-size bias.
- A run whose generator translates images (its inputs include ``source``), such as ``pix2pix``: its
  outputs for up to ``n`` items of the **test** split against their targets; for paired data (the
  target is ``image``) also ``l1``, ``psnr`` and ``ssim`` of each output against its own target.

Generators run in evaluation mode, through their weight average when the run keeps one, without
gradients, on noise from a dedicated seeded generator, and every global random stream is restored
afterwards, so evaluating never changes how training continues. The features of the real images are
computed once per process and reused, so periodic evaluation costs only the generated images.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from ganzoo.config import NAME_KEY, slot_params
from ganzoo.contracts import FeatureExtractor, Measure
from ganzoo.errors import ConfigError, GanzooError
from ganzoo.metrics.features import build_features
from ganzoo.metrics.measures import to_unit_range
from ganzoo.training import checkpoint as ckpt
from ganzoo.training.graph import StepTensors

if TYPE_CHECKING:
    from torchmetrics import Metric

    from ganzoo.registry import Registry
    from ganzoo.training.build import AdversarialPair, BuiltRun

logger = logging.getLogger("ganzoo.metrics")

__all__ = [
    "EVAL_DEFAULTS",
    "PAIRED_METRICS",
    "Plan",
    "evaluate_checkpoint",
    "evaluate_run",
    "held_out_split",
    "plan_evaluation",
]

#: The ``eval`` settings of a run (see :data:`ganzoo.training.recipes.RUN_DEFAULTS`).
EVAL_DEFAULTS: dict[str, Any] = {"every": 0, "metrics": ["fid"], "n": 1000, "features": "digits", "best": "fid"}
#: Measures added for image-to-image runs on paired data when no list is given.
PAIRED_METRICS = ("l1", "psnr", "ssim")
#: At most this many real images form a reference (spread evenly over the data set).
REFERENCE_LIMIT = 50_000
#: Images per batch while evaluating.
BATCH_SIZE = 250


@dataclass(frozen=True)
class Plan:
    """What an evaluation of a run measures.

    Attributes:
        task: ``"generation"`` (from noise or a class) or ``"translation"`` (from a ``source`` image).
        pair: The adversarial entry measured: its ``fake`` against its ``real``.
        paired: Whether each output has its own target (``l1``, ``psnr`` and ``ssim`` apply).
        metrics: The measures, by the names they are registered (and reported) under.
    """

    task: str
    pair: AdversarialPair
    paired: bool
    metrics: tuple[str, ...]


def _settings(config: Mapping[str, Any]) -> dict[str, Any]:
    settings = {**EVAL_DEFAULTS, **dict(config.get("eval") or {})}
    if isinstance(settings["metrics"], str):  # metrics=fid on a command line
        settings["metrics"] = [settings["metrics"]]
    return settings


def _generators_behind(run: BuiltRun, tensor: str) -> list[str]:
    """The generators whose outputs ``tensor`` is computed from (through blends and other tensors)."""
    found: list[str] = []
    pending, seen = [tensor], set()
    while pending:
        name = pending.pop()
        if name in seen or name not in run.computations:
            continue
        seen.add(name)
        computation = run.computations[name]
        if computation.net and computation.net in run.generators and computation.net not in found:
            found.append(computation.net)
        pending.extend(computation.sources(run.networks))
    return found


def plan_evaluation(run: BuiltRun, metrics: Sequence[str] | None = None) -> Plan:
    """Decide what :func:`evaluate_run` measures for a run, checking the names without computing anything.

    Args:
        run: The built run.
        metrics: Measure names; default: the run's ``eval.metrics``, plus ``l1``, ``psnr`` and
            ``ssim`` for image-to-image runs on paired data.

    Raises:
        ConfigError: If the run has no adversarial entry, or a paired measure is asked of a run with
            no paired targets.
        UnknownPartError: For an unknown measure name.
    """
    if not run.adversarial:
        raise ConfigError("the run has no adversarial entry, so nothing says which tensor is generated")
    pair = run.adversarial[0]
    translation = any("source" in run.networks[g].inputs for g in _generators_behind(run, pair.fake))
    # "image" is a target paired with its item's source; the unpaired domains are "A" and "B".
    paired = translation and pair.real == "image"
    names = list(metrics) if metrics is not None else list(_settings(run.config)["metrics"])
    if metrics is None and paired:
        names += [name for name in PAIRED_METRICS if name not in names]
    if not names:
        raise ConfigError("no metric to compute: name at least one, e.g. metric=fid")
    for name in names:
        measure = _measure(run.registry, name)
        if measure.family == "paired" and not paired:
            what = "generates from noise" if not translation else f"compares '{pair.fake}' with unpaired '{pair.real}' images"
            raise ConfigError(
                f"metric '{name}' compares each output with its own target, but this run {what}; "
                "use a distribution measure such as fid or kid"
            )
    return Plan("translation" if translation else "generation", pair, paired, tuple(dict.fromkeys(names)))


def _measure(registry: Registry, name: str) -> Measure:
    return registry.get("metric", str(name)).build()  # checked: a Measure


def _make(name: str, measure: Measure, features: FeatureExtractor | None = None) -> Metric:
    """The measure's torchmetrics metric; a refusal is reported under the name it was selected by."""
    try:
        return measure.make(features)
    except GanzooError as error:
        raise GanzooError(f"metric '{name}': {error}") from error


# --- isolation -----------------------------------------------------------------------------------


@contextlib.contextmanager
def _isolated(run: BuiltRun, seed: int) -> Iterator[dict[str, torch.nn.Module]]:
    """Evaluation-mode networks (weight averages where kept), no gradients, and untouched random streams."""
    saved = ckpt.capture_rng_state()
    try:
        torch.manual_seed(seed)  # data sets that draw from the global stream
        with run.inference() as networks:
            yield networks
    finally:
        ckpt.restore_rng_state(saved)


# --- real images, and the statistics of their features ---------------------------------------------


def _spread(count: int, limit: int) -> list[int]:
    """``min(count, limit)`` indices spread evenly over ``range(count)`` (data sets are often sorted by class)."""
    take = min(count, limit)
    return [i * count // take for i in range(take)]


def _batches(dataset: Any, indices: Sequence[int], batch_size: int = BATCH_SIZE) -> Iterator[dict[str, torch.Tensor]]:
    for start in range(0, len(indices), batch_size):
        items = [dataset[i] for i in indices[start : start + batch_size]]
        yield {key: torch.stack([item[key] for item in items]) for key in items[0]}


class _Shared(FeatureExtractor):
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


_shared: dict[str, _Shared] = {}


def _share(extractor: FeatureExtractor) -> _Shared:
    if extractor.key not in _shared:
        _shared[extractor.key] = _Shared(extractor)
    return _shared[extractor.key]


def _update(metrics: Iterable[tuple[Measure, Metric]], images: torch.Tensor, *, real: bool) -> None:
    """Feed one batch to every metric (distribution metrics as real or fake images)."""
    for measure, metric in metrics:
        if measure.family == "distribution":
            metric.update(images, real=real)
        elif not real:
            metric.update(images)


class _Reference:
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
        shared = _share(extractor)
        # By name too: two names for one measure class must not feed one metric twice.
        keys = {name: (name, m.key, extractor.key, str(device)) for name, m in measures.items() if m.family == "distribution"}
        missing = {name: _make(name, measures[name], shared).to(device) for name, key in keys.items() if key not in self.metrics}
        if missing:
            fed = [(measures[name], metric) for name, metric in missing.items()]
            for batch in _batches(self.dataset, self.indices):
                _update(fed, batch[self.tensor].to(device), real=True)
            shared.forget()
            self.metrics |= {keys[name]: metric for name, metric in missing.items()}
        loaded = {name: self.metrics[key] for name, key in keys.items()}
        for metric in loaded.values():
            metric.reset()  # drops the previous fakes only (reset_real_features=False)
        return loaded


_references: dict[str, _Reference] = {}
_test_sets: dict[str, Any] = {}


def _data_key(config: Mapping[str, Any], split: str, tensor: str, limit: int) -> str:
    return json.dumps([config["data"], split, tensor, limit], sort_keys=True, default=str)


def _reference(run: BuiltRun, dataset: Any, split: str, tensor: str, limit: int) -> _Reference:
    key = _data_key(run.config, split, tensor, limit)
    if key not in _references:
        if len(_references) >= 8:  # a long-lived process evaluating many runs: keep the newest
            _references.pop(next(iter(_references)))
        _references[key] = _Reference(dataset, tensor, _spread(len(dataset), limit))
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


# --- evaluation ------------------------------------------------------------------------------------


def evaluate_run(
    run: BuiltRun,
    *,
    metrics: Sequence[str] | None = None,
    n: int | None = None,
    features: str | Mapping[str, Any] | FeatureExtractor | None = None,
    seed: int = 0,
) -> dict[str, float]:
    """Measure a run's generator now (see the module notes for what is compared with what).

    Args:
        run: The built run (of a new, resumed or training :class:`~ganzoo.training.Trainer`, or a checkpoint's).
        metrics: Measure names (parts of kind ``metric``); default: see :func:`plan_evaluation`.
        n: Images to generate (noise runs) or test items to translate at most (image-to-image runs);
            default: the run's ``eval.n``.
        features: The feature extractor: a name, a slot such as ``{"name": "inception", "download":
            True}``, or an extractor; default: the run's ``eval.features``.
        seed: Seed of the noise and of the measures' random subsets (the same seed gives the same
            figures for the same weights).

    Returns:
        Figures by name: ``fid``, ``kid`` and ``kid_std``, ``is`` and ``is_std``, ``l1``, ``psnr``,
        ``ssim`` as asked, and for noise runs the held-out baseline of each distribution measure as
        ``baseline/fid`` … when the data set has a test split.

    Raises:
        ConfigError: For measures that do not apply to the run, or ``n`` below 2.
        FeaturesError: When the feature extractor's weights cannot be had.
    """
    settings = _settings(run.config)
    plan = plan_evaluation(run, metrics)
    count = int(settings["n"] if n is None else n)
    if count < 2:
        raise ConfigError(f"n={count}: measuring a distribution needs at least 2 images")
    measures = {name: _measure(run.registry, name) for name in plan.metrics}
    extractor = None
    if any(m.family != "paired" for m in measures.values()):
        extractor = build_features(settings["features"] if features is None else features, run.registry).to(run.device)
    with _isolated(run, seed) as networks:
        if plan.task == "generation":
            results = _evaluate_generation(run, plan, networks, measures, extractor, count, seed)
        else:
            results = _evaluate_translation(run, plan, networks, measures, extractor, count, seed)
    return results


def _values(measures: Mapping[str, Measure], metrics: Mapping[str, Metric], seed: int) -> dict[str, float]:
    values: dict[str, float] = {}
    for name, measure in measures.items():
        torch.manual_seed(seed)  # KID's subsets and IS's splits: the same draw at every evaluation
        values |= measure.values(metrics[name], name)
    return values


def _evaluate_generation(
    run: BuiltRun,
    plan: Plan,
    networks: Mapping[str, torch.nn.Module],
    measures: Mapping[str, Measure],
    extractor: FeatureExtractor | None,
    count: int,
    seed: int,
) -> dict[str, float]:
    device, pair = run.device, plan.pair
    assert extractor is not None  # generation has no paired measure
    reference = _reference(run, run.dataset, "train", pair.real, REFERENCE_LIMIT)
    metrics = reference.load(measures, extractor, device)
    metrics |= {name: _make(name, m, _share(extractor)).to(device) for name, m in measures.items() if m.family == "samples"}
    fed = [(m, metrics[name]) for name, m in measures.items()]
    noise = torch.Generator(device=device).manual_seed(seed)
    classes = int(run.context.num_classes or 0)
    made = 0
    # Real items supply whatever else the generator reads (labels, say), spread over the data set
    # and cycled when n exceeds it; class-conditional generators get every class in turn.
    length = len(run.dataset)
    indices = _spread(length, count) if count <= length else [i % length for i in range(count)]
    for batch in _batches(run.dataset, indices):
        size = next(iter(batch.values())).shape[0]
        batch = {key: value.to(device) for key, value in batch.items()}
        if "label" in batch and classes:
            batch["label"] = (torch.arange(made, made + size, device=device) % classes).to(batch["label"].dtype)
        tensors = StepTensors(batch, run.computations, networks, lambda b, d: torch.randn(b, d, device=device, generator=noise))
        _update(fed, tensors[pair.fake].float(), real=False)
        made += size
    _share(extractor).forget()
    results = _values(measures, metrics, seed)
    results |= _baseline(run, reference, {name: m for name, m in measures.items() if m.family == "distribution"}, extractor, seed)
    return results


def _baseline(
    run: BuiltRun, reference: _Reference, measures: Mapping[str, Measure], extractor: FeatureExtractor, seed: int
) -> dict[str, float]:
    """The held-out test images measured against the training reference, once per process."""
    if not measures:
        return {}
    test = held_out_split(run)
    if test is None:
        return {}
    keys = {name: (name, m.key, extractor.key) for name, m in measures.items()}
    missing = {name: m for name, m in measures.items() if keys[name] not in reference.baselines}
    if missing:
        metrics = reference.load(missing, extractor, run.device)
        fed = [(m, metrics[name]) for name, m in missing.items()]
        for batch in _batches(test, _spread(len(test), REFERENCE_LIMIT)):
            _update(fed, batch[reference.tensor].to(run.device), real=False)
        _share(extractor).forget()
        for name, measure in missing.items():
            reference.baselines[keys[name]] = _values({name: measure}, metrics, seed)
    results: dict[str, float] = {}
    for name in measures:
        results |= {f"baseline/{figure}": value for figure, value in reference.baselines[keys[name]].items()}
    return results


def _evaluate_translation(
    run: BuiltRun,
    plan: Plan,
    networks: Mapping[str, torch.nn.Module],
    measures: Mapping[str, Measure],
    extractor: FeatureExtractor | None,
    count: int,
    seed: int,
) -> dict[str, float]:
    device, pair = run.device, plan.pair
    test = held_out_split(run)
    split = "test"
    if test is None:
        logger.warning(
            "data set '%s' takes no split parameter: measuring on its training items, which flatters the generator",
            run.config["data"][NAME_KEY],
        )
        test, split = run.dataset, "train"
    reference = _reference(run, test, split, pair.real, count)
    metrics: dict[str, Metric] = {}
    if extractor is not None:
        metrics |= reference.load(measures, extractor, device)
        metrics |= {name: _make(name, m, _share(extractor)).to(device) for name, m in measures.items() if m.family == "samples"}
    metrics |= {name: _make(name, m).to(device) for name, m in measures.items() if m.family == "paired"}
    fed = [(m, metrics[name]) for name, m in measures.items() if m.family != "paired"]
    noise = torch.Generator(device=device).manual_seed(seed)
    for batch in _batches(test, reference.indices):
        batch = {key: value.to(device) for key, value in batch.items()}
        tensors = StepTensors(batch, run.computations, networks, lambda b, d: torch.randn(b, d, device=device, generator=noise))
        fake, real = tensors[pair.fake].float(), tensors[pair.real].float()
        _update(fed, fake, real=False)
        for name, measure in measures.items():
            if measure.family == "paired":
                metrics[name].update(to_unit_range(fake), to_unit_range(real))
    if extractor is not None:
        _share(extractor).forget()
    return _values(measures, metrics, seed)


def evaluate_checkpoint(
    checkpoint: str | Path,
    *,
    metrics: Sequence[str] | None = None,
    n: int | None = None,
    features: str | Mapping[str, Any] | None = None,
    device: str | None = None,
    seed: int = 0,
) -> tuple[dict[str, float], Plan, BuiltRun, int]:
    """Measure the generator a checkpoint holds (its weight average, when the run kept one).

    Args:
        checkpoint: A checkpoint file (``best.pt`` included) or a run directory (its newest checkpoint).
        metrics: See :func:`evaluate_run`.
        n: See :func:`evaluate_run`.
        features: See :func:`evaluate_run`.
        device: ``"cpu"``, ``"cuda"``, … (default: the run's ``train.device``).
        seed: See :func:`evaluate_run`.

    Returns:
        The figures, what was measured, the rebuilt run (for its data set and configuration), and the
        step the checkpoint was taken at.

    Raises:
        CheckpointError: If the checkpoint cannot be read or does not fit its configuration.
    """
    from ganzoo.plugins import get_registry
    from ganzoo.training.build import restore_run
    from ganzoo.training.devices import select_device

    state = ckpt.load_checkpoint(checkpoint)
    config = state["config"]
    run = restore_run(state, get_registry(), select_device(device or str(config["train"]["device"])))
    plan = plan_evaluation(run, metrics)
    return evaluate_run(run, metrics=metrics, n=n, features=features, seed=seed), plan, run, int(state["step"])


def finite(values: Mapping[str, float]) -> dict[str, float]:
    """The figures that are finite numbers (a degenerate distribution can give NaN)."""
    return {key: value for key, value in values.items() if math.isfinite(value)}

