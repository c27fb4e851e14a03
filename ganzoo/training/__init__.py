"""Training: recipes, the generic trainer, checkpoints and run outputs.

The names below are imported on first access, so that reading recipes (``ganzoo recipes``) does not
import torch.
"""

from __future__ import annotations

from ganzoo._lazy import lazy_exports

_EXPORTS = {
    "RUN_DEFAULTS": "ganzoo.training.recipes",
    "load_recipe": "ganzoo.training.recipes",
    "recipe_names": "ganzoo.training.recipes",
    "resolve_run_config": "ganzoo.training.recipes",
    "DivergenceError": "ganzoo.training.trainer",
    "Trainer": "ganzoo.training.trainer",
}

__all__ = sorted(_EXPORTS)  # noqa: PLE0605  (the names are the keys above)


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
