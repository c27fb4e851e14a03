"""The contracts of ganzoo's parts: the base classes a plugin's parts subclass, one kind at a time.

Everything a plugin implements is importable from here, and this package imports no built-in part::

    from ganzoo.contracts import AdversarialLoss, GanDataset, GanNetwork, Schedule

Code outside the built-in zoo relies on these contracts only, never on the zoo's classes. Each core
kind's factories must build an instance of its contract, which :meth:`ganzoo.registry.Part.build`
checks against :data:`KIND_CONTRACTS`:

=================  ===================================================================================
kind               a part builds
=================  ===================================================================================
``generator``      a :class:`GanNetwork` that makes images (:mod:`ganzoo.contracts.network`)
``discriminator``  a :class:`GanNetwork` that returns logits
``loss``           an :class:`AdversarialLoss`, a :class:`Penalty` or a :class:`ReconstructionLoss`
                   (:mod:`ganzoo.contracts.losses`)
``schedule``       a :class:`Schedule` (:mod:`ganzoo.contracts.schedule`); its per-step hook sets
                   a :class:`StepControls`
``dataset``        a :class:`GanDataset` whose items are dicts of tensors (:mod:`ganzoo.contracts.dataset`)
``features``       a :class:`FeatureExtractor`: images to feature vectors (:mod:`ganzoo.contracts.metrics`)
``metric``         a :class:`Measure`, computed by a torchmetrics metric
``augment``        an :class:`Augment`: a random, differentiable map of the images a discriminator
                   sees (:mod:`ganzoo.contracts.augment`)
``tracker``        a :class:`Tracker`: follows a run for an experiment tracker (:mod:`ganzoo.contracts.tracker`)
``recipe``         a mapping of run settings (:class:`collections.abc.Mapping`), usually a YAML file of
                   the plugin's package registered as ``"package:recipes/NAME.yaml"``
                   (:mod:`ganzoo.packaged_files`)
=================  ===================================================================================

A kind without an entry, such as one a plugin adds for its own use, is not checked. A new core kind
gets its contract in a module of this package and one entry in :data:`KIND_CONTRACTS`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ganzoo.contracts.augment import Augment
from ganzoo.contracts.dataset import ITEM_KEYS, GanDataset
from ganzoo.contracts.losses import (
    AdversarialLoss,
    Condition,
    Logits,
    LossState,
    Penalty,
    ReconstructionLoss,
    loss_states,
    restore_loss_states,
)
from ganzoo.contracts.metrics import Family, FeatureExtractor, Measure
from ganzoo.contracts.network import GanNetwork
from ganzoo.contracts.schedule import Schedule, StepControls
from ganzoo.contracts.tracker import Tracker
from ganzoo.errors import PartContractError

if TYPE_CHECKING:
    from ganzoo.registry import Part

__all__ = [
    "ITEM_KEYS",
    "KIND_CONTRACTS",
    "AdversarialLoss",
    "Augment",
    "Condition",
    "Family",
    "FeatureExtractor",
    "GanDataset",
    "GanNetwork",
    "Logits",
    "LossState",
    "Measure",
    "Penalty",
    "ReconstructionLoss",
    "Schedule",
    "StepControls",
    "Tracker",
    "check_contract",
    "loss_states",
    "restore_loss_states",
]

#: The classes each kind's parts build; what a part of a listed kind builds is an instance of one of them.
KIND_CONTRACTS: Mapping[str, tuple[type, ...]] = {
    "generator": (GanNetwork,),
    "discriminator": (GanNetwork,),
    "loss": (AdversarialLoss, Penalty, ReconstructionLoss),
    "schedule": (Schedule,),
    "dataset": (GanDataset,),
    "features": (FeatureExtractor,),
    "metric": (Measure,),
    "augment": (Augment,),
    "tracker": (Tracker,),
    "recipe": (Mapping,),
}


def _contract_name(contract: type) -> str:
    """``ganzoo.contracts.GanNetwork`` for ganzoo's contracts, ``collections.abc.Mapping`` for others."""
    module = "ganzoo.contracts" if contract.__module__.startswith("ganzoo.contracts") else contract.__module__
    return f"{module}.{contract.__qualname__}"


def _a(name: str) -> str:
    return f"{'an' if name[:1].lower() in 'aeiou' else 'a'} {name}"


def check_contract(part: Part, built: Any) -> Any:
    """Return what a part's factory built, if it fulfils its kind's contract.

    Args:
        part: The part that was built.
        built: What its factory returned.

    Returns:
        ``built``, unchanged.

    Raises:
        PartContractError: Naming the part, its plugin and factory, what it built and what its kind
            needs. Kinds without an entry in :data:`KIND_CONTRACTS` are not checked.
    """
    contracts = KIND_CONTRACTS.get(part.kind)
    if contracts is None or isinstance(built, contracts):
        return built
    needed = [_contract_name(contract) for contract in contracts]
    needs = needed[0] if len(needed) == 1 else f"{', '.join(needed[:-1])} or {needed[-1]}"
    kind = type(built)
    what = "None" if built is None else _a(kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}")
    raise PartContractError(
        f"{part.label} from '{part.plugin}' ({part.source}) built {what}, but a {part.kind} must be an "
        f"instance of {needs} (or of a subclass); the part's factory must return one"
    )
