"""``ganzoo sweep``: check the sweep, open its study, run trials until it has them all, report."""

from __future__ import annotations

import contextlib
import logging
import shutil
from collections.abc import Iterator

from ganzoo.plugins import PluginHost, get_host, set_host
from ganzoo_optuna.checks import CheckedSweep, check_sweep
from ganzoo_optuna.report import best_line, trials_table, write_plot
from ganzoo_optuna.spec import SweepError, parse_sweep
from ganzoo_optuna.study import SweepFolder, open_study, pick_trial
from ganzoo_optuna.trials import TrialReporter, run_trial

#: The exit status of a sweep interrupted by Ctrl-C or SIGTERM (as ``ganzoo train``'s).
EXIT_INTERRUPTED = 130
#: Loggers whose progress messages the sweep's own lines replace while trials run.
QUIETED = ("ganzoo.training", "ganzoo.metrics")


def _host(reporter: TrialReporter) -> PluginHost:
    """The command's plugins (``--disable-plugin`` included) and the sweep's reporter."""
    current = get_host()
    host = PluginHost(third_party=current.third_party, disabled=current.disabled_names)
    host.add_plugin(reporter, "optuna-trial", distribution="ganzoo-optuna")
    return host


@contextlib.contextmanager
def _quiet_runs() -> Iterator[None]:
    loggers = [logging.getLogger(name) for name in QUIETED]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels):
            logger.setLevel(level)


def _describe(checked: CheckedSweep, done: int) -> str:
    spec = checked.spec
    swept = " ".join(f"{p.key}={p.text}" for p in spec.parameters)
    how = f"a grid of {spec.grid_size} points" if spec.is_grid else "a TPE search"
    direction = "lower" if checked.direction == "minimize" else "higher"
    resumed = f" ({done} already in the study)" if done else ""
    return (
        f"sweep '{checked.study}': {how} over {swept}, {spec.trials} trials{resumed}; {spec.objective} "
        f"({spec.score} evaluation, {direction} is better), pruner {spec.pruner}; storage {checked.storage}; runs in {checked.out}"
    )


def run_sweep(words: list[str]) -> int:
    """Run ``ganzoo sweep WORDS``; returns the exit status (0, or 130 when interrupted).

    Raises:
        GanzooError: For a bad specification, before any trial starts and with nothing written.
    """
    spec = parse_sweep(words)
    reporter = TrialReporter(spec.objective)
    host = _host(reporter)
    previous = set_host(host)  # the trials' configurations are resolved with the same plugins
    try:
        checked = check_sweep(spec, host)
        try:
            import optuna  # noqa: F401  (installed with this plugin; say so if it is not)
        except ImportError as error:
            raise SweepError(f"ganzoo sweep needs Optuna: pip install ganzoo-optuna (or pip install optuna) ({error})") from error
        folder = SweepFolder(checked.out)
        new = not folder.path.exists()
        folder.path.mkdir(parents=True, exist_ok=True)
        try:
            study = open_study(checked, folder)
        except BaseException:
            if new:  # nothing of this command stays behind
                shutil.rmtree(folder.path, ignore_errors=True)
            raise
        folder.create(words, checked.storage, checked.study)
        print(_describe(checked, len(study.get_trials(deepcopy=False))), flush=True)
        interrupted = _run_trials(study, checked, folder, reporter, host)
        print(trials_table(study, checked, folder))
        plot = write_plot(study, checked, folder)
        print(f"plot: {plot}" if plot else "plot: none yet (no trial has a value)")
        print(best_line(study, checked, folder))
    finally:
        set_host(previous)
    if interrupted:
        print("interrupted: run the same command again to resume the sweep", flush=True)
        return EXIT_INTERRUPTED
    return 0


def _run_trials(study: object, checked: CheckedSweep, folder: SweepFolder, reporter: TrialReporter, host: PluginHost) -> bool:
    """Run trials until the study has ``trials`` (with the other workers'); returns whether interrupted."""
    with _quiet_runs():
        while True:
            picked = pick_trial(study, folder, checked)
            if picked is None:
                return False
            trial, left, claim = picked
            try:
                outcome = run_trial(checked, folder, trial, left, reporter, host)
            finally:
                claim.release()
            if outcome.state == "interrupted":
                return True
