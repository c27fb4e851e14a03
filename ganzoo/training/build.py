"""Building a run from its configuration: data, networks, the step's wiring, losses and schedules.

:func:`build_run` turns a resolved configuration into a :class:`BuiltRun`: every part built and
checked against the others, with no optimiser, data loader or process group. Training
(:class:`~ganzoo.training.Trainer`), evaluation and sampling all start from one, so they rebuild a
run's networks the same way.

Each network instance's part and resolved parameters are recorded under the configuration's
``instances`` key (written to ``config.yaml`` and every checkpoint). A configuration that carries them
rebuilds each instance exactly from its own entry, without the data set: a CycleGAN between an RGB and
a greyscale domain has two generators with different channels, which one ``generator`` slot cannot
describe. Configurations without them (checkpoints of earlier versions) are rebuilt from the slots.
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import torch

from ganzoo import vocabulary as names
from ganzoo.assembly import Context, build_network
from ganzoo.config import NAME_KEY, slot_params
from ganzoo.contracts import AdversarialLoss, Augment, GanNetwork, Penalty, ReconstructionLoss
from ganzoo.contracts.network import ROLES
from ganzoo.errors import ConfigError, IncompatiblePartsError, did_you_mean
from ganzoo.registry import Registry
from ganzoo.training.augments import build_augments
from ganzoo.training.graph import Computation, check_sources, parse_forward
from ganzoo.training.schedule_set import CombinedSchedule

#: The configuration key holding each network instance's part and parameters.
INSTANCES = "instances"


@dataclass(frozen=True)
class AdversarialPair:
    """One ``adversarial`` entry: a discriminator judging a real and a generated tensor."""

    discriminator: str
    real: str
    fake: str
    condition: str | None
    loss: str
    weight: float


@dataclass(frozen=True)
class Objective:
    """A reconstruction-style loss and the tensors it compares."""

    key: str
    loss: ReconstructionLoss
    output: str
    target: str
    mask: str | None


@dataclass
class BuiltRun:
    """Every part of a run, built and checked.

    Attributes:
        config: The resolved configuration: parameters the context decided are filled in, and
            ``instances`` holds each network's part and parameters.
        registry: Where the parts came from.
        device: Where the networks live.
        dataset: The training data set (``None`` when built without data).
        context: The shared facts (image size, channels, latent size, classes).
        networks: Every network by instance name (``G``, ``D_A``, …).
        roles: Each instance's slot, ``generator`` or ``discriminator``.
        computations: The parsed ``forward`` section.
        adversarial: The ``adversarial`` entries.
        losses: Every ``loss`` entry, built.
        penalties: The losses that are penalties on a discriminator.
        objectives: The reconstruction losses that are on, with the tensors they compare.
        schedule: The ``schedule`` entries, combined.
        augments: The augmentation of each discriminator, by instance name (empty when off).
    """

    config: dict[str, Any]
    registry: Registry
    device: torch.device
    dataset: Any
    context: Context
    networks: dict[str, GanNetwork]
    roles: dict[str, str]
    computations: dict[str, Computation] = field(default_factory=dict)
    adversarial: list[AdversarialPair] = field(default_factory=list)
    losses: dict[str, Any] = field(default_factory=dict)
    penalties: dict[str, Penalty] = field(default_factory=dict)
    objectives: list[Objective] = field(default_factory=list)
    schedule: CombinedSchedule = field(default_factory=lambda: CombinedSchedule([]))
    augments: dict[str, Augment] = field(default_factory=dict)

    @property
    def generators(self) -> dict[str, GanNetwork]:
        """The generator instances."""
        return {name: net for name, net in self.networks.items() if self.roles[name] == "generator"}

    @property
    def discriminators(self) -> dict[str, GanNetwork]:
        """The discriminator instances."""
        return {name: net for name, net in self.networks.items() if self.roles[name] == "discriminator"}

    @contextlib.contextmanager
    def inference(self) -> Iterator[dict[str, GanNetwork]]:
        """The networks as samples and evaluations use them: weight averages where the run keeps them,
        in evaluation mode, without gradients; training modes are restored afterwards."""
        networks = {name: self.schedule.averaged(name) or net for name, net in self.networks.items()}
        modes = {name: net.training for name, net in networks.items()}
        try:
            for net in networks.values():
                net.eval()
            with torch.no_grad():
                yield networks  # type: ignore[misc]
        finally:
            for name, net in networks.items():
                net.train(modes[name])


def build_run(config: dict[str, Any], registry: Registry, device: torch.device, *, data: bool = True) -> BuiltRun:
    """Build and check every part of a run.

    Args:
        config: A resolved run configuration; it is completed in place (context facts, every
            part's parameters, ``instances``).
        registry: Where parts are looked up.
        device: Where the networks go.
        data: Build the data set (training and evaluation need it). Without it, the context is read
            from the configuration, which must then come from a built run (a checkpoint's).

    Raises:
        GanzooError: For any problem with the configuration, before anything is written.
    """
    if data:
        dataset = _build_dataset(config, registry)
        context = _context_from_data(config, dataset)
        sample_item = dataset[0]
    else:
        dataset, sample_item = None, {}
        context = Context.from_config(config)
    networks, roles = _build_networks(config, registry, context, sample_item, device)
    run = BuiltRun(config, registry, device, dataset, context, networks, roles)
    run.computations = parse_forward(config["forward"], networks)
    run.adversarial = _adversarial_pairs(config, run.discriminators)
    run.losses = _build_losses(config, registry, run.adversarial)
    run.penalties = {key: loss for key, loss in run.losses.items() if isinstance(loss, Penalty)}
    run.objectives = _objectives(config, run.losses)
    if dataset is not None:
        check_sources(run.computations, networks, dataset.keys, _tensors_read(run))
        _check_discriminator_inputs(run)
    run.schedule = _build_schedule(config, registry)
    run.augments = build_augments(config, registry, run.adversarial, run.losses, sample_item, device)
    return run


def instance_params(config: Mapping[str, Any], instance: str) -> dict[str, Any]:
    """The part and parameters a network instance was built with (its role's slot for older runs)."""
    recorded = dict(config.get(INSTANCES) or {})
    if instance in recorded:
        return dict(recorded[instance])
    return dict(config[config["networks"][instance]])


def restore_run(state: Mapping[str, Any], registry: Registry, device: torch.device, *, data: bool = True) -> BuiltRun:
    """Rebuild a run from a checkpoint's state, with its trained weights and weight averages.

    Args:
        state: A loaded checkpoint (:func:`ganzoo.training.checkpoint.load_checkpoint`).
        registry: Where parts are looked up.
        device: Where the networks go.
        data: Build the data set too (evaluation needs it; sampling does not).

    Raises:
        CheckpointError: If the weights do not fit the checkpoint's configuration.
    """
    from ganzoo.training.checkpoint import CheckpointError

    config = copy.deepcopy(dict(state["config"]))
    run = build_run(config, registry, device, data=data)
    missing = [name for name in run.networks if name not in state["networks"]]
    if missing and not data:  # sampling needs the generators only
        missing = [name for name in missing if run.roles[name] == "generator"]
    if missing:
        raise CheckpointError(f"the checkpoint is damaged: it holds no weights for {', '.join(missing)}")
    try:
        for name, network in run.networks.items():
            if name in state["networks"]:
                network.load_state_dict(state["networks"][name])
    except RuntimeError as error:
        raise CheckpointError(f"the checkpoint's weights do not fit its configuration: {error}") from error
    run.schedule.attach(run.generators)
    run.schedule.load_state_dict(state["schedule"])
    return run


def _build_dataset(config: dict[str, Any], registry: Registry) -> Any:
    slot = config["data"]
    part = registry.get("dataset", str(slot[NAME_KEY]))
    params = slot_params(slot)
    if config.get("image_size") is not None and "image_size" not in params and part.accepts("image_size"):
        params["image_size"] = config["image_size"]
    dataset = part.build(**params)
    if len(dataset) == 0:
        raise ConfigError(f"data set '{part.name}' is empty")
    config["data"] = {NAME_KEY: part.name, **part.defaults(), **part.check(params)}
    return dataset


def _context_from_data(config: dict[str, Any], dataset: Any) -> Context:
    facts = {
        "image_size": dataset.image_size,
        "channels": dataset.channels,
        "source_channels": dataset.source_channels,
        "num_classes": dataset.num_classes or None,
    }
    for key, value in facts.items():
        wanted = config.get(key)
        if wanted is not None and value is not None and wanted != value:
            raise IncompatiblePartsError(
                f"{key}={wanted} but data set '{config['data'][NAME_KEY]}' has {key}={value}; "
                f"remove {key}= or choose data that matches"
            )
        config[key] = value
    return Context(latent_dim=int(config["latent_dim"]), **facts)


def _channels_of(sample_item: Mapping[str, Any], tensor: str) -> int | None:
    value = sample_item.get(tensor)
    return int(value.shape[0]) if isinstance(value, torch.Tensor) and value.dim() == 3 else None


def _instance_inputs(config: Mapping[str, Any], instance: str, role: str, context: Context, sample_item: Mapping[str, Any]) -> tuple[Context, dict[str, Any]]:
    """The context and extra parameters of one network instance, from the tensors it is wired to."""
    adversarial = list(config["adversarial"])
    forward = dict(config["forward"])
    extra: dict[str, Any] = {}
    context = Context(**vars(context))
    if role == "discriminator":
        entry = next((p for p in adversarial if p.get("discriminator") == instance), {})
        condition = entry.get("condition")
        extra["cond_channels"] = (_channels_of(sample_item, str(condition)) or context.channels) if condition else 0
        real = entry.get("real")
        context.channels = _channels_of(sample_item, str(real)) or context.channels
    else:
        # An image-to-image generator reads the channels of its source and writes those of the real
        # images its output is compared with.
        uses = [e for e in forward.values() if isinstance(e, Mapping) and e.get("net") == instance and e.get("method", "forward") == "forward"]
        sources = [_channels_of(sample_item, str(dict(e.get("inputs") or {}).get(names.SOURCE, names.SOURCE))) for e in uses]
        context.source_channels = next((c for c in sources if c), context.source_channels)
        outputs = {name for name, e in forward.items() if e in uses}
        real = next((p.get("real") for p in adversarial if p.get("fake") in outputs), None)
        context.channels = _channels_of(sample_item, str(real)) if real else context.channels
    return context, extra


def _build_networks(
    config: dict[str, Any], registry: Registry, context: Context, sample_item: Mapping[str, Any], device: torch.device
) -> tuple[dict[str, GanNetwork], dict[str, str]]:
    specs = config["networks"]
    if not specs:
        raise ConfigError("the configuration names no networks (networks: {G: generator, D: discriminator})")
    recorded = dict(config.get(INSTANCES) or {})
    networks: dict[str, GanNetwork] = {}
    roles: dict[str, str] = {}
    instances: dict[str, dict[str, Any]] = {}
    for instance, role in specs.items():
        if role not in ROLES:
            raise ConfigError(f"networks.{instance}: '{role}' is not a network slot; use generator or discriminator")
        if instance in recorded:  # rebuilt exactly as it was built before
            built = build_network(registry, role, recorded[instance], Context())
        else:
            instance_context, extra = _instance_inputs(config, instance, role, context, sample_item)
            built = build_network(registry, role, config[role], instance_context, **extra)
        networks[instance] = built.module.to(device)
        roles[instance] = role
        instances[instance] = {NAME_KEY: built.part.name, **built.params}
    # The slots show the first instance of each role, as they did before instances were recorded.
    for role in ROLES:
        first = next((instances[name] for name, r in roles.items() if r == role), None)
        if first is not None:
            config[role] = dict(first)
    config[INSTANCES] = instances
    return networks, roles


def _adversarial_pairs(config: Mapping[str, Any], discriminators: Mapping[str, GanNetwork]) -> list[AdversarialPair]:
    pairs = []
    for index, entry in enumerate(config["adversarial"]):
        where = f"adversarial[{index}]"
        missing = {"discriminator", "real", "fake"} - set(entry)
        if missing:
            raise ConfigError(f"{where} needs discriminator, real and fake (missing: {', '.join(sorted(missing))})")
        name = str(entry["discriminator"])
        if name not in discriminators:
            raise ConfigError(f"{where}: '{name}' is not a discriminator{did_you_mean(name, discriminators)}")
        pairs.append(
            AdversarialPair(
                name, str(entry["real"]), str(entry["fake"]), entry.get("condition"),
                str(entry.get("loss", "adversarial")), float(entry.get("weight", 1.0)),
            )
        )
    return pairs


def _build_losses(config: dict[str, Any], registry: Registry, adversarial: list[AdversarialPair]) -> dict[str, Any]:
    losses = {}
    for key, slot in config["loss"].items():
        part = registry.get("loss", str(slot[NAME_KEY]))
        losses[key] = part.build(**slot_params(slot))  # checked: one of the three loss contracts
        config["loss"][key] = {NAME_KEY: part.name, **part.defaults(), **part.check(slot_params(slot))}
    for pair in adversarial:
        if not isinstance(losses.get(pair.loss), AdversarialLoss):
            raise ConfigError(
                f"the adversarial pair of '{pair.discriminator}' needs an adversarial loss at loss.{pair.loss} "
                f"(e.g. loss.{pair.loss}=nonsaturating)"
            )
    return losses


def _objectives(config: Mapping[str, Any], losses: Mapping[str, Any]) -> list[Objective]:
    objectives = []
    wiring = config["objective"]
    for key, loss in losses.items():
        if not isinstance(loss, ReconstructionLoss):
            continue
        if key not in wiring:
            raise ConfigError(
                f"loss.{key} compares tensors, but objective.{key} does not say which: add "
                f"objective.{key}.output=… and objective.{key}.target=…"
            )
        entry = wiring[key]
        if loss.weight == 0:
            continue  # switched off: its tensors are never computed
        objectives.append(Objective(key, loss, str(entry["output"]), str(entry["target"]), entry.get("mask")))
    return objectives


def _tensors_read(run: BuiltRun) -> list[tuple[str, str]]:
    used = []
    for index, pair in enumerate(run.adversarial):
        used += [(f"adversarial[{index}]", t) for t in (pair.real, pair.fake, pair.condition) if t]
    for objective in run.objectives:
        used += [(f"objective.{objective.key}", t) for t in (objective.output, objective.target, objective.mask) if t]
    used += [("samples.show", str(t)) for t in run.config["samples"]["show"]]
    return used


def _check_discriminator_inputs(run: BuiltRun) -> None:
    for pair in run.adversarial:
        inputs = run.networks[pair.discriminator].inputs
        if names.CONDITION in inputs and not pair.condition:
            raise ConfigError(f"discriminator '{pair.discriminator}' takes a condition; set it in its adversarial entry (condition: source)")
        if names.LABEL in inputs and names.LABEL not in run.dataset.keys:
            raise IncompatiblePartsError(
                f"discriminator '{pair.discriminator}' needs class labels, but data set "
                f"'{run.config['data'][NAME_KEY]}' has none (its items hold {', '.join(run.dataset.keys)})"
            )
        unknown = set(inputs) - set(names.DISCRIMINATOR_INPUTS)
        if unknown:
            raise IncompatiblePartsError(f"discriminator '{pair.discriminator}' takes {', '.join(sorted(unknown))}, which the trainer cannot feed")
        if run.config["pool_size"] and pair.condition:
            raise ConfigError("pool_size > 0 cannot be combined with a conditional discriminator (pooled fakes lose their condition)")


def _build_schedule(config: dict[str, Any], registry: Registry) -> CombinedSchedule:
    schedules = []
    for key, slot in config["schedule"].items():
        part = registry.get("schedule", str(slot[NAME_KEY]))
        schedules.append(part.build(**slot_params(slot)))
        config["schedule"][key] = {NAME_KEY: part.name, **part.defaults(), **part.check(slot_params(slot))}
    return CombinedSchedule(schedules)
