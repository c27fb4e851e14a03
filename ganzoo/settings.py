"""What each setting of a run may hold: one table of constraints, checked before anything is written.

:data:`~ganzoo.training.recipes.RUN_DEFAULTS` says which settings a run has and their defaults;
:data:`SCHEMA` says, for each of them, which values make sense and why. :func:`check_run_settings`
applies the table to a whole configuration — a new run's (from
:func:`~ganzoo.training.recipes.resolve_run_config`) or a resumed one's — and returns it with the
values normalised (a learning rate given as ``1`` becomes ``1.0``).

Counts must be integers as written: ``train.steps=2.5`` and ``train.steps=2.0`` are both refused,
as a run of 2.5 steps is a mistake and not a request to round. Types are checked with
:func:`ganzoo.parameters.check_value`, the checker of the parts' parameters. A part's own parameters
(inside ``generator: {name: …}``, ``loss.l1``, …) are not in the table: they are checked against
its signature when it is built. Nor are the tensor names and wiring of ``forward``, ``adversarial``
and ``objective``, which the trainer checks against the networks and the data.
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from ganzoo.errors import ConfigError
from ganzoo.parameters import check_value

__all__ = ["SCHEMA", "Setting", "check_run_settings"]


@dataclass(frozen=True)
class Setting:
    """The constraint on one setting.

    Attributes:
        annotation: Its type, as :func:`~ganzoo.parameters.check_value` understands it.
        expected: What a message says is expected, e.g. ``"a whole number of steps (an integer ≥ 0)"``.
        valid: A further test of the typed value (a range, a length).
        entries: The constraint on each entry of a mapping or list, named ``key.entry`` or ``key[i]``.
    """

    annotation: Any
    expected: str
    valid: Callable[[Any], bool] = lambda value: True
    entries: Setting | None = None


def _count(minimum: int, what: str, why: str = "") -> Setting:
    return Setting(int, f"{what} (an integer ≥ {minimum}{why})", lambda value: value >= minimum)


def _optional_count(what: str) -> Setting:
    return Setting(int | None, f"{what} (an integer ≥ 1, or null for what the data set says)", lambda v: v is None or v >= 1)


def _seed(what: str) -> Setting:
    return Setting(int, f"{what} (an integer from 0 to 2**32 - 1, the range every random generator takes)", lambda v: 0 <= v < 2**32)


def _rate(what: str) -> Setting:
    return Setting(float, f"{what} (a finite number ≥ 0)", lambda value: math.isfinite(value) and value >= 0)


def _flag(what: str) -> Setting:
    return Setting(bool, f"true or false ({what})")


def _text(what: str) -> Setting:
    return Setting(str, what)


def _is_slot(value: Any) -> bool:
    return isinstance(value, Mapping) and isinstance(value.get("name"), str)


def _betas(value: list[float]) -> bool:
    return len(value) == 2 and all(0.0 <= beta < 1.0 for beta in value)


_SECTION = "a mapping of the settings listed in RUN_DEFAULTS"
_OPTIM = {
    "": Setting(dict, "a mapping of Adam's settings: lr, betas, weight_decay"),
    ".lr": _rate("a learning rate"),
    ".betas": Setting(list[float], "two numbers in [0, 1), Adam's decay rates, e.g. [0.5, 0.999]", _betas),
    ".weight_decay": _rate("a weight decay"),
}


def _entry(example: str) -> Setting:
    return Setting(dict, f"a mapping, e.g. {example}")


def _slot(example: str) -> Setting:
    return Setting(dict, f"a part: a mapping with its name and parameters, e.g. {{name: {example}}}", _is_slot)


#: Every plain setting of a run, by dotted key, with its constraint. A section's entry comes before
#: its settings', which are checked only when the section is a mapping.
SCHEMA: dict[str, Setting] = {
    "recipe": _text("the recipe's name (a string)"),
    "summary": _text("a one-line description (a string)"),
    "paper": _text("the paper's reference (a string)"),
    "defaults": _text("a description of the recipe's choices (a string)"),
    "data": _slot("digits"),
    "image_size": _optional_count("the images' side in pixels"),
    "channels": _optional_count("the images' channels"),
    "source_channels": _optional_count("the source images' channels"),
    "num_classes": _optional_count("the number of classes"),
    "latent_dim": _count(1, "the size of the generator's noise vector"),
    "conditional": _flag("whether a discriminator sees the generator's input"),
    "generator": _slot("dcgan"),
    "discriminator": _slot("dcgan"),
    "networks": Setting(dict, "a non-empty mapping of network instances to slots, e.g. {G: generator, D: discriminator}", bool),
    "forward": Setting(dict, "a mapping of tensor names to computations, e.g. {fake: {net: G}}", entries=_entry("{net: G}")),
    "adversarial": Setting(list, "a list of games", entries=_entry("{discriminator: D, real: image, fake: fake}")),
    "pool_size": _count(0, "the number of generated images kept for the discriminators", "; 0 keeps none"),
    "loss": Setting(dict, "a mapping of keys to loss parts, e.g. {adversarial: {name: hinge}}", entries=_slot("hinge")),
    "objective": Setting(dict, "a mapping of loss keys to the tensors they compare", entries=_entry("{output: fake, target: image}")),
    "schedule": Setting(dict, "a mapping of keys to schedule parts, e.g. {order: {name: alternating}}", entries=_slot("alternating")),
    "augment": Setting(dict, "an augmentation: a mapping with its name and parameters, e.g. {name: diffaugment}, or {name: none}", _is_slot),
    "tracker": Setting(dict, "a tracker: a mapping with its name and parameters, e.g. {name: mlflow}, or {name: none}", _is_slot),
    "optim": Setting(dict, "a mapping with the optimiser settings of generator and discriminator"),
    **{f"optim.{role}{key}": setting for role in ("generator", "discriminator") for key, setting in _OPTIM.items()},
    "samples": Setting(dict, _SECTION),
    "samples.show": Setting(list[str], "a non-empty list of tensor names, e.g. [fake]", bool),
    "samples.count": _count(1, "the number of images in a sample grid"),
    "samples.seed": _seed("the seed of the sample grids' noise"),
    "train": Setting(dict, _SECTION),
    "train.steps": _count(0, "a whole number of steps", "; 0 trains for train.epochs"),
    "train.epochs": _count(0, "a whole number of epochs", "; used when train.steps is 0"),
    "train.batch_size": _count(1, "a whole number of items per batch"),
    "train.seed": _seed("the run's seed"),
    "train.device": _text("a device name (a string: auto, cpu, cuda, cuda:N or mps)"),
    "train.amp": _text("a precision name (a string: none, bf16 or fp16)"),
    "train.num_workers": _count(0, "a whole number of data-loading processes", "; 0 loads in the training process"),
    "train.log_every": _count(1, "a whole number of steps between log lines"),
    "train.sample_every": _count(0, "a whole number of steps between sample grids", "; 0 writes only the last"),
    "train.checkpoint_every": _count(0, "a whole number of steps between checkpoints", "; 0 writes only the last"),
    "train.keep_checkpoints": _count(0, "the number of step checkpoints kept", "; 0 keeps all"),
    "train.on_nonfinite": Setting(Literal["stop", "skip"], "stop (end the run) or skip (drop that update)"),
    "train.progress": _flag("show a progress bar"),
    "train.channels_last": _flag("store images channels-last"),
    "train.compile": _flag("compile the networks with torch.compile"),
    "train.fused_optimizer": _flag("use the fused Adam kernel"),
    "eval": Setting(dict, "a mapping of the evaluation settings: every, metrics, n, features, best"),
    "instances": Setting(dict, "a mapping of network instances to the part and parameters each was built with"),
    "eval.every": _count(0, "a whole number of steps between evaluations", "; 0 switches them off"),
    "eval.metrics": Setting(str | list[str], "a measure name or a list of them, e.g. [fid, kid]"),
    "eval.n": _count(2, "the number of images measured", "; a distribution needs at least 2"),
    "eval.features": Setting(str | dict, "a feature extractor's name, or a part {name: …, …}"),
    "eval.best": Setting(str | None, "the measure that picks the best checkpoint, or null for none"),
}
# out= is a path, which may be written as a number; what it names is checked when the run starts.


def _show(value: Any) -> str:
    """A value as it would be written on the command line."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (list, tuple, Mapping)):
        text = json.dumps(value, default=str)
        return text if len(text) <= 60 else text[:57] + "..."
    return str(value)


def _check(key: str, setting: Setting, value: Any, problems: list[str]) -> Any:
    """The value, typed; a problem is added to ``problems`` (and the value kept) when it does not fit."""
    try:
        checked = check_value(setting.annotation, value)
        fits = setting.valid(checked)
    except TypeError:
        fits = False
    if not fits:
        problems.append(f"{key}={_show(value)}: expected {setting.expected}")
        return value
    if setting.entries is not None:
        names = checked.items() if isinstance(checked, dict) else ((f"[{i}]", v) for i, v in enumerate(checked))
        entries = {name: _check(f"{key}.{name}" if isinstance(checked, dict) else f"{key}{name}", setting.entries, entry, problems) for name, entry in names}
        checked = dict(entries) if isinstance(checked, dict) else list(entries.values())
    return checked


def check_run_settings(config: Mapping[str, Any]) -> dict[str, Any]:
    """Check a run's configuration against :data:`SCHEMA` and return it with its values normalised.

    Settings the configuration lacks are left out (a configuration from an older version may lack
    some); settings the table does not list are returned as they are. Nothing is modified in place.

    Args:
        config: A run's configuration.

    Returns:
        A copy of ``config`` with each listed value as the table's type gives it (e.g. an integer
        learning rate as a float).

    Raises:
        ConfigError: Naming every value that does not fit and what is expected of it, e.g.
            ``train.steps=2.5: expected a whole number of steps (an integer ≥ 0; …)``.
    """
    checked = copy.deepcopy(dict(config))
    problems: list[str] = []
    refused: set[str] = set()
    for key, setting in SCHEMA.items():
        *parents, name = key.split(".")
        if any(".".join(parents[: i + 1]) in refused for i in range(len(parents))):
            continue  # inside a section already refused
        section: Any = checked
        for parent in parents:
            section = section.get(parent) if isinstance(section, dict) else None
        if not isinstance(section, dict) or name not in section:
            continue  # absent: a configuration from an older version may lack it
        before = len(problems)
        section[name] = _check(key, setting, section[name], problems)
        if len(problems) > before:
            refused.add(key)
    if problems:
        raise ConfigError("; ".join(problems))
    return checked
