"""Training: recipes, the generic trainer, checkpoints and run outputs.

The names below are imported on first access, so that reading recipes (``ganzoo recipes``) does not
import torch.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "RUN_DEFAULTS": "ganzoo.training.recipes",
    "load_recipe": "ganzoo.training.recipes",
    "recipe_names": "ganzoo.training.recipes",
    "resolve_run_config": "ganzoo.training.recipes",
    "DivergenceError": "ganzoo.training.trainer",
    "Trainer": "ganzoo.training.trainer",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
