"""The run's tracker: the :class:`~ganzoo.contracts.Tracker` of the ``tracker`` slot, or none.

``tracker: {name: none}`` (the default, and what a configuration without the slot means) follows
nothing. Any other name is a part of kind ``tracker``, which a plugin registers (``ganzoo list
tracker``); its parameters are checked against its signature, so a misspelt setting is refused
before the run starts, and the slot is completed in place with the part's defaults, so that
``config.yaml`` records every setting the tracker used.
"""

from __future__ import annotations

from typing import Any

from ganzoo.config import NAME_KEY, OFF, optional_slot
from ganzoo.contracts import Tracker
from ganzoo.registry import Registry

__all__ = ["OFF", "build_tracker"]


def build_tracker(config: dict[str, Any], registry: Registry, *, build: bool = True) -> Tracker | None:
    """Check the ``tracker`` slot and build its tracker; ``None`` when it is off.

    Args:
        config: The run's configuration; its ``tracker`` slot is completed in place.
        registry: Where the part is looked up.
        build: Whether to build the tracker (only the main process of a distributed run follows it);
            the slot is checked and completed either way.

    Raises:
        GanzooError: For an unknown name (with the closest ones) or a bad parameter.
    """
    chosen = optional_slot(config, "tracker", what="tracker", choose="add tracker=NAME (see 'ganzoo list tracker')")
    if chosen is None:
        config["tracker"] = {NAME_KEY: OFF}
        return None
    name, params = chosen
    part = registry.get("tracker", name)
    config["tracker"] = {NAME_KEY: part.name, **part.defaults(), **part.check(params)}
    return part.build(**params) if build else None
