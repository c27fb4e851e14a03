"""Crash safety: kills at any moment, signals, divergence, a full disk, an unwritable directory."""

from __future__ import annotations

import errno
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from ganzoo import hookimpl
from ganzoo.atomic import OutputError
from ganzoo.contracts import ReconstructionLoss
from ganzoo.plugins import PluginHost
from ganzoo.training import DivergenceError, Trainer, resolve_run_config
from ganzoo.training import checkpoint as ckpt
from ganzoo.training.checkpoint import CheckpointError, load_checkpoint
from ganzoo.training.outputs import read_metrics

SMALL = ["recipe=vanilla", "train.batch_size=8", "train.log_every=1", "train.sample_every=0", "train.progress=false"]


def start(out: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "ganzoo", "-q", "train", *SMALL, f"out={out}", *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def wait_for_checkpoints(out: Path, count: int, process: subprocess.Popen[str], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len(list((out / "checkpoints").glob("step_*.pt"))) >= count if (out / "checkpoints").exists() else False:
            return
        if process.poll() is not None:
            raise AssertionError(f"training ended early: {process.stderr.read()}")
        time.sleep(0.05)
    raise AssertionError("no checkpoint appeared")


@pytest.mark.slow
def test_sigkill_at_any_moment_leaves_a_resumable_run(tmp_path: Path) -> None:
    out = tmp_path / "run"
    chance = random.Random(0)
    for attempt in range(3):
        extra = ["train.steps=100000", "train.checkpoint_every=1", "train.keep_checkpoints=2"]
        process = start(out, *extra) if attempt == 0 else subprocess.Popen(
            [sys.executable, "-m", "ganzoo", "-q", "train", f"resume={out}"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        wait_for_checkpoints(out, 1, process)
        time.sleep(chance.uniform(0.0, 1.5))  # somewhere in a step, a checkpoint write, or a rename
        process.send_signal(signal.SIGKILL)
        process.wait()
        state = load_checkpoint(out)  # the newest complete checkpoint always loads
        assert state["step"] >= 1
    final = state["step"] + 2
    result = subprocess.run(
        [sys.executable, "-m", "ganzoo", "-q", "train", f"resume={out}", f"train.steps={final}"], capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stderr
    assert load_checkpoint(out)["step"] == final
    assert not list(out.glob("**/.*.tmp"))  # leftovers of killed writes were cleared
    steps = [r["step"] for r in read_metrics(out / "metrics.jsonl")]
    assert steps == sorted(set(steps)) and steps[-1] == final  # no step logged twice after resuming


@pytest.mark.slow
@pytest.mark.parametrize("sent", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_saves_a_checkpoint_and_exits_cleanly(sent: signal.Signals, tmp_path: Path) -> None:
    out = tmp_path / "run"
    process = start(out, "train.steps=100000", "train.checkpoint_every=1000")
    deadline = time.monotonic() + 120
    while not (out / "metrics.jsonl").exists() or len(read_metrics(out / "metrics.jsonl")) < 3:
        assert time.monotonic() < deadline and process.poll() is None
        time.sleep(0.05)
    process.send_signal(sent)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 130, err
    assert "saving a checkpoint" in err
    state = load_checkpoint(out)
    assert state["step"] == read_metrics(out / "metrics.jsonl")[-1]["step"] or state["step"] > 0
    assert state["step"] >= 3


class NaNAfter(ReconstructionLoss):
    """A loss that turns NaN after a few calls (for divergence tests)."""

    def __init__(self, *, weight: float = 1.0, after: int = 2) -> None:
        super().__init__(weight=weight)
        self.after, self.calls = after, 0

    def distance(self, output: torch.Tensor, target: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        self.calls += 1
        value = (output - target).abs().mean()
        return value * float("nan") if self.calls > self.after else value


class NaNPlugin:
    @hookimpl
    def ganzoo_register_parts(self, register):
        register("loss", "nan_after", NaNAfter)


def nan_trainer(out: Path, policy: str) -> Trainer:
    host = PluginHost(third_party=False)
    host.add_plugin(NaNPlugin(), "nan")
    words = [*SMALL, f"out={out}", "train.steps=6", "train.checkpoint_every=1", f"train.on_nonfinite={policy}"]
    config = resolve_run_config(words)
    config["loss"]["poison"] = {"name": "nan_after"}
    config["objective"]["poison"] = {"output": "fake", "target": "image"}
    return Trainer.create(config, host=host)


def test_divergence_stops_and_keeps_the_last_good_checkpoint(tmp_path: Path) -> None:
    trainer = nan_trainer(tmp_path / "run", "stop")
    with pytest.raises(DivergenceError, match="non-finite") as caught:
        trainer.fit()
    assert "G/poison" in str(caught.value) and "train.on_nonfinite=skip" in str(caught.value)
    assert trainer.status == "failed"
    state = load_checkpoint(tmp_path / "run")
    assert state["step"] == 2  # steps 1 and 2 were finite; nothing later was saved
    assert all(torch.isfinite(t).all() for t in state["networks"]["G"].values())


def test_divergence_can_skip_the_bad_updates(tmp_path: Path) -> None:
    trainer = nan_trainer(tmp_path / "run", "skip")
    assert trainer.fit() == "completed"
    for network in trainer.networks.values():  # no NaN ever reached the weights
        assert all(torch.isfinite(p).all() for p in network.parameters())
    assert load_checkpoint(tmp_path / "run")["step"] == 6


def test_a_full_disk_leaves_the_previous_checkpoint_intact(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "run"
    trainer = Trainer.create(resolve_run_config([*SMALL, f"out={out}", "train.steps=3", "train.checkpoint_every=1"]))
    real_save = torch.save
    calls = {"n": 0}

    def full_disk(obj, path, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] >= 3:
            with open(path, "wb") as stream:
                stream.write(b"partial")
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_save(obj, path, *args, **kwargs)

    monkeypatch.setattr(ckpt.torch, "save", full_disk)
    with pytest.raises(OutputError, match="No space left on device"):
        trainer.fit()
    assert load_checkpoint(out)["step"] == 2
    assert sorted(p.name for p in (out / "checkpoints").iterdir()) == ["latest", "step_00000001.pt", "step_00000002.pt"]


def test_an_unwritable_run_directory_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")  # no one, root included, can create a folder inside a file
    trainer = Trainer.create(resolve_run_config([*SMALL, f"out={blocker / 'run'}", "train.steps=1"]))
    with pytest.raises(OutputError, match="cannot create run directory"):
        trainer.fit()
    assert blocker.read_text() == "not a folder"


def test_a_checkpoint_from_another_configuration_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "run"
    Trainer.create(resolve_run_config([*SMALL, f"out={out}", "train.steps=1"])).fit()
    path = ckpt.resolve_checkpoint(out)
    state = torch.load(path, weights_only=True)
    state["config"]["instances"]["G"]["latent_dim"] = 64  # as if written for a different generator
    torch.save(state, path)
    with pytest.raises(CheckpointError, match="does not match this configuration"):
        Trainer.resume(out)


def test_the_kept_checkpoint_is_best_then_the_one_latest_names(tmp_path: Path) -> None:
    folder = tmp_path / "checkpoints"
    folder.mkdir()
    assert ckpt.kept_checkpoint(tmp_path) is None  # no checkpoint yet
    (folder / "step_00000002.pt").write_bytes(b"")
    assert ckpt.kept_checkpoint(tmp_path) is None  # only what `latest` names counts
    (folder / ckpt.LATEST).write_text("step_00000002.pt\n")
    assert ckpt.kept_checkpoint(tmp_path) == folder / "step_00000002.pt"
    (folder / ckpt.BEST_CHECKPOINT).write_bytes(b"")
    assert ckpt.kept_checkpoint(tmp_path) == folder / "best.pt"
    assert ckpt.kept_checkpoint(tmp_path, best=False) == folder / "step_00000002.pt"
    (folder / "step_00000002.pt").unlink()
    assert ckpt.kept_checkpoint(tmp_path, best=False) is None  # `latest` naming a missing file
