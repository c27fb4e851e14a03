"""Two processes on the CPU (gloo) through torchrun: they agree, only rank 0 writes, and the run resumes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ganzoo.training.checkpoint import load_checkpoint
from ganzoo.training.outputs import read_metrics

TINY = [
    "recipe=dcgan", "generator.ngf=8", "discriminator.ndf=8", "train.batch_size=8", "train.log_every=1",
    "train.sample_every=2", "train.checkpoint_every=2", "train.progress=false",
]


def torchrun(*args: str, processes: int = 2) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={processes}", "-m", "ganzoo", "-q", *args]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=600, check=False)


@pytest.mark.slow
def test_two_processes_train_agree_and_resume_under_another_process_count(tmp_path: Path) -> None:
    out = tmp_path / "run"
    result = torchrun("train", *TINY, "train.steps=4", f"out={out}")
    assert result.returncode == 0, result.stderr[-3000:]
    # Only rank 0 writes: one record per step, one sample grid per interval.
    assert [r["step"] for r in read_metrics(out / "metrics.jsonl")] == [1, 2, 3, 4]
    assert sorted(p.name for p in (out / "samples").iterdir()) == ["step_00000002.png", "step_00000004.png"]
    state = load_checkpoint(out)
    assert state["world_size"] == 2 and len(state["rng"]["ranks"]) == 2
    # Each process saw its own half of every epoch: 2 processes × 8 items per step.
    assert state["epoch_items"] == 4 * 2 * 8
    # The replicas were compared at every checkpoint (a mismatch stops the run); resume with one process.
    single = subprocess.run(
        [sys.executable, "-m", "ganzoo", "-q", "train", f"resume={out}", "train.steps=6"], capture_output=True, text=True, timeout=600, check=False
    )
    assert single.returncode == 0, single.stderr[-3000:]
    assert load_checkpoint(out)["step"] == 6 and load_checkpoint(out)["world_size"] == 1
    # And back to two processes.
    again = torchrun("train", f"resume={out}", "train.steps=8")
    assert again.returncode == 0, again.stderr[-3000:]
    assert [r["step"] for r in read_metrics(out / "metrics.jsonl")] == list(range(1, 9))
