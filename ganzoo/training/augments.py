"""The run's augmentation: one :class:`~ganzoo.contracts.Augment` per discriminator, built from the ``augment`` slot.

``augment: {name: none}`` (the default, and what a configuration without the slot means) builds
nothing, and the training step then runs exactly as without this module. Any other name is a part of
kind ``augment``; the trainer builds one instance of it per discriminator, so that each keeps its own
state (ADA's probability follows its own discriminator's over-fitting), introduces it to the
discriminator and the loss it serves (:meth:`~ganzoo.contracts.Augment.bind`, which may refuse the
pairing), and checks that every condition it must move with an image has the image's size.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch

from ganzoo.config import NAME_KEY, OFF, optional_slot
from ganzoo.contracts import AdversarialLoss, Augment
from ganzoo.errors import IncompatiblePartsError
from ganzoo.registry import Registry

__all__ = ["OFF", "build_augments"]


def build_augments(
    config: dict[str, Any],
    registry: Registry,
    pairs: Sequence[Any],
    losses: Mapping[str, Any],
    sample_item: Mapping[str, Any],
    device: torch.device,
) -> dict[str, Augment]:
    """Build the augmentation of each discriminator of the adversarial pairs; ``{}`` when it is off.

    The slot is completed in place with the part's defaults, as the other slots are.

    Args:
        config: The run's configuration.
        registry: Where the part is looked up.
        pairs: The adversarial pairs (:class:`~ganzoo.training.build.AdversarialPair`).
        losses: The built losses by key.
        sample_item: One data item (empty when built without data): condition sizes are checked on it.
        device: Where the augmentations' state lives.

    Raises:
        GanzooError: For an unknown name, a bad parameter, or a pairing the augmentation cannot serve.
    """
    chosen = optional_slot(config, "augment", what="augmentation", choose="add augment=diffaugment or augment=ada")
    if chosen is None:
        return {}
    name, params = chosen
    part = registry.get("augment", name)
    config["augment"] = {NAME_KEY: part.name, **part.defaults(), **part.check(params)}
    augments: dict[str, Augment] = {}
    for pair in pairs:
        if pair.discriminator in augments:
            continue
        augment = part.build(**params).to(device)
        loss = losses[pair.loss]
        if isinstance(loss, AdversarialLoss):
            augment.bind(pair.discriminator, loss)
        _check_condition(part.name, pair, sample_item)
        augments[pair.discriminator] = augment
    return augments


def _check_condition(name: str, pair: Any, sample_item: Mapping[str, Any]) -> None:
    """Refuse a condition that cannot move with its image (known from the data only)."""
    if not pair.condition:
        return
    image, condition = sample_item.get(pair.real), sample_item.get(pair.condition)
    if not (isinstance(image, torch.Tensor) and isinstance(condition, torch.Tensor)):
        return  # computed by the step: the augmentation checks it when it first sees it
    if condition.dim() != 3 or condition.shape[1:] != image.shape[1:]:
        raise IncompatiblePartsError(
            f"augment '{name}' moves discriminator '{pair.discriminator}''s condition '{pair.condition}' with its image, "
            f"so it must be an image of the same size, (C, {image.shape[1]}, {image.shape[2]}); it has shape "
            f"{tuple(condition.shape)}: use augment=none for this pair's discriminator"
        )
