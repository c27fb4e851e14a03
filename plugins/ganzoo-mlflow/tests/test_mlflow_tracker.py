"""The ``mlflow`` tracker through the installed plugin and the ``ganzoo`` command, read back with MLflow's client."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import time
from pathlib import Path

import pytest
from ganzoo_mlflow import names
from ganzoo_mlflow.tracker import RECORD_FILE, resolve_tracking_uri
from mlflow.tracking import MlflowClient

from ganzoo.cli import main
from ganzoo.training import Trainer, resolve_run_config
from ganzoo.training.outputs import read_metrics

WORDS = [
    "train", "recipe=dcgan", "generator.ngf=8", "discriminator.ndf=8", "train.batch_size=4", "train.log_every=2",
    "train.sample_every=2", "train.checkpoint_every=2", "train.progress=false", "eval.every=0", "tracker=mlflow",
]


@pytest.fixture(autouse=True)
def _offline_and_elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No tracking settings from the environment; the current folder is not the runs' folder."""
    for name in ("MLFLOW_TRACKING_URI", "MLFLOW_EXPERIMENT_NAME", "MLFLOW_RUN_ID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    return cwd


def run_id_of(directory: Path) -> str:
    return json.loads((directory / RECORD_FILE).read_text())["run_id"]


def history(client: MlflowClient, run_id: str, key: str) -> list[tuple[int, float]]:
    return sorted((metric.step, metric.value) for metric in client.get_metric_history(run_id, key))


def artifacts(client: MlflowClient, run_id: str, folder: str = "") -> set[str]:
    found: set[str] = set()
    for entry in client.list_artifacts(run_id, folder or None):
        found |= artifacts(client, run_id, entry.path) if entry.is_dir else {entry.path}
    return found


def test_a_run_is_logged_offline_to_a_sqlite_store_beside_the_runs(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    out = runs / "dcgan-a"
    assert main([*WORDS, f"out={out}", "train.steps=4", "tracker.tags={team: vision}", "tracker.description=tiny"]) == 0
    client = MlflowClient(f"sqlite:///{runs / 'mlruns.db'}")
    run = client.get_run(run_id_of(out))
    assert run.info.status == "FINISHED" and run.info.run_name == "dcgan-a"
    assert client.get_experiment(run.info.experiment_id).name == "dcgan"
    params = run.data.params
    assert params["train.steps"] == "4" and params["generator.ngf"] == "8" and params["tracker.name"] == "mlflow"
    assert params["optim.generator.lr"] == "0.0006" and all(len(value) <= names.MAX_PARAM_VALUE for value in params.values())
    tags = run.data.tags
    assert tags["ganzoo.recipe"] == "dcgan" and tags["ganzoo.run_directory"] == str(out) and tags["ganzoo.status"] == "completed"
    assert tags["team"] == "vision" and tags["mlflow.note.content"] == "tiny" and "ganzoo.version" in tags
    records = read_metrics(out / "metrics.jsonl")
    for key in ("D/adversarial", "G/adversarial", "lr/G", "lr/D", "epoch"):
        assert history(client, run.info.run_id, key) == [(record["step"], record[key]) for record in records]
    assert [record["step"] for record in records] == [2, 4]
    assert artifacts(client, run.info.run_id) == {
        "config.yaml", "loss_curves.png", "samples/step_00000002.png", "samples/step_00000004.png", "checkpoints/step_00000004.pt",
    }
    assert (runs / "mlartifacts").is_dir() and not any((tmp_path / "cwd").iterdir())  # nothing in the current folder
    saved = (out / "config.yaml").read_text()
    assert "tracking_uri: ''" in saved and "checkpoint: best" in saved


def test_a_resume_continues_the_same_mlflow_run_and_a_resume_elsewhere_starts_a_new_one(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    first = runs / "first"
    assert main([*WORDS, f"out={first}", "train.steps=2"]) == 0
    run_id = run_id_of(first)
    client = MlflowClient(f"sqlite:///{runs / 'mlruns.db'}")
    assert client.get_run(run_id).info.status == "FINISHED"

    assert main(["train", f"resume={first}", "train.steps=4"]) == 0
    assert run_id_of(first) == run_id
    run = client.get_run(run_id)
    assert run.info.status == "FINISHED" and run.data.tags["ganzoo.resumed_at_step"] == "2"
    assert run.data.params["train.steps"] == "2" and "train.steps: 2 -> 4" in run.data.tags["ganzoo.changed_at_step_2"]
    records = read_metrics(first / "metrics.jsonl")
    assert history(client, run_id, "D/adversarial") == [(record["step"], record["D/adversarial"]) for record in records]
    assert [step for step, _ in history(client, run_id, "D/adversarial")] == [2, 4]
    assert {"samples/step_00000002.png", "samples/step_00000004.png"} <= artifacts(client, run_id)

    second = runs / "second"
    assert main(["train", f"resume={first}", f"out={second}", "train.steps=6"]) == 0
    other = client.get_run(run_id_of(second))
    assert other.info.run_id != run_id and other.data.tags["ganzoo.resumed_from_step"] == "4"
    assert other.data.tags["ganzoo.parent_run_id"] == run_id  # the run it was continued from
    assert [step for step, _ in history(client, other.info.run_id, "D/adversarial")] == [6]

    third = runs / "third"  # tracker.run_id names the MLflow run a continuation elsewhere goes on with
    assert main(["train", f"resume={first}", f"out={third}", "train.steps=6", f"tracker.run_id={run_id}"]) == 0
    assert run_id_of(third) == run_id
    assert [step for step, _ in history(client, run_id, "D/adversarial")] == [2, 4, 6]


def test_an_unreachable_server_warns_once_and_the_run_completes(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    out = tmp_path / "runs" / "offline"
    started = time.monotonic()
    with caplog.at_level(logging.WARNING):
        assert main([*WORDS, f"out={out}", "train.steps=4", "tracker.tracking_uri=http://127.0.0.1:9"]) == 0
    warnings = [record.getMessage() for record in caplog.records if record.levelno >= logging.WARNING]
    assert len(warnings) == 1 and "tracker 'mlflow'" in warnings[0] and "failed in run_start at step 0" in warnings[0] and "the run goes on" in warnings[0]
    assert (out / "checkpoints" / "step_00000004.pt").is_file() and not (out / RECORD_FILE).exists()
    assert time.monotonic() - started < 60  # retries are bounded: not MLflow's minutes of backoff


def test_a_misspelt_setting_is_refused_with_the_closest_name(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "runs" / "typo"
    assert main([*WORDS, f"out={out}", "train.steps=2", "tracker.experimnt=gans"]) == 2
    error = capsys.readouterr().err.strip()
    assert "did you mean 'experiment'" in error and len(error.splitlines()) == 1
    assert main([*WORDS, f"out={out}", "train.steps=2", "tracker.checkpoint=every"]) == 2
    assert "expected one of 'best', 'last', 'none'" in capsys.readouterr().err
    assert not out.exists()


def test_the_plugin_and_its_tracker_are_listed(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plugins"]) == 0
    assert "ganzoo-mlflow" in capsys.readouterr().out
    assert main(["list", "tracker"]) == 0
    assert "mlflow" in capsys.readouterr().out
    listing = "from ganzoo.cli import main; main(['list', 'tracker']); main(['info', 'mlflow']); import sys; print('mlflow' in sys.modules)"
    lines = subprocess.run([sys.executable, "-c", listing], capture_output=True, text=True, check=True).stdout.splitlines()
    assert lines[-1] == "False"  # MLflow is imported only when a run starts


def test_the_tracking_uri_is_the_setting_then_the_environment_then_sqlite_beside_the_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = tmp_path / "runs" / "a"
    assert resolve_tracking_uri("", run) == f"sqlite:///{tmp_path / 'runs' / 'mlruns.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://tracking:5000")
    assert resolve_tracking_uri("", run) == "http://tracking:5000"
    assert resolve_tracking_uri("sqlite:///store.db", run) == f"sqlite:///{tmp_path / 'cwd' / 'store.db'}"


def test_keys_and_settings_become_names_and_values_mlflow_accepts() -> None:
    assert names.mlflow_name("D/adversarial") == "D/adversarial" and names.mlflow_name("eval/fid") == "eval/fid"
    assert names.mlflow_name("G/l1(x):y") == "G/l1_x__y" and names.mlflow_name("/a//b/../c/") == "a/b/_/c"
    flat = names.flatten({"train": {"steps": 4, "metrics": ["fid", "classes"]}, "empty": {}, "note": "x" * 7000})
    assert flat["train.steps"] == "4" and flat["train.metrics"] == '["fid", "classes"]' and flat["empty"] == "{}"
    assert len(flat["note"]) == names.MAX_PARAM_VALUE and flat["note"].endswith("…")
    assert [len(batch) for batch in names.batches(list(range(250)), names.MAX_PARAMS_PER_BATCH)] == [100, 100, 50]


def test_a_failed_run_ends_failed_and_a_stopped_one_killed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    runs = tmp_path / "runs"
    words = [word for word in WORDS if word != "train"]
    failing = Trainer.create(resolve_run_config([*words, f"out={runs / 'failing'}", "train.steps=4"]))
    monkeypatch.setattr(failing, "train_step", lambda batch: (_ for _ in ()).throw(RuntimeError("out of memory")))
    with pytest.raises(RuntimeError, match="out of memory"):
        failing.fit()
    assert not (runs / "failing").exists()  # nothing to resume: the record went with the folder
    client = MlflowClient(f"sqlite:///{runs / 'mlruns.db'}")
    (failed,) = client.search_runs([client.get_experiment_by_name("dcgan").experiment_id], "tags.`ganzoo.status` = 'failed'")
    assert failed.info.status == "FAILED"

    stopping = Trainer.create(resolve_run_config([*words, f"out={runs / 'stopping'}", "train.steps=4"]))
    stopping.request_stop("pruned")
    assert stopping.fit() == "stopped"
    stopped = client.get_run(run_id_of(runs / "stopping"))
    assert stopped.info.status == "KILLED" and stopped.data.tags["ganzoo.status"] == "stopped"
    assert "checkpoints/step_00000001.pt" in artifacts(client, stopped.info.run_id)
