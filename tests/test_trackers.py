"""Trackers (kind ``tracker``): chosen with a word, called at the lifecycle moments, never costing a run."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
import yaml

import ganzoo.zoo
from ganzoo import hookimpl
from ganzoo.contracts import Tracker
from ganzoo.errors import ConfigError, ParameterError, UnknownPartError
from ganzoo.plugins import PluginHost
from ganzoo.training import Trainer, resolve_run_config

WORDS = [
    "recipe=dcgan", "generator.ngf=8", "discriminator.ndf=8", "train.batch_size=4", "train.log_every=2",
    "train.sample_every=2", "train.checkpoint_every=2", "train.progress=false", "eval.every=0",
]
#: What every RecordingTracker saw, in order, across the runs of a test.
CALLS: list[tuple[str, Any]] = []


class RecordingTracker(Tracker):
    """Records each call; ``fail_in`` names a method that raises (an unreachable server)."""

    def __init__(self, *, project: str = "digits", fail_in: str = "") -> None:
        self.project = project
        self.fail_in = fail_in

    def _record(self, method: str, value: Any) -> None:
        CALLS.append((method, value))
        if method == self.fail_in:
            raise ConnectionError("tracking server unreachable")

    def run_start(self, run: Any) -> None:
        self._record("run_start", run.step)

    def step_end(self, run: Any, step: int, losses: dict[str, float]) -> None:
        self._record("step_end", (step, sorted(losses)))

    def samples_written(self, run: Any, step: int, path: Path) -> None:
        self._record("samples_written", (step, path.name))

    def checkpoint_saved(self, run: Any, step: int, path: Path) -> None:
        self._record("checkpoint_saved", (step, path.name))

    def run_end(self, run: Any, status: str) -> None:
        self._record("run_end", status)


class Stopper(Tracker):
    """Asks the run to stop at step 2, as a sweep pruning a trial does."""

    def step_end(self, run: Any, step: int, losses: dict[str, float]) -> None:
        if step >= 2:
            run.request_stop("pruned at step 2")


class TrackerPlugin:
    @hookimpl
    def ganzoo_register_parts(self, register: Any) -> None:
        register("tracker", "recording", RecordingTracker)
        register("tracker", "stopper", Stopper)


def host(with_trackers: bool = True) -> PluginHost:
    host = PluginHost(third_party=False, entry_points=False)
    host.add_plugin(ganzoo.zoo, "zoo", distribution="ganzoo")
    if with_trackers:
        host.add_plugin(TrackerPlugin(), "trackers", distribution="ganzoo-trackers")
    return host


@pytest.fixture(autouse=True)
def _clear_calls() -> None:
    CALLS.clear()


def names(calls: list[tuple[str, Any]]) -> list[str]:
    return [name for name, _ in calls]


def test_a_tracker_follows_every_moment_of_a_run_and_its_settings_are_recorded(tmp_path: Path) -> None:
    out = tmp_path / "run"
    config = resolve_run_config([*WORDS, f"out={out}", "train.steps=4", "tracker=recording", "tracker.project=mnist"])
    assert Trainer.create(config, host=host()).fit() == "completed"
    assert CALLS[0] == ("run_start", 0) and CALLS[-1] == ("run_end", "completed")
    assert [value[0] for name, value in CALLS if name == "step_end"] == [2, 4]
    assert ("samples_written", (4, "step_00000004.png")) in CALLS
    assert ("checkpoint_saved", (2, "step_00000002.pt")) in CALLS
    assert "D/adversarial" in CALLS[1][1][1] and "lr/G" in CALLS[1][1][1]
    saved = yaml.safe_load((out / "config.yaml").read_text())
    assert saved["tracker"] == {"name": "recording", "project": "mnist", "fail_in": ""}


def test_an_evaluation_between_log_steps_reaches_the_tracker(tmp_path: Path) -> None:
    words = [*WORDS, f"out={tmp_path / 'run'}", "train.steps=3", "train.log_every=3", "eval.every=1", "eval.n=16", "eval.metrics=[classes]", "eval.best=null"]
    Trainer.create(resolve_run_config([*words, "tracker=recording"]), host=host()).fit()
    logged = {value[0]: value[1] for name, value in CALLS if name == "step_end"}
    assert logged[1] == ["eval/classes", "eval/classes_balance"] and "D/adversarial" in logged[3]


def test_a_failing_tracker_warns_once_and_the_run_completes(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    out = tmp_path / "run"
    config = resolve_run_config([*WORDS, f"out={out}", "train.steps=4", "tracker=recording", "tracker.fail_in=step_end"])
    with caplog.at_level(logging.WARNING, logger="ganzoo.plugins"):
        assert Trainer.create(config, host=host()).fit() == "completed"
    warnings = [record.getMessage() for record in caplog.records if "tracker" in record.getMessage()]
    assert len(warnings) == 1 and "tracker 'recording' failed in step_end at step 2" in warnings[0]
    assert "tracking server unreachable" in warnings[0] and "the run goes on" in warnings[0]
    assert names(CALLS) == ["run_start", "step_end"]  # left out after it raised at the first log step
    assert (out / "checkpoints" / "step_00000004.pt").is_file()


def test_a_resumed_run_keeps_its_tracker_and_may_change_its_settings(tmp_path: Path) -> None:
    out = tmp_path / "run"
    Trainer.create(resolve_run_config([*WORDS, f"out={out}", "train.steps=2", "tracker=recording"]), host=host()).fit()
    CALLS.clear()
    resumed = Trainer.resume(out, ["train.steps=4", "tracker.project=other"], host=host())
    assert resumed.tracker.project == "other" and resumed.config["tracker"]["project"] == "other"
    assert resumed.resumed_from == out and resumed.directory == out
    resumed.fit()
    assert CALLS[0] == ("run_start", 2)
    elsewhere = Trainer.resume(out, [f"out={tmp_path / 'other'}"], host=host())
    assert elsewhere.resumed_from == out and elsewhere.directory == tmp_path / "other"
    with pytest.raises(ConfigError, match="only train.* and tracker settings"):
        Trainer.resume(out, ["loss.r1.weight=2"], host=host())


def test_a_stop_requested_by_a_tracker_ends_the_run_with_a_checkpoint(tmp_path: Path) -> None:
    out = tmp_path / "run"
    config = resolve_run_config([*WORDS, f"out={out}", "train.steps=8", "train.log_every=1", "train.checkpoint_every=0", "tracker=stopper"])
    trainer = Trainer.create(config, host=host())
    assert trainer.fit() == "stopped" and trainer.step == 2
    assert (out / "checkpoints" / "latest").read_text().strip() == "step_00000002.pt"
    assert Trainer.resume(out, host=host()).step == 2


@pytest.mark.parametrize(
    ("words", "error", "message"),
    [
        (["tracker=recording", "tracker.projct=x"], ParameterError, "did you mean 'project'"),
        (["tracker=recordng"], UnknownPartError, "did you mean 'recording'"),
        (["tracker.project=x"], ConfigError, "no tracker is chosen; add tracker=NAME"),
    ],
)
def test_bad_tracker_settings_are_refused_before_anything_is_written(
    words: list[str], error: type[Exception], message: str, tmp_path: Path
) -> None:
    out = tmp_path / "run"
    with pytest.raises(error, match=message):
        Trainer.create(resolve_run_config([*WORDS, f"out={out}", "train.steps=2", *words]), host=host())
    assert not out.exists()


def test_a_tracker_name_with_no_tracker_installed_says_where_trackers_come_from(tmp_path: Path) -> None:
    with pytest.raises(UnknownPartError, match="no tracker is installed.*ganzoo-mlflow"):
        Trainer.create(resolve_run_config([*WORDS, f"out={tmp_path / 'run'}", "train.steps=2", "tracker=mlflow"]), host=host(False))


def test_listing_trackers_says_where_they_come_from_or_lists_them(capsys: pytest.CaptureFixture[str]) -> None:
    from ganzoo.cli import main
    from ganzoo.plugins import set_host

    previous = set_host(host(False))
    try:
        assert main(["list", "tracker"]) == 0
        assert "no tracker is installed: trackers come from plugins" in capsys.readouterr().out
        set_host(host())
        assert main(["list", "tracker"]) == 0
        listing = capsys.readouterr().out
        assert "recording" in listing and "ganzoo-trackers" in listing
    finally:
        set_host(previous)
