"""Checking a sweep against ganzoo before any trial starts, and nothing written.

Every value of every list, and both bounds of every range, is resolved into a run configuration with
the fixed words (the other parameters at their first value or lower bound): an unknown setting or a
value that does not fit is refused with ganzoo's own message. The first point is then built as a run
(its data set, networks, losses and evaluation; no directory), and so is every other part a list
selects (``generator=dcgan,resnet``): that checks the parts' names and parameters, and tells whether
the runs measure the objective at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ganzoo.config import is_slot
from ganzoo.errors import did_you_mean
from ganzoo.plugins import PluginHost
from ganzoo.training import resolve_run_config
from ganzoo_optuna.spec import SWEEP_WORDS, SweepError, SweepSpec

#: The run words every trial gets unless the sweep's words set them: the trials' progress bars are off.
TRIAL_DEFAULTS = {"train.progress": "false"}


@dataclass
class CheckedSweep:
    """A sweep ganzoo can run.

    Attributes:
        spec: The sweep's words.
        direction: ``minimize`` or ``maximize``.
        out: The sweep folder.
        storage: The Optuna storage URL.
        study: The study's name.
        total_steps: The first point's length in steps.
        eval_every: Its evaluation interval.
    """

    spec: SweepSpec
    direction: str
    out: Path
    storage: str
    study: str
    total_steps: int
    eval_every: int

    def trial_words(self, values: dict[str, Any], directory: Path) -> list[str]:
        """The words of the ganzoo run of one trial, with its run directory."""
        words = self.spec.trial_words(values)
        given = {w.partition("=")[0].strip() for w in words}
        defaults = [f"{key}={value}" for key, value in TRIAL_DEFAULTS.items() if key not in given]
        return [*defaults, *words, f"out={directory}"]


def _corner(spec: SweepSpec, index: int) -> dict[str, Any]:
    return {p.key: p.corners[index] for p in spec.parameters}


def _resolve(spec: SweepSpec, values: dict[str, Any]) -> dict[str, Any]:
    return resolve_run_config(spec.trial_words(values))


def _node(config: dict[str, Any], key: str) -> Any:
    node: Any = config
    for part in key.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


def _check_plain_keys(spec: SweepSpec, base: dict[str, Any]) -> None:
    """An undotted word the run does not know may be a misspelt sweep word: suggest both kinds."""
    for word in [*spec.fixed, *(f"{p.key}={p.text}" for p in spec.parameters)]:
        key = word.partition("=")[0].strip()
        if "." not in key and key != "recipe" and key not in base:
            known = [*SWEEP_WORDS, *base]
            raise SweepError(f"{word}: no sweep or run setting '{key}'{did_you_mean(key, known)} (sweep settings: {', '.join(SWEEP_WORDS)})")


def check_sweep(spec: SweepSpec, host: PluginHost) -> CheckedSweep:
    """Check a sweep against ganzoo: its settings, its trials' settings and its objective.

    Args:
        spec: The sweep's words.
        host: The plugin host the trials run with.

    Returns:
        The checked sweep, with its folder, storage, study and direction decided.

    Raises:
        GanzooError: For an unknown setting, a value that does not fit, a part that cannot be built,
            an objective the runs do not measure, or a sweep folder that cannot be used.
    """
    from ganzoo.training.trainer import Trainer

    base = resolve_run_config([w for w in spec.fixed if w.partition("=")[0].strip() == "recipe"])
    _check_plain_keys(spec, base)
    first = _corner(spec, 0)
    built = [first]
    for parameter in spec.parameters:
        values = parameter.choices if parameter.is_list else parameter.corners
        for value in values:
            config = _resolve(spec, {**first, parameter.key: value})
            if parameter.is_list and value != first[parameter.key] and is_slot(_node(config, parameter.key)):
                built.append({**first, parameter.key: value})  # another part: its parameters are checked by building it
    registry = host.registry
    for values in reversed(built):  # the first point last: its run is the one measured below
        config = _resolve(spec, values)
        config["tracker"] = {"name": "none"}  # checked by resolving; a tracker is built only by a trial
        trainer = Trainer(config, Path(config.get("out") or "."), host=host)  # built, nothing written
    measured = _check_objective(spec, trainer, registry)
    direction = spec.direction or ("maximize" if measured.higher_is_better else "minimize")
    out = Path(spec.settings.get("out") or Path("sweeps") / Path(spec.recipe).stem)
    _check_folder(out)
    storage = spec.settings.get("storage") or f"sqlite:///{(out / 'optuna.db').absolute()}"
    study = spec.settings.get("study") or out.absolute().name
    return CheckedSweep(spec, direction, out, storage, study, trainer.total_steps, trainer.evaluation.every)


def _check_objective(spec: SweepSpec, trainer: Any, registry: Any) -> Any:
    name = spec.objective.removeprefix("eval/")
    known = registry.names("metric")
    if name not in known:
        raise SweepError(
            f"objective={spec.objective}: no measure '{name}'{did_you_mean(name, known)}; "
            f"use eval/NAME with a measure of eval.metrics ({', '.join('eval/' + m for m in known)})"
        )
    evaluation = trainer.evaluation
    if not evaluation.every:
        raise SweepError(f"objective={spec.objective}: the runs are not evaluated (eval.every=0); add eval.every=N, a number of steps")
    if evaluation.every > trainer.total_steps:
        raise SweepError(
            f"objective={spec.objective}: eval.every={evaluation.every} is longer than the runs' {trainer.total_steps} steps, "
            f"so they are never measured; add eval.every={max(1, trainer.total_steps // 2)} or train longer"
        )
    if name not in evaluation.metrics:
        raise SweepError(
            f"objective={spec.objective} is not measured by the runs (eval.metrics gives {', '.join(evaluation.metrics) or 'nothing'}); "
            f"add eval.metrics=[{', '.join([*evaluation.metrics, name])}]"
        )
    return registry.get("metric", name).build()  # a Measure: its higher_is_better gives the direction


def _check_folder(out: Path) -> None:
    from ganzoo.output_paths import check_new_output
    from ganzoo.training.run_directory import is_run_directory

    check_new_output(out, overwrite=False, kind="folder", option="out=")
    if out.is_dir() and is_run_directory(out):
        raise SweepError(f"out={out} is a run directory; a sweep needs its own folder, e.g. out=sweeps/NAME")
    from ganzoo_optuna.study import MARKER, SWEEP_LOCK

    # A worker starting the sweep takes its lock first, then writes the marker: either says "a sweep".
    if out.is_dir() and not (out / MARKER).is_file() and not (out / SWEEP_LOCK).is_file() and any(out.iterdir()):
        raise SweepError(f"out={out} holds files and no {MARKER}: it is not a sweep folder; choose another out=")
