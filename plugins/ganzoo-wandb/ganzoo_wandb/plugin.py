"""The plugin module named by this package's ``ganzoo`` entry point.

ganzoo imports it whenever it loads plugins (``ganzoo list`` and ``ganzoo --help`` too), so it
imports neither wandb nor the tracker: the part is named by a ``"module:Class"`` string and imported
only when a run chooses ``tracker=wandb``.
"""

from __future__ import annotations

from typing import Any

from ganzoo import hookimpl


@hookimpl
def ganzoo_register_parts(register: Any) -> None:
    """Register the ``wandb`` tracker."""
    register("tracker", "wandb", "ganzoo_wandb.tracker:WandbTracker", tags=["experiment-tracking"])
