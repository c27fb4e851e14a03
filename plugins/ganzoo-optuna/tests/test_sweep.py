"""``ganzoo sweep``: grids, range searches, pruning, failures, the report, and refusals before any trial."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from conftest import TINY, load
from optuna.distributions import FloatDistribution, IntDistribution
from optuna.trial import TrialState

from ganzoo.cli import main
from ganzoo.training import Trainer


def sweep(capsys: pytest.CaptureFixture[str], *words: str) -> tuple[int, str, str]:
    status = main(["sweep", *TINY, *words])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_a_grid_runs_exactly_its_values_and_reports_them(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "r1"
    status, printed, _ = sweep(capsys, "loss.r1.weight=0.25,1,4", f"out={out}")
    assert status == 0, printed
    trials = load(out).trials
    assert [t.state for t in trials] == [TrialState.COMPLETE] * 3  # trials= defaults to the grid's size
    assert sorted(t.params["loss.r1.weight"] for t in trials) == [0.25, 1, 4]
    for trial in trials:  # each trial a normal ganzoo run, with its own value
        run = out / f"trial-{trial.number:04d}"
        assert yaml.safe_load((run / "config.yaml").read_text())["loss"]["r1"]["weight"] == trial.params["loss.r1.weight"]
        steps = [json.loads(line)["step"] for line in (run / "metrics.jsonl").read_text().splitlines() if "eval/fid" in line]
        assert steps == [10, 20] and trial.intermediate_values.keys() == {10, 20}
        assert trial.value == trial.intermediate_values[20]  # score=final: the last evaluation
        assert trial.user_attrs["steps"] == 20
    # One line per trial start and end, then the table, the plot and the best run.
    assert len(re.findall(r"^trial \d started: loss\.r1\.weight=", printed, flags=re.MULTILINE)) == 3
    assert len(re.findall(r"^trial \d complete: eval/fid [\d.]+ after 20 steps", printed, flags=re.MULTILINE)) == 3
    header = next(line for line in printed.splitlines() if line.startswith("TRIAL"))
    assert header.split() == ["TRIAL", "STATE", "loss.r1.weight", "eval/fid", "STEPS", "RUN"]
    assert re.search(r"^0\s+complete\s+\S+\s+[\d.]+\s+20\s+\S+trial-0000$", printed, flags=re.MULTILINE)
    assert (out / "sweep.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    best = min(trials, key=lambda t: t.value)
    run = out / f"trial-{best.number:04d}"
    assert f"best: trial {best.number}, eval/fid {best.value:.4g}, runs in {run}; " in printed
    assert f"ganzoo sample checkpoint={run}" in printed
    # Run again on the finished study: nothing trains, the report is printed again.
    status, again, _ = sweep(capsys, "loss.r1.weight=0.25,1,4", f"out={out}")
    assert status == 0 and "started" not in again and f"best: trial {best.number}," in again
    assert len(load(out).trials) == 3


def test_a_range_search_samples_within_its_bounds(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "lr"
    words = ["optim.generator.lr=log:1e-4..1e-3", "train.seed=int:0..1000", "loss.r1.weight=0.5,2", "trials=3",
             "train.steps=10", f"out={out}"]
    status, printed, _ = sweep(capsys, *words)
    assert status == 0, printed
    trials = load(out).trials
    assert len(trials) == 3 and all(t.state == TrialState.COMPLETE for t in trials)
    lr = trials[0].distributions["optim.generator.lr"]
    assert isinstance(lr, FloatDistribution) and lr.log and (lr.low, lr.high) == (1e-4, 1e-3)
    assert isinstance(trials[0].distributions["train.seed"], IntDistribution)
    for trial in trials:
        assert 1e-4 <= trial.params["optim.generator.lr"] <= 1e-3
        assert isinstance(trial.params["train.seed"], int) and 0 <= trial.params["train.seed"] <= 1000
        assert trial.params["loss.r1.weight"] in (0.5, 2)  # a list among ranges: a categorical choice
        config = yaml.safe_load((out / f"trial-{trial.number:04d}" / "config.yaml").read_text())
        assert config["optim"]["generator"]["lr"] == pytest.approx(trial.params["optim.generator.lr"], rel=1e-12)
        assert config["train"]["seed"] == trial.params["train.seed"]
    assert len({t.params["optim.generator.lr"] for t in trials}) == 3
    # seed= makes the draws reproducible: the same sweep elsewhere draws the same values.
    status, _, _ = sweep(capsys, *words[:-1], f"out={tmp_path / 'again'}")
    assert [t.params for t in load(tmp_path / "again").trials] == [t.params for t in trials]


def test_a_pruned_trial_stops_its_run_with_a_checkpoint(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "pruned"
    # Every FID is above 0: the threshold pruner prunes the trial at its first evaluation, step 10 of 20.
    status, printed, _ = sweep(capsys, "loss.r1.weight=1,4", "trials=1", "pruner=threshold:0", f"out={out}")
    assert status == 0, printed
    (trial,) = load(out).trials
    assert trial.state == TrialState.PRUNED and list(trial.intermediate_values) == [10]
    assert trial.user_attrs["steps"] == 10
    run = out / "trial-0000"
    assert (run / "checkpoints" / "latest").read_text().strip() == "step_00000010.pt"
    assert Trainer.resume(run).step == 10  # stopped, not failed: the run can go on
    assert "trial 0 pruned at step 10: eval/fid" in printed
    assert re.search(r"^0\s+pruned\s+\S+\s+[\d.]+ @10\s+10\s", printed, flags=re.MULTILINE)
    assert "best: none yet" in printed


def test_a_failing_trial_is_recorded_and_the_sweep_goes_on(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "nan"
    status, printed, _ = sweep(capsys, "optim.discriminator.lr=1e30,2e-4", "train.log_every=1", f"out={out}")
    assert status == 0, printed
    states = {t.params["optim.discriminator.lr"]: t for t in load(out).trials}
    assert states[1e30].state == TrialState.FAIL and "non-finite" in states[1e30].user_attrs["error"]
    assert states[2e-4].state == TrialState.COMPLETE
    assert re.search(r"^trial \d failed after \d+ steps?: step \d+: .* became non-finite", printed, flags=re.MULTILINE)


def test_score_best_takes_the_best_evaluation_and_names_the_best_checkpoint(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "best"
    status, printed, _ = sweep(capsys, "loss.r1.weight=1,4", "trials=1", "score=best", "eval.best=fid", f"out={out}")
    assert status == 0, printed
    (trial,) = load(out).trials
    assert trial.value == min(trial.intermediate_values.values())
    assert f"checkpoint={out / 'trial-0000' / 'checkpoints' / 'best.pt'}" in printed


def test_the_same_folder_refuses_other_words(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "s"
    assert sweep(capsys, "loss.r1.weight=1,4", "trials=1", "train.steps=10", f"out={out}")[0] == 0
    status, _, err = sweep(capsys, "loss.r1.weight=1,2", "train.steps=10", f"out={out}")
    assert status == 2 and "was started with other words (parameters: loss.r1.weight=1,4 then" in err
    assert len(load(out).trials) == 1


def test_help_lists_the_command_from_the_plugin(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "250")  # one line per command
    with pytest.raises(SystemExit):
        main(["--help"])
    line = next(line for line in capsys.readouterr().out.splitlines() if line.strip().startswith("sweep "))
    assert line.rstrip().endswith("(from ganzoo-optuna)")


# --- refused before any trial, with nothing written ---------------------------------------------

BAD = [
    (["loss.r1.wieght=1,4"], "unknown parameter 'wieght'; did you mean 'weight'?"),
    (["los.r1.weight=1,4"], "unknown setting 'los.r1.weight'; did you mean 'loss'?"),
    (["loss.r1.weight=1,4", "trails=2"], "no sweep or run setting 'trails'; did you mean 'trials'"),
    (["generator.ngff=4,8"], "unknown parameter 'ngff'; did you mean 'ngf'?"),
    (["generator=dcgan,nosuch"], "unknown generator 'nosuch'"),
    (["optim.generator.lr=1e-3..1e-4", "trials=2"], "the range's LOW must be below its HIGH"),
    (["optim.generator.lr=log:0..1e-3", "trials=2"], "a log: range needs positive bounds"),
    (["train.seed=int:0.5..4", "trials=2"], "an int: range takes whole numbers"),
    (["loss.r1.weight=,"], "an empty list"),
    (["loss.r1.weight=1,,4"], "an empty value in the list"),
    (["loss.r1.weight=1,1"], "listed twice"),
    (["loss.r1.weight=1,4", "trials=0"], "trials=0: a sweep runs at least one trial"),
    (["loss.r1.weight=1,4", "trials=5"], "more than the grid's 2 points"),
    (["optim.generator.lr=log:1e-4..1e-3"], "a search over a range needs trials=N"),
    (["loss.r1.weight=1,4", "objective=eval/fdi"], "no measure 'fdi'; did you mean 'fid'?"),
    (["loss.r1.weight=1,4", "objective=eval/kid"], "is not measured by the runs (eval.metrics gives fid); add eval.metrics=[fid, kid]"),
    (["loss.r1.weight=1,4", "eval.every=0"], "the runs are not evaluated (eval.every=0)"),
    (["loss.r1.weight=1,4", "eval.every=50"], "eval.every=50 is longer than the runs' 20 steps"),
    (["loss.r1.weight=1,4", "trials=1", "trials=2"], "trials= is given twice"),
    (["loss.r1.weight=1,4", "loss.r1.weight=2"], "loss.r1.weight is both fixed (loss.r1.weight=2) and swept"),
    (["loss.r1.weight=1,4", "loss.r1.weight=log:1..4"], "loss.r1.weight is swept twice"),
    (["loss.r1.weight=1,4", "direction=down"], "direction=down: use minimize or maximize"),
    (["loss.r1.weight=1,4", "score=mean"], "score=mean: use final"),
    (["loss.r1.weight=1,4", "pruner=hyperband"], "pruner=hyperband: use median, none, threshold:VALUE"),
    (["loss.r1.weight=1,4", "resume=runs/x"], "a sweep resumes by running the same command again"),
    (["loss.r1.weight=1,4", "storage=nosuchdb://x"], "storage=nosuchdb://x: Optuna cannot open it"),
    (["train.steps=20"], "nothing to sweep"),
]


@pytest.mark.parametrize(("words", "message"), BAD, ids=[" ".join(words) for words, _ in BAD])
def test_a_bad_sweep_is_refused_in_one_line_before_anything_is_written(
    words: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, printed, err = sweep(capsys, *words, f"out={tmp_path / 'sweep'}")
    assert status == 2, printed + err
    assert err.startswith("ganzoo sweep: error: ") and err.count("\n") == 1, err
    assert message in err
    assert not (tmp_path / "sweep").exists() and printed == ""


def test_a_sweep_folder_is_never_a_run_nor_a_folder_of_other_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    status, _, err = sweep(capsys, "loss.r1.weight=1,4", f"out={tmp_path / 'other'}")
    assert status == 2 and "holds files and no sweep.yaml" in err
    assert sorted(p.name for p in (tmp_path / "other").iterdir()) == ["notes.txt"]
