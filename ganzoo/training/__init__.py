"""Training: recipes, the generic trainer, checkpoints and run outputs."""

from ganzoo.training.recipes import RUN_DEFAULTS, load_recipe, recipe_names, resolve_run_config
from ganzoo.training.trainer import DivergenceError, Trainer

__all__ = ["RUN_DEFAULTS", "DivergenceError", "Trainer", "load_recipe", "recipe_names", "resolve_run_config"]
