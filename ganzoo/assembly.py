"""Building networks from names, wiring their channels, and checking that they fit together.

The *context* of a run is the few facts every network shares: image size, image channels, the
generator's input channels, latent size and number of classes. A network's factory receives each
context value it accepts as a keyword (``image_size``, ``out_channels``, ``in_channels``,
``latent_dim``, ``num_classes``, ``cond_channels``) unless the user set that parameter. Context
values left unset (``null``) are taken from the generator's own defaults, so
``ganzoo build generator=mlp discriminator=mlp`` is a 28×28 one-channel pair and
``generator=unet discriminator=patchgan`` a 256×256 three-channel one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from ganzoo import vocabulary as names
from ganzoo.config import NAME_KEY, slot_params
from ganzoo.contracts import GanNetwork
from ganzoo.errors import ConfigError, IncompatiblePartsError
from ganzoo.registry import Part, Registry

#: The settings of ``ganzoo build`` and their defaults.
BUILD_DEFAULTS: dict[str, Any] = {
    "image_size": None,
    "channels": None,
    "source_channels": None,
    "latent_dim": None,
    "num_classes": None,
    "conditional": True,
    "generator": {NAME_KEY: "dcgan"},
    "discriminator": {NAME_KEY: "dcgan"},
}

#: Where each context value goes in a generator's and a discriminator's parameters.
_GENERATOR_CONTEXT = {
    "image_size": "image_size",
    "out_channels": "channels",
    "in_channels": "source_channels",
    "latent_dim": "latent_dim",
    "num_classes": "num_classes",
}
_DISCRIMINATOR_CONTEXT = {
    "image_size": "image_size",
    "in_channels": "channels",
    "num_classes": "num_classes",
}
#: Which generator input a conditional discriminator sees beside the image, in order of preference.
_CONDITION_INPUTS = names.CONDITION_SOURCES


#: The context facts, as configurations name them.
CONTEXT_KEYS = ("image_size", "channels", "source_channels", "latent_dim", "num_classes")


@dataclass
class Context:
    """The facts networks share; ``None`` means "not known yet"."""

    image_size: int | None = None
    channels: int | None = None
    source_channels: int | None = None
    latent_dim: int | None = None
    num_classes: int | None = None

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Context:
        """The facts a configuration (a build spec, a run's resolved configuration) records."""
        return cls(**{key: config.get(key) for key in CONTEXT_KEYS})

    def fill_from(self, part: Part, params: Mapping[str, Any]) -> None:
        """Fill unknown values from a generator's explicit or default parameters."""
        defaults = part.defaults() | dict(params)
        for parameter, key in _GENERATOR_CONTEXT.items():
            if getattr(self, key) is None and isinstance(defaults.get(parameter), int):
                setattr(self, key, defaults[parameter])
        if self.source_channels is None:
            self.source_channels = self.channels


@dataclass
class BuiltNetwork:
    """One network, built and described.

    Attributes:
        role: ``"generator"`` or ``"discriminator"``.
        part: The registry entry it was built from.
        params: Every parameter it was built with (defaults and context values included).
        module: The network.
    """

    role: str
    part: Part
    params: dict[str, Any]
    module: nn.Module

    @property
    def parameter_count(self) -> int:
        """Number of trainable parameters."""
        return sum(p.numel() for p in self.module.parameters() if p.requires_grad)


def _with_context(part: Part, params: Mapping[str, Any], mapping: Mapping[str, str], context: Context) -> dict[str, Any]:
    resolved = dict(params)
    for parameter, key in mapping.items():
        value = getattr(context, key)
        if parameter not in resolved and value is not None and part.accepts(parameter):
            resolved[parameter] = value
    return resolved


def build_network(registry: Registry, role: str, slot: Mapping[str, Any], context: Context, **extra: Any) -> BuiltNetwork:
    """Build one generator or discriminator from its config slot.

    Args:
        registry: Where to look the part up.
        role: ``"generator"`` or ``"discriminator"``.
        slot: ``{"name": ..., **params}``.
        context: Shared facts passed to the parameters the part accepts.
        **extra: Parameters decided by the caller (e.g. ``cond_channels``) unless the slot sets them.

    Raises:
        UnknownPartError: For an unknown name.
        ParameterError: For unknown or ill-typed parameters, or values the network refuses.
        PartContractError: If the part does not build a :class:`~ganzoo.contracts.GanNetwork`.
    """
    if NAME_KEY not in slot:
        raise ConfigError(f"the {role} section needs a 'name' (e.g. {role}=NAME)")
    part = registry.get(role, str(slot[NAME_KEY]))
    params = slot_params(slot)
    mapping = _GENERATOR_CONTEXT if role == "generator" else _DISCRIMINATOR_CONTEXT
    params = _with_context(part, params, mapping, context)
    for key, value in extra.items():
        if key not in slot and part.accepts(key):
            params[key] = value
    module = part.build(**params)  # checked: a GanNetwork
    resolved = part.defaults() | part.check(params)
    return BuiltNetwork(role, part, resolved, module)


def condition_input(generator: GanNetwork) -> str | None:
    """The generator input a conditional discriminator should see, or ``None`` for a noise generator."""
    return next((name for name in _CONDITION_INPUTS if name in generator.inputs), None)


@dataclass
class Assembly:
    """A checked generator/discriminator pair and what the dry run saw.

    Attributes:
        config: The resolved spec (every parameter explicit), accepted by ``ganzoo build`` and training.
        generator: The built generator.
        discriminator: The built discriminator.
        shapes: For each role, ``(input shapes, output shapes)`` from the dry run.
    """

    config: dict[str, Any]
    generator: BuiltNetwork
    discriminator: BuiltNetwork
    shapes: dict[str, tuple[list[tuple[int, ...]], list[tuple[int, ...]]]] = field(default_factory=dict)


def _shape(tensor: torch.Tensor) -> tuple[int, ...]:
    return tuple(tensor.shape)


def _shapes(value: Any) -> list[tuple[int, ...]]:
    if isinstance(value, torch.Tensor):
        return [_shape(value)]
    return [_shape(v) for v in value]


def assemble_pair(registry: Registry, config: Mapping[str, Any], *, batch_size: int = 2) -> Assembly:
    """Build a generator and a discriminator from a build spec and check them with a dry run.

    The generator runs on its example inputs; the discriminator then runs on the generator's output
    (and, when conditional, on the generator's ``source`` or ``exemplar`` input beside it).

    Args:
        registry: Where parts are looked up.
        config: A spec with the keys of :data:`BUILD_DEFAULTS`.
        batch_size: Size of the dummy batch.

    Returns:
        The pair, its resolved spec and the shapes seen.

    Raises:
        GanzooError: For unknown names, bad parameters, or a pair that does not fit, naming the cause.
    """
    context = Context.from_config(config)
    generator_slot = config["generator"]
    context.fill_from(registry.get("generator", str(generator_slot.get(NAME_KEY))), slot_params(generator_slot))
    generator = build_network(registry, "generator", generator_slot, context)

    condition = condition_input(generator.module) if config.get("conditional", True) else None
    extra: dict[str, Any] = {}
    discriminator_part = registry.get("discriminator", str(config["discriminator"].get(NAME_KEY)))
    if condition is not None and discriminator_part.accepts("cond_channels"):
        condition_channels = context.source_channels if condition == names.SOURCE else context.channels
        extra["cond_channels"] = condition_channels
    discriminator = build_network(registry, "discriminator", config["discriminator"], context, **extra)

    generator.module.eval()
    discriminator.module.eval()
    with torch.no_grad():
        inputs = generator.module.example_inputs(batch_size)
        try:
            fake = generator.module(*inputs)
        except RuntimeError as error:
            raise IncompatiblePartsError(f"{generator.part.label} failed on its own example inputs: {error}") from error
        by_name = dict(zip(generator.module.inputs, inputs))
        d_example = dict(zip(discriminator.module.inputs, discriminator.module.example_inputs(batch_size)))
        expected = d_example.get(names.IMAGE)
        if expected is not None and _shape(fake)[1:] != _shape(expected)[1:]:
            raise IncompatiblePartsError(
                f"{generator.part.label} makes images of shape {_shape(fake)[1:]} (C, H, W) but "
                f"{discriminator.part.label} takes {_shape(expected)[1:]}; give both the same image_size= and "
                "channels= (or remove the part parameters that set them differently)"
            )
        d_inputs = []
        for name in discriminator.module.inputs:
            if name == names.IMAGE:
                d_inputs.append(fake)
            elif name == names.CONDITION and condition is not None:
                d_inputs.append(by_name[condition])
            elif name == names.LABEL and names.LABEL in by_name:
                d_inputs.append(by_name[names.LABEL])
            else:
                d_inputs.append(d_example[name])
        try:
            logits = discriminator.module(*d_inputs)
        except RuntimeError as error:
            raise IncompatiblePartsError(
                f"{discriminator.part.label} cannot take the output of {generator.part.label} "
                f"(shape {_shape(fake)}): {error}"
            ) from error

    resolved = {key: value for key, value in config.items() if key not in ("generator", "discriminator")}
    resolved.update(
        image_size=context.image_size,
        channels=context.channels,
        source_channels=context.source_channels,
        latent_dim=context.latent_dim,
        num_classes=context.num_classes,
        generator={NAME_KEY: generator.part.name, **generator.params},
        discriminator={NAME_KEY: discriminator.part.name, **discriminator.params},
    )
    return Assembly(
        config=resolved,
        generator=generator,
        discriminator=discriminator,
        shapes={
            "generator": ([_shape(t) for t in inputs], [_shape(fake)]),
            "discriminator": ([_shape(t) for t in d_inputs], _shapes(logits)),
        },
    )
