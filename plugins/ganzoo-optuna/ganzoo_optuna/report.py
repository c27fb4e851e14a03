"""A sweep's outcome: the table of its trials, a plot of the objective against each parameter, the best run."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ganzoo.cli.tables import table
from ganzoo_optuna.trials import show_value

if TYPE_CHECKING:
    import optuna

    from ganzoo_optuna.checks import CheckedSweep
    from ganzoo_optuna.spec import Parameter
    from ganzoo_optuna.study import SweepFolder

#: The plot's file name, in the sweep folder.
PLOT = "sweep.png"
STATES = {"COMPLETE": "complete", "PRUNED": "pruned", "FAIL": "failed", "RUNNING": "running", "WAITING": "waiting"}


def _objective_cell(trial: Any) -> str:
    if trial.state.name == "COMPLETE" and trial.value is not None:
        return f"{trial.value:.4g}"
    if trial.state.name == "PRUNED" and trial.intermediate_values:
        step = max(trial.intermediate_values)
        return f"{trial.intermediate_values[step]:.4g} @{step}"
    return "-"


def _run_cell(folder: SweepFolder, trial: Any) -> str:
    directory = folder.path / str(trial.user_attrs.get("run", ""))
    return str(directory) if trial.user_attrs.get("run") and directory.is_dir() else "-"


def trials_table(study: optuna.Study, checked: CheckedSweep, folder: SweepFolder) -> str:
    """The trials: number, state, each parameter, the objective, the steps run and the run directory."""
    keys = [p.key for p in checked.spec.parameters]
    rows = []
    for trial in study.get_trials(deepcopy=False):
        rows.append([
            str(trial.number),
            STATES.get(trial.state.name, trial.state.name.lower()),
            *(show_value(trial.params[key]) if key in trial.params else "-" for key in keys),
            _objective_cell(trial),
            str(trial.user_attrs.get("steps", "-")),
            _run_cell(folder, trial),
        ])
    return table(rows, ["TRIAL", "STATE", *keys, checked.spec.objective, "STEPS", "RUN"])


def _log_axis(parameter: Parameter) -> bool:
    """A log range, or a list of positive numbers spanning at least a factor of 10, is drawn on a log axis."""
    if parameter.kind == "log":
        return True
    if not parameter.is_list or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in parameter.choices):
        return False
    return min(parameter.choices) > 0 and max(parameter.choices) >= 10 * min(parameter.choices)


def _numeric(parameter: Parameter) -> bool:
    return not parameter.is_list or all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in parameter.choices)


def write_plot(study: optuna.Study, checked: CheckedSweep, folder: SweepFolder) -> Path | None:
    """Plot the objective against each swept parameter (one subplot each) into ``OUT/sweep.png``.

    Complete trials are dots, pruned ones crosses at their last evaluation, the best trial a star.

    Returns:
        The plot's path, or ``None`` when no trial has a value yet.
    """
    import matplotlib
    import numpy

    matplotlib.use("Agg")  # no display: a file only
    import matplotlib.pyplot as plt
    from matplotlib.ticker import NullLocator

    trials = [t for t in study.get_trials(deepcopy=False) if _objective_cell(t) != "-"]
    if not trials:
        return None
    best = _best(study)
    parameters = checked.spec.parameters
    columns = min(len(parameters), 3)
    rows = math.ceil(len(parameters) / columns)
    figure, axes = plt.subplots(rows, columns, figsize=(4.2 * columns, 3.4 * rows), squeeze=False)
    for axis, parameter in zip(axes.flat, parameters):
        points = [(t, t.params[parameter.key]) for t in trials if parameter.key in t.params]
        position = {v: i for i, v in enumerate(parameter.choices)} if not _numeric(parameter) else None
        for state, marker, label in (("COMPLETE", "o", "complete"), ("PRUNED", "x", "pruned (last evaluation)")):
            chosen = [(t, v) for t, v in points if t.state.name == state]
            if chosen:
                xs = [position[v] if position else v for _, v in chosen]
                ys = [t.value if state == "COMPLETE" else t.intermediate_values[max(t.intermediate_values)] for t, _ in chosen]
                axis.scatter(xs, ys, marker=marker, label=label, color="tab:blue" if state == "COMPLETE" else "tab:grey")
        if best is not None and parameter.key in best.params:
            value = best.params[parameter.key]
            axis.scatter([position[value] if position else value], [best.value], marker="*", s=160, color="tab:red", label=f"best (trial {best.number})", zorder=3)
        if position:
            axis.set_xticks(range(len(parameter.choices)), [str(v) for v in parameter.choices])
        elif _log_axis(parameter):
            axis.set_xscale("log")
        if not parameter.is_list:  # the range's bounds and two ticks between them, on its own scale
            low, high = parameter.corners
            ticks = numpy.geomspace(low, high, 4) if parameter.kind == "log" else numpy.linspace(low, high, 4)
            axis.set_xticks(list(ticks), [f"{t:.3g}" for t in ticks])
            axis.xaxis.set_minor_locator(NullLocator())
        if parameter.is_list and not position:  # a tick at each listed value, and no others
            axis.set_xticks([float(v) for v in parameter.choices], [str(v) for v in parameter.choices])
            axis.xaxis.set_minor_locator(NullLocator())
        axis.ticklabel_format(axis="y", useOffset=False)
        axis.set_xlabel(parameter.key)
        axis.set_ylabel(checked.spec.objective)
        axis.grid(True, alpha=0.3)
    for axis in list(axes.flat)[len(parameters):]:
        axis.set_visible(False)
    axes.flat[0].legend(fontsize="small")
    better = "lower" if checked.direction == "minimize" else "higher"
    figure.suptitle(f"{checked.study}: {checked.spec.objective} ({better} is better), {len(trials)} trials")
    figure.tight_layout()
    path = folder.path / PLOT
    temporary = path.with_name(f".{PLOT}.tmp")
    figure.savefig(temporary, format="png", dpi=100)
    plt.close(figure)
    os.replace(temporary, path)
    return path


def _best(study: optuna.Study) -> Any:
    try:
        return study.best_trial
    except ValueError:  # no complete trial
        return None


def best_line(study: optuna.Study, checked: CheckedSweep, folder: SweepFolder) -> str:
    """``best: trial 3, eval/fid 12.3, runs in OUT/trial-0003; resume or sample it with ...``."""
    best = _best(study)
    if best is None:
        return "best: none yet (no trial has completed)"
    directory = folder.path / str(best.user_attrs.get("run", ""))
    checkpoint = directory
    record = directory / "checkpoints" / "best.json"
    if checked.spec.score == "best" and record.is_file():
        try:
            if json.loads(record.read_text(encoding="utf-8")).get("metric") == checked.spec.objective.removeprefix("eval/"):
                checkpoint = directory / "checkpoints" / "best.pt"
        except (OSError, ValueError):
            pass
    steps = best.user_attrs.get("steps", checked.total_steps)
    return (
        f"best: trial {best.number}, {checked.spec.objective} {best.value:.4g}, runs in {directory}; resume it with "
        f"ganzoo train resume={directory} train.steps={int(steps) * 2} or sample it with ganzoo sample checkpoint={checkpoint}"
    )
