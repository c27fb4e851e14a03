"""Recipes: named training configurations shipped as YAML data, and the settings every run has.

A recipe is plain data (see ``ganzoo/recipes/*.yaml``): which data set, which parts fill which slots,
how data flows through the networks, which losses compare which tensors, and the optimiser and
schedule settings. The trainer has no branch per recipe; anything a recipe says can be overridden on
the command line, and a YAML file with the same keys is a recipe too.

Named recipes are parts of kind ``recipe``: the built-in zoo registers ganzoo's own files
(``"ganzoo:recipes/dcgan.yaml"``) through the same hook as any plugin, so ``ganzoo recipes`` lists a
plugin's recipes beside them, stamped with their plugin.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from omegaconf import OmegaConf
from omegaconf.errors import OmegaConfBaseException

from ganzoo.config import REPLACED_SECTIONS, apply_words, check_keys, load_yaml, to_yaml
from ganzoo.errors import ConfigError, GanzooError, PartContractError, UnknownPartError, did_you_mean
from ganzoo.packaged_files import PackagedYaml
from ganzoo.registry import Part, Registry
from ganzoo.settings import check_run_settings

#: The kind recipes are registered under, by ganzoo (``ganzoo/recipes/*.yaml``) and by plugins.
RECIPE_KIND = "recipe"

#: The ``eval`` settings of a run: quality measured during training (ganzoo.metrics.periodic);
#: ``every: 0`` switches it off.
EVAL_DEFAULTS: dict[str, Any] = {"every": 0, "metrics": ["fid"], "n": 1000, "features": "digits", "best": "fid"}

#: Every setting a run has, with its default. A recipe overrides some; words override any.
RUN_DEFAULTS: dict[str, Any] = {
    "recipe": None,
    "summary": "",
    "paper": "",
    "defaults": "",
    "out": None,
    "data": {"name": "digits"},
    # Facts about the images; null means "as the data set says". A value set here must agree with
    # the data (image_size is passed on to data sets that take it).
    "image_size": None,
    "channels": None,
    "source_channels": None,
    "num_classes": None,
    "latent_dim": 100,
    "conditional": True,
    "generator": {"name": "dcgan"},
    "discriminator": {"name": "dcgan"},
    "networks": {},
    "forward": {},
    "adversarial": [],
    "pool_size": 0,
    "loss": {},
    "objective": {},
    "schedule": {},
    # What the discriminators see instead of the images (kind augment): augment=diffaugment or
    # augment=ada; none switches augmentation off.
    "augment": {"name": "none"},
    # Who follows the run (kind tracker, from plugins): tracker=mlflow, tracker=wandb; none follows nothing.
    "tracker": {"name": "none"},
    "optim": {
        "generator": {"lr": 2e-4, "betas": [0.5, 0.999], "weight_decay": 0.0},
        "discriminator": {"lr": 2e-4, "betas": [0.5, 0.999], "weight_decay": 0.0},
    },
    "samples": {"show": ["fake"], "count": 64, "seed": 1234},
    "train": {
        "steps": 0,
        "epochs": 0,
        "batch_size": 64,
        "seed": 0,
        "device": "auto",
        "amp": "none",
        "num_workers": 0,
        "log_every": 50,
        "sample_every": 500,
        "checkpoint_every": 500,
        "keep_checkpoints": 3,
        "on_nonfinite": "stop",
        "progress": True,
        # Fast paths, off by default because they change numerics or start-up time.
        "channels_last": False,
        "compile": False,
        # Adam in one fused kernel: the same update up to floating-point rounding, and some 12 % of a
        # 256×256 pix2pix step faster on a CPU than the per-tensor loop (benchmarks/README.md).
        "fused_optimizer": True,
    },
    "eval": dict(EVAL_DEFAULTS),
    # Filled when a run is built: each network instance's part and every parameter it was built with
    # (ganzoo.training.build). A new run records its own; a checkpoint's are rebuilt exactly.
    "instances": {},
}


def _recipes(registry: Registry | None) -> Registry:
    if registry is not None:
        return registry
    from ganzoo.plugins import get_registry

    return get_registry()


def recipe_names(registry: Registry | None = None) -> list[str]:
    """The names of the registered recipes: ganzoo's own and every plugin's (kind ``recipe``).

    Args:
        registry: Where to look (default: the process-wide registry).
    """
    return _recipes(registry).names(RECIPE_KIND)


def recipe_of(part: Part) -> dict[str, Any]:
    """What a ``recipe`` part builds: a fresh copy of its mapping of settings.

    Read without the contract check of :meth:`~ganzoo.registry.Part.build`, which imports torch, so
    that ``ganzoo recipes`` stays quick; the mapping is checked here.

    Raises:
        ConfigError: If the part cannot be read, or is not a mapping.
    """
    try:
        recipe = part.factory()
    except (GanzooError, ValueError, TypeError, OSError) as error:
        raise ConfigError(f"{part.label} from '{part.plugin}' ({part.source}) cannot be read: {error}") from error
    if not isinstance(recipe, Mapping):
        raise PartContractError(
            f"{part.label} from '{part.plugin}' ({part.source}) built {type(recipe).__name__}, but a recipe must be "
            "a mapping of run settings (collections.abc.Mapping); register a YAML file or a function returning a dict"
        )
    return copy.deepcopy(dict(recipe))


def recipe_text(name: str, registry: Registry | None = None) -> tuple[str, str]:
    """A registered recipe as its author wrote it: ``(where, text)``.

    For a packaged YAML file, its path (``ganzoo/recipes/dcgan.yaml``) and its text, comments
    included; for a recipe a function builds, its source and the mapping as YAML.
    """
    part = _recipes(registry).get(RECIPE_KIND, name)
    if isinstance(part.factory, PackagedYaml):
        return part.factory.display_path, part.factory.text()
    return part.source, to_yaml(recipe_of(part))


def load_recipe(name: str, registry: Registry | None = None) -> dict[str, Any]:
    """Load a registered recipe by name, or a recipe file by path.

    Args:
        name: A recipe's name (``ganzoo recipes``), or a path ending in ``.yaml``/``.yml`` or holding ``/``.
        registry: Where registered recipes are looked up (default: the process-wide registry).

    Raises:
        UnknownPartError: For an unknown name, with the closest ones.
        ConfigError: For a file or recipe that cannot be read.
    """
    if name.endswith((".yaml", ".yml")) or "/" in name:
        return load_yaml(Path(name))
    registry = _recipes(registry)
    names = registry.names(RECIPE_KIND)
    if name not in names:
        raise UnknownPartError(
            f"unknown recipe '{name}'{did_you_mean(name, names)} (recipes: {', '.join(names)}; run 'ganzoo recipes')"
        )
    return recipe_of(registry.get(RECIPE_KIND, name))


def with_defaults(recipe: Mapping[str, Any], source: str) -> dict[str, Any]:
    """A recipe merged into :data:`RUN_DEFAULTS` (every setting present), its keys checked.

    Raises:
        ConfigError: For a key no run has, at any depth.
    """
    return _merge(RUN_DEFAULTS, recipe, source)


def _merge(base: Mapping[str, Any], override: Mapping[str, Any], source: str) -> dict[str, Any]:
    """Merge a recipe or a file into ``base``, refusing keys ``base`` does not have at any depth.

    Mappings are merged key by key, except the :data:`REPLACED_SECTIONS`, which a recipe that
    defines them defines whole; any other value replaces the one before (whatever its type: the
    settings' schema checks types afterwards).
    """
    check_keys(base, override, source, replaced=REPLACED_SECTIONS)
    merged = _merged(base, override, REPLACED_SECTIONS)
    try:  # plain containers again, with nothing shared with base or between aliases
        result = OmegaConf.to_container(OmegaConf.create(merged), resolve=False)
    except (OmegaConfBaseException, TypeError, ValueError) as error:  # a set, a date, …
        raise ConfigError(f"{source}: {' '.join(str(error).split())}") from error
    return result  # type: ignore[return-value]


def _merged(base: Mapping[str, Any], override: Mapping[str, Any], replaced: Sequence[str] = ()) -> dict[str, Any]:
    result = dict(base)
    for key, value in override.items():
        inner = result.get(key)
        if key not in replaced and isinstance(inner, Mapping) and isinstance(value, Mapping):
            result[key] = _merged(inner, value)
        else:
            result[key] = value
    return result


def resolve_run_config(words: Sequence[str], config_file: str | None = None) -> dict[str, Any]:
    """Build a run's configuration: defaults, then the recipe, then a config file, then the words.

    Args:
        words: ``key=value`` words; ``recipe=NAME`` (or a path) picks the recipe.
        config_file: A YAML file (a recipe, or a spec written by ``ganzoo build --out``).

    Returns:
        The configuration, its values checked and normalised by :func:`ganzoo.settings.check_run_settings`.

    Raises:
        ConfigError: If no recipe is named, a setting is unknown (at any depth of a file), or a value
            does not fit its setting.
    """
    recipe_words = [word for word in words if word.split("=", 1)[0].strip() == "recipe"]
    rest = [word for word in words if word not in recipe_words]
    file_config = load_yaml(config_file) if config_file else {}
    recipe = recipe_words[-1].split("=", 1)[1].strip() if recipe_words else file_config.get("recipe")
    if not recipe:
        raise ConfigError(f"name a recipe: recipe=NAME (one of {', '.join(recipe_names())}; run 'ganzoo recipes')")
    config = with_defaults(load_recipe(str(recipe)), f"recipe '{recipe}'")
    if file_config:
        file_config = {key: value for key, value in file_config.items() if value is not None or key not in config}
        config = _merge(config, file_config, f"config file '{config_file}'")
    config["recipe"] = config.get("recipe") or str(recipe)
    return check_run_settings(apply_words(config, rest))
