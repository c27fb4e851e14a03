"""Resuming a sweep: more trials asked, a worker killed or interrupted, and two workers on one study."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest
from conftest import TINY, load, sweep_process
from optuna.trial import TrialState

from ganzoo.cli import main


def test_the_same_command_with_more_trials_runs_only_the_new_ones(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "grid"
    words = ["sweep", *TINY, "train.steps=10", "loss.r1.weight=0.5,1,2", f"out={out}"]
    assert main([*words, "trials=2"]) == 0
    first = {t.number: t.params for t in load(out).trials}
    assert len(first) == 2
    capsys.readouterr()
    assert main(words) == 0  # trials= now defaults to the whole grid: one more
    printed = capsys.readouterr().out
    trials = load(out).trials
    assert "3 trials (2 already in the study)" in printed and printed.count(" started: ") == 1
    assert {t.number: t.params for t in trials[:2]} == first  # kept as they were
    assert sorted(t.params["loss.r1.weight"] for t in trials) == [0.5, 1, 2]
    assert all(t.state == TrialState.COMPLETE for t in trials)


def _wait_for_checkpoint(process: object, run: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not (run / "checkpoints" / "latest").is_file():
        assert process.poll() is None, process.communicate()[0]  # type: ignore[attr-defined]
        assert time.monotonic() < deadline, "no checkpoint was written"
        time.sleep(0.05)


LONG = [*TINY, "train.steps=100", "eval.every=50", "train.checkpoint_every=5", "train.log_every=5",
        "loss.r1.weight=1,4", "trials=1"]


def test_a_trial_left_running_by_a_killed_worker_is_resumed_from_its_checkpoint(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "killed"
    worker = sweep_process(*LONG, f"out={out}", cwd=tmp_path)
    _wait_for_checkpoint(worker, out / "trial-0000")
    worker.send_signal(signal.SIGKILL)  # no chance to tell Optuna anything
    worker.communicate()
    (left,) = load(out).trials
    assert left.state == TrialState.RUNNING
    assert main(["sweep", *LONG, f"out={out}"]) == 0  # the same command again
    printed = capsys.readouterr().out
    assert "trial 0 resumed at step " in printed and "(left running by " in printed
    (trial,) = load(out).trials
    assert trial.state == TrialState.COMPLETE and trial.user_attrs["steps"] == 100
    assert trial.user_attrs["takeovers"] == 1 and sorted(trial.intermediate_values) == [50, 100]
    assert trial.params == left.params


def test_ctrl_c_leaves_the_trial_to_resume_and_exits_130(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "interrupted"
    worker = sweep_process(*LONG, f"out={out}", cwd=tmp_path)
    _wait_for_checkpoint(worker, out / "trial-0000")
    worker.send_signal(signal.SIGINT)
    printed = worker.communicate(timeout=120)[0]
    assert worker.returncode == 130, printed
    assert "trial 0 interrupted at step" in printed and "run the same command again to resume the sweep" in printed
    assert load(out).trials[0].state == TrialState.RUNNING
    assert main(["sweep", *LONG, f"out={out}"]) == 0
    assert "trial 0 resumed at step" in capsys.readouterr().out
    assert load(out).trials[0].state == TrialState.COMPLETE


def test_two_workers_share_one_study_and_run_trials_between_them(tmp_path: Path) -> None:
    out = tmp_path / "shared"
    words = [*TINY, "train.steps=10", "optim.generator.lr=log:1e-4..1e-3", "trials=4", f"out={out}"]
    workers = [sweep_process(*words, cwd=tmp_path) for _ in range(2)]
    outputs = [worker.communicate(timeout=300)[0] for worker in workers]
    assert [worker.returncode for worker in workers] == [0, 0], outputs
    trials = load(out).trials
    assert [t.number for t in trials] == [0, 1, 2, 3]  # 4 between them, not 4 each
    assert all(t.state == TrialState.COMPLETE for t in trials)
    assert sorted(p.name for p in out.glob("trial-*")) == [f"trial-{n:04d}" for n in range(4)]
    started = [line for output in outputs for line in output.splitlines() if " started: " in line]
    assert sorted(line.split()[1] for line in started) == ["0", "1", "2", "3"]  # each trial run once
    assert "database is locked" not in "".join(outputs)


def test_a_trial_asked_by_a_worker_that_died_at_once_is_run_and_one_that_kills_its_workers_is_failed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from ganzoo_optuna import study as sweep_study

    out = tmp_path / "dropped"
    words = ["sweep", *TINY, "train.steps=10", "loss.r1.weight=0.5,1,2", f"out={out}"]
    assert main([*words, "trials=1"]) == 0
    study = load(out)
    dropped = study.ask()  # RUNNING, but its worker died before it recorded itself or took a claim
    killer = study.ask()  # RUNNING, its claim free, and taken over twice already
    killer.set_user_attr("worker", "elsewhere:1")
    killer.set_user_attr("takeovers", 2)
    (out / ".claims" / f"trial-{killer.number:04d}.lock").touch()
    monkeypatch.setattr(sweep_study, "UNCLAIMED_AFTER", sweep_study.timedelta(0))
    capsys.readouterr()
    assert main(words) == 0
    printed = capsys.readouterr().out
    assert f"trial {killer.number} failed: its worker died 3 times" in printed
    assert f"trial {dropped.number} started again" in printed
    trials = load(out).trials
    assert [t.state for t in trials] == [TrialState.COMPLETE, TrialState.COMPLETE, TrialState.FAIL]
