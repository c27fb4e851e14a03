"""One trial: a ganzoo run in the sweep folder, its evaluations reported to Optuna, pruned when hopeless.

A trial's parameters come from Optuna (a grid point, or TPE's draw), its run words are the fixed words
and those parameters, and its run directory is ``OUT/trial-NNNN``. The :class:`TrialReporter`, an
in-process plugin of the sweep's host, sees the run's ``ganzoo_step_end`` hooks: each evaluation of the
objective is reported to the trial (``trial.report(value, step)``), and when the pruner finds the
trial hopeless the run is asked to stop (``run.request_stop``): it ends "stopped", with a checkpoint,
and the trial is told PRUNED.

A trial's value is its final evaluation (``score=final``) or its best one (``score=best``), read from
the evaluations reported to the trial, so a trial resumed by another process has them all.
"""

from __future__ import annotations

import math
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ganzoo import hookimpl
from ganzoo.errors import GanzooError

if TYPE_CHECKING:
    from ganzoo.plugins import PluginHost
    from ganzoo_optuna.checks import CheckedSweep
    from ganzoo_optuna.spec import Parameter
    from ganzoo_optuna.study import SweepFolder


class TrialReporter:
    """The sweep's in-process plugin: reports one run's evaluations to its trial, and prunes it.

    Args:
        objective: The logged value optimised, e.g. ``eval/fid``.
    """

    def __init__(self, objective: str) -> None:
        self.objective = objective
        self.trial: Any = None
        self.run: Any = None
        #: The objective by step, reported so far (by this process or the one the trial was taken from).
        self.values: dict[int, float] = {}
        self.pruned_at: int | None = None

    def follow(self, trial: Any, run: Any, reported: dict[int, float]) -> None:
        """Report ``run``'s evaluations to ``trial``; ``reported`` holds the values it already has."""
        self.trial, self.run, self.values, self.pruned_at = trial, run, dict(reported), None

    def stop_following(self) -> None:
        """Report nothing more (between trials)."""
        self.trial = self.run = None

    @hookimpl
    def ganzoo_step_end(self, run: Any, step: int, losses: dict[str, float]) -> None:
        """Report the objective when the run measured it; ask the run to stop when the pruner says so."""
        if self.trial is None or run is not self.run:
            return
        value = losses.get(self.objective)
        if value is None or not math.isfinite(value):
            return
        if step not in self.values:  # a resumed run repeats the steps after its checkpoint
            self.trial.report(float(value), step)
            self.values[step] = float(value)
        # The last evaluation completes the trial: pruning it then would throw away a finished run.
        if step < run.total_steps and self.pruned_at is None and self.trial.should_prune():
            self.pruned_at = step
            run.request_stop(f"trial {self.trial.number} pruned at step {step} ({self.objective} {value:.4g})")


@dataclass
class Outcome:
    """How a trial ended.

    Attributes:
        state: ``complete``, ``pruned``, ``failed`` or ``interrupted`` (the trial stays RUNNING).
        steps: The run's steps when it ended.
        value: The trial's value (complete), or its last reported one (pruned).
        message: What went wrong (failed).
    """

    state: str
    steps: int = 0
    value: float | None = None
    message: str = ""


def suggest(trial: Any, parameter: Parameter) -> Any:
    """The trial's value of one parameter (a taken-over trial gets the value it already has)."""
    if parameter.is_list:
        return trial.suggest_categorical(parameter.key, list(parameter.choices))
    if parameter.kind == "int":
        return trial.suggest_int(parameter.key, int(parameter.low), int(parameter.high))
    return trial.suggest_float(parameter.key, parameter.low, parameter.high, log=parameter.kind == "log")


def show_value(value: Any) -> str:
    """A parameter's value for the progress lines and the table."""
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _trainer(words: list[str], directory: Path, host: PluginHost) -> tuple[Any, bool]:
    """A trial's run: resumed from its newest checkpoint if it has one, else new (clearing a killed start)."""
    from ganzoo.training import Trainer, resolve_run_config
    from ganzoo.training.run_directory import has_checkpoint, is_run_directory

    if directory.is_dir() and has_checkpoint(directory):
        return Trainer.resume(directory, host=host), True
    if directory.exists():
        if not directory.is_dir() or (any(directory.iterdir()) and not is_run_directory(directory)):
            raise GanzooError(f"{directory} holds files that are not a ganzoo run; move them away to run this trial")
        shutil.rmtree(directory)  # a run killed before its first checkpoint: nothing to resume
    return Trainer.create(resolve_run_config(words), host=host), False


def _score(values: dict[int, float], score: str, direction: str) -> float | None:
    if not values:
        return None
    if score == "final":
        return values[max(values)]
    return min(values.values()) if direction == "minimize" else max(values.values())


def run_trial(
    checked: CheckedSweep, folder: SweepFolder, trial: Any, left: Any, reporter: TrialReporter, host: PluginHost
) -> Outcome:
    """Run one trial to its end and tell Optuna how it ended (unless it was interrupted).

    Args:
        checked: The sweep.
        folder: The sweep folder.
        trial: The :class:`optuna.Trial`.
        left: The frozen trial when this one was taken over from a process that is gone, else ``None``.
        reporter: The sweep's plugin, which reports the run's evaluations to the trial.
        host: The plugin host the run uses.

    Returns:
        How the trial ended; a run that failed (an error, a divergence) is told FAIL and the sweep goes on.
    """
    from optuna.trial import TrialState

    spec = checked.spec
    values = {p.key: suggest(trial, p) for p in spec.parameters}
    directory = folder.run_directory(trial.number)
    shown = " ".join(f"{key}={show_value(value)}" for key, value in values.items())
    started = time.perf_counter()
    trainer = None
    try:
        trainer, resumed = _trainer(checked.trial_words(values, directory), directory, host)
        if resumed or left is not None:
            how = f"resumed at step {trainer.step} of {trainer.total_steps}" if resumed else "started again"
            print(f"trial {trial.number} {how} (left running by {left.user_attrs.get('worker', 'a process') if left else 'a process'}): {shown} -> {directory}", flush=True)
        else:
            print(f"trial {trial.number} started: {shown} -> {directory}", flush=True)
        reporter.follow(trial, trainer, dict(left.intermediate_values) if left is not None else {})
        status = trainer.fit()
    except GanzooError as error:
        outcome = Outcome("failed", trainer.step if trainer else 0, message=" ".join(str(error).split()))
    except Exception as error:  # noqa: BLE001  (one trial's fault must not end the sweep)
        outcome = Outcome("failed", trainer.step if trainer else 0, message=f"{type(error).__name__}: {error}")
    else:
        outcome = _ended(status, trainer, reporter, checked)
    finally:
        reporter.stop_following()
    seconds = time.perf_counter() - started + float(left.user_attrs.get("seconds", 0.0) if left is not None else 0.0)
    if outcome.state == "interrupted":
        print(f"trial {trial.number} interrupted at step {outcome.steps}: it stays running in the study; "
              "run the same command again to resume it", flush=True)
        return outcome
    trial.set_user_attr("steps", outcome.steps)
    trial.set_user_attr("seconds", round(seconds, 1))
    if outcome.message:
        trial.set_user_attr("error", outcome.message[:500])
    figure = f"{spec.objective} {outcome.value:.4g}" if outcome.value is not None else ""
    if outcome.state == "complete":
        trial.study.tell(trial, outcome.value)
        print(f"trial {trial.number} complete: {figure} after {outcome.steps} steps ({seconds:.1f} s)", flush=True)
    elif outcome.state == "pruned":
        trial.study.tell(trial, state=TrialState.PRUNED)
        print(f"trial {trial.number} pruned at step {outcome.steps}: {figure} ({seconds:.1f} s); its run stopped with a checkpoint", flush=True)
    else:
        trial.study.tell(trial, state=TrialState.FAIL)
        print(f"trial {trial.number} failed after {outcome.steps} step{'' if outcome.steps == 1 else 's'}: {outcome.message}", flush=True)
    return outcome


def _ended(status: str, trainer: Any, reporter: TrialReporter, checked: CheckedSweep) -> Outcome:
    spec = checked.spec
    steps = int(trainer.step)
    if status == "interrupted":
        return Outcome("interrupted", steps)
    if status == "stopped" and reporter.pruned_at is not None:
        return Outcome("pruned", steps, reporter.values.get(reporter.pruned_at))
    if status != "completed":
        return Outcome("failed", steps, message=f"the run ended {status} at step {steps} of {trainer.total_steps}")
    value = _score(reporter.values, spec.score, checked.direction)
    if value is None:
        return Outcome("failed", steps, message=f"the run gave no {spec.objective} (see its metrics.jsonl)")
    return Outcome("complete", steps, value)
