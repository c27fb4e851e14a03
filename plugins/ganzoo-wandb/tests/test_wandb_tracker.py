"""The ``wandb`` tracker through ganzoo's own command line, read back from what W&B wrote offline.

The plugin is found through its installed entry point (the default plugin host, as ``ganzoo``
itself finds it). Each test trains a tiny DCGAN for a few steps.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest
from ganzoo_wandb.record import RECORD_FILE
from ganzoo_wandb.tracker import STEP_METRIC
from offline_log import OfflineRun, offline_runs

from ganzoo.cli import main

WORDS = [
    "recipe=dcgan", "generator.ngf=8", "discriminator.ndf=8", "train.batch_size=4", "train.log_every=2",
    "train.sample_every=2", "train.checkpoint_every=2", "train.progress=false", "eval.every=0",
]


def train(capsys: pytest.CaptureFixture[str], *words: str) -> tuple[int, str, str]:
    """``ganzoo train WORDS...``: the exit status, stdout and stderr."""
    status = main(["train", *words])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def metrics(directory: Path) -> list[dict[str, float]]:
    return [json.loads(line) for line in (directory / "metrics.jsonl").read_text().splitlines()]


def tracker_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING and "tracker 'wandb'" in r.getMessage()]


def only_run(directory: Path) -> OfflineRun:
    (run,) = offline_runs(directory)
    return run


def test_the_plugin_is_listed_and_does_not_import_wandb_until_a_run_starts(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plugins"]) == 0
    assert "ganzoo-wandb" in capsys.readouterr().out
    assert main(["list", "tracker"]) == 0
    assert "wandb" in capsys.readouterr().out
    listing = "import sys; from ganzoo.cli import main; main(['list', 'tracker']); print('wandb' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", listing], capture_output=True, text=True, check=True).stdout
    assert out.strip().endswith("False")


def test_an_offline_run_logs_its_config_values_images_checkpoint_and_status(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], _in_an_empty_directory: Path
) -> None:
    out = tmp_path / "run"
    status, _, _ = train(capsys, *WORDS, f"out={out}", "train.steps=4", "tracker=wandb", "tracker.project=digits", "tracker.tags=[small]")
    assert status == 0
    run = only_run(out)
    assert (run.folder.parent, run.project, run.name) == (out / "wandb", "digits", "run")
    assert json.loads((out / RECORD_FILE).read_text())["id"] == run.id
    assert run.tags == ["dcgan", "small"]
    assert run.config["generator"]["ngf"] == 8 and run.config["train"]["steps"] == 4
    assert run.config["tracker"]["project"] == "digits" and run.config["ganzoo"]["version"]
    assert run.step_metrics == {STEP_METRIC: "", "*": STEP_METRIC}
    # Every line of metrics.jsonl is one history row at its ganzoo step, with the same values.
    rows = [row for row in run.history if "D/adversarial" in row]
    for row, logged in zip(rows, metrics(out), strict=True):
        assert row[STEP_METRIC] == logged["step"]
        assert {key: row[key] for key in logged if key != "step"} == pytest.approx({k: v for k, v in logged.items() if k != "step"})
    assert [row[STEP_METRIC] for row in rows] == [2, 4] and "lr/G" in rows[0]
    samples = run.rows_with("samples")
    assert [row[STEP_METRIC] for row in samples] == [2, 4]
    assert all(row["samples"]["_type"] == "image-file" and (run.folder / "files" / row["samples"]["path"]).is_file() for row in samples)
    assert run.rows_with("loss_curves")[0][STEP_METRIC] == 4
    (artifact,) = run.artifacts
    assert (artifact.type, artifact.name) == ("model", f"model-{run.id}")
    assert [entry.path for entry in artifact.manifest.contents] == ["step_00000004.pt"]
    assert {"last", "step-4"} <= set(artifact.aliases)
    assert run.summary["ganzoo/status"] == "completed" and run.exit_code == 0
    assert not any(_in_an_empty_directory.iterdir())  # nothing in the current directory


def test_a_resumed_run_continues_the_same_wandb_run_and_one_continued_elsewhere_starts_its_own(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, other = tmp_path / "run", tmp_path / "other"
    assert train(capsys, *WORDS, f"out={out}", "train.steps=2", "tracker=wandb", "tracker.log_checkpoints=false")[0] == 0
    assert train(capsys, f"resume={out}", "train.steps=4")[0] == 0
    first, resumed = offline_runs(out)
    assert resumed.id == first.id and json.loads((out / RECORD_FILE).read_text())["id"] == first.id
    assert [row[STEP_METRIC] for row in first.rows_with("D/adversarial")] == [2]
    assert [row[STEP_METRIC] for row in resumed.rows_with("D/adversarial")] == [4]
    assert resumed.config["train"]["steps"] == 4 and resumed.exit_code == 0 and not resumed.artifacts
    # Continued elsewhere, the source directory may still go on: the new directory is a run of its own.
    assert train(capsys, f"resume={out}", f"out={other}", "train.steps=6")[0] == 0
    branch = only_run(other)
    assert branch.id != first.id and branch.config["ganzoo"]["resumed_at_step"] == 4
    assert [row[STEP_METRIC] for row in branch.rows_with("D/adversarial")] == [6]
    assert len(offline_runs(out)) == 2  # the source directory is not written to


def test_online_without_an_api_key_warns_once_naming_the_fix_and_the_run_completes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    out = tmp_path / "run"
    with caplog.at_level(logging.WARNING):
        status, _, _ = train(capsys, *WORDS, f"out={out}", "train.steps=2", "tracker=wandb", "tracker.mode=online")
    assert status == 0 and (out / "checkpoints" / "step_00000002.pt").is_file()
    (warning,) = tracker_warnings(caplog)
    assert "failed in run_start" in warning and "wandb login" in warning and "tracker.mode=offline" in warning
    assert not (out / "wandb").exists() and not (out / RECORD_FILE).exists()


def test_an_unreachable_server_costs_at_most_the_init_timeout(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WANDB_API_KEY", "0" * 40)
    monkeypatch.setenv("WANDB_BASE_URL", "http://127.0.0.1:9")  # the discard port: connection refused
    out = tmp_path / "run"
    with caplog.at_level(logging.WARNING):
        status, _, _ = train(capsys, *WORDS, f"out={out}", "train.steps=2", "tracker=wandb", "tracker.mode=online", "tracker.init_timeout=2")
    assert status == 0
    (warning,) = tracker_warnings(caplog)
    assert "W&B could not start the run" in warning and "tracker.init_timeout (now 2 s)" in warning


def test_an_impossible_folder_warns_once_and_the_run_completes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    out = tmp_path / "run"
    with caplog.at_level(logging.WARNING):
        status, _, _ = train(capsys, *WORDS, f"out={out}", "train.steps=2", "tracker=wandb", f"tracker.dir={blocker}/wandb")
    assert status == 0
    (warning,) = tracker_warnings(caplog)
    assert "cannot make the W&B folder" in warning and "tracker.dir=DIR" in warning


def test_wandb_dir_and_disabled_mode(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WANDB_DIR", str(tmp_path / "shared"))
    assert train(capsys, *WORDS, f"out={tmp_path / 'run'}", "train.steps=2", "tracker=wandb", "tracker.log_samples=false")[0] == 0
    run = only_run(tmp_path / "shared")
    assert not run.rows_with("samples") and not (tmp_path / "run" / "wandb").exists()
    assert json.loads((tmp_path / "run" / RECORD_FILE).read_text())["folder"] == str(run.folder)
    assert train(capsys, *WORDS, f"out={tmp_path / 'off'}", "train.steps=2", "tracker=wandb", "tracker.mode=disabled")[0] == 0
    assert not (tmp_path / "off" / RECORD_FILE).exists() and len(offline_runs(tmp_path / "shared")) == 1


@pytest.mark.parametrize(
    ("word", "message"),
    [
        ("tracker.projct=x", "did you mean 'project'"),
        ("tracker.mode=onlin", "'online', 'offline', 'disabled'"),
        ("tracker.init_timeout=0", "init_timeout=0"),
        ("tracker.run_nam=x", "did you mean 'run_name'"),
    ],
)
def test_a_bad_setting_is_refused_before_anything_is_written(
    word: str, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run"
    status, _, err = train(capsys, *WORDS, f"out={out}", "train.steps=2", "tracker=wandb", word)
    assert status == 2 and message in err and "Traceback" not in err
    assert not out.exists()


def test_evaluations_are_logged_and_the_best_checkpoint_is_the_artifact(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "run"
    evaluation = ["train.steps=2", "eval.every=2", "eval.n=16", "eval.metrics=[classes]", "eval.best=classes"]
    assert train(capsys, *WORDS, f"out={out}", *evaluation, "tracker=wandb")[0] == 0
    assert (out / "checkpoints" / "best.pt").is_file()
    run = only_run(out)
    (row,) = run.rows_with("eval/classes")
    assert row[STEP_METRIC] == 2 and row["eval/classes"] == pytest.approx(metrics(out)[-1]["eval/classes"])
    (artifact,) = run.artifacts
    assert [entry.path for entry in artifact.manifest.contents] == ["best.pt"] and "best" in artifact.aliases
