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
import logging
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from ganzoo.config import NAME_KEY
from ganzoo.contracts import FeatureExtractor, Measure
from ganzoo.contracts.network import to_unit_range
from ganzoo.errors import ConfigError
from ganzoo.metrics.features import build_features
from ganzoo.metrics.references import (
    Reference,
    batches,
    feed,
    held_out_split,
    make_metric,
    reference_images,
    shared_features,
    spread_indices,
)
from ganzoo.training import checkpoint as ckpt
from ganzoo.training.graph import StepTensors
from ganzoo.training.recipes import EVAL_DEFAULTS
from ganzoo.training.streams import capture_rng_state, restore_rng_state

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

#: Measures added for image-to-image runs on paired data when no list is given.
PAIRED_METRICS = ("l1", "psnr", "ssim")
#: At most this many real images form a reference (spread evenly over the data set).
REFERENCE_LIMIT = 50_000


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


# --- isolation -----------------------------------------------------------------------------------


@contextlib.contextmanager
def _isolated(run: BuiltRun, seed: int) -> Iterator[dict[str, torch.nn.Module]]:
    """Evaluation-mode networks (weight averages where kept), no gradients, and untouched random streams."""
    saved = capture_rng_state()
    try:
        torch.manual_seed(seed)  # data sets that draw from the global stream
        with run.inference() as networks:
            yield networks
    finally:
        restore_rng_state(saved)


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
    reference = reference_images(run, run.dataset, "train", pair.real, REFERENCE_LIMIT)
    metrics = reference.load(measures, extractor, device)
    metrics |= {name: make_metric(name, m, shared_features(extractor)).to(device) for name, m in measures.items() if m.family == "samples"}
    fed = [(m, metrics[name]) for name, m in measures.items()]
    noise = torch.Generator(device=device).manual_seed(seed)
    classes = int(run.context.num_classes or 0)
    made = 0
    # Real items supply whatever else the generator reads (labels, say), spread over the data set
    # and cycled when n exceeds it; class-conditional generators get every class in turn.
    length = len(run.dataset)
    indices = spread_indices(length, count) if count <= length else [i % length for i in range(count)]
    for batch in batches(run.dataset, indices):
        size = next(iter(batch.values())).shape[0]
        batch = {key: value.to(device) for key, value in batch.items()}
        if "label" in batch and classes:
            batch["label"] = (torch.arange(made, made + size, device=device) % classes).to(batch["label"].dtype)
        tensors = StepTensors(batch, run.computations, networks, lambda b, d: torch.randn(b, d, device=device, generator=noise))
        feed(fed, tensors[pair.fake].float(), real=False)
        made += size
    shared_features(extractor).forget()
    results = _values(measures, metrics, seed)
    results |= _baseline(run, reference, {name: m for name, m in measures.items() if m.family == "distribution"}, extractor, seed)
    return results


def _baseline(
    run: BuiltRun, reference: Reference, measures: Mapping[str, Measure], extractor: FeatureExtractor, seed: int
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
        for batch in batches(test, spread_indices(len(test), REFERENCE_LIMIT)):
            feed(fed, batch[reference.tensor].to(run.device), real=False)
        shared_features(extractor).forget()
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
    reference = reference_images(run, test, split, pair.real, count)
    metrics: dict[str, Metric] = {}
    if extractor is not None:
        metrics |= reference.load(measures, extractor, device)
        metrics |= {name: make_metric(name, m, shared_features(extractor)).to(device) for name, m in measures.items() if m.family == "samples"}
    metrics |= {name: make_metric(name, m).to(device) for name, m in measures.items() if m.family == "paired"}
    fed = [(m, metrics[name]) for name, m in measures.items() if m.family != "paired"]
    noise = torch.Generator(device=device).manual_seed(seed)
    for batch in batches(test, reference.indices):
        batch = {key: value.to(device) for key, value in batch.items()}
        tensors = StepTensors(batch, run.computations, networks, lambda b, d: torch.randn(b, d, device=device, generator=noise))
        fake, real = tensors[pair.fake].float(), tensors[pair.real].float()
        feed(fed, fake, real=False)
        for name, measure in measures.items():
            if measure.family == "paired":
                metrics[name].update(to_unit_range(fake), to_unit_range(real))
    if extractor is not None:
        shared_features(extractor).forget()
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

