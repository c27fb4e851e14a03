"""Shared settings of the sweep's tests: tiny DCGAN trials of a few dozen steps, one thread each."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import optuna
import pytest
import torch

#: A DCGAN small enough that a trial of 20 steps with two evaluations takes a fraction of a second.
TINY = [
    "recipe=dcgan", "generator.ngf=8", "discriminator.ndf=8", "train.batch_size=4", "train.steps=20",
    "eval.every=10", "eval.n=32", "eval.metrics=[fid]", "eval.best=null", "train.sample_every=0",
]
#: One thread per process: the trials are tiny, and test runs share their machine.
ENVIRONMENT = {**os.environ, "OMP_NUM_THREADS": "1", "GANZOO_DISABLE_PLUGINS": ""}


@pytest.fixture(autouse=True)
def one_thread() -> None:
    torch.set_num_threads(1)


def load(out: Path) -> optuna.Study:
    """The study of the sweep folder ``out`` (its default storage and name)."""
    return optuna.load_study(study_name=out.name, storage=f"sqlite:///{out / 'optuna.db'}")


def sweep_process(*words: str, cwd: Path) -> subprocess.Popen[str]:
    """``python -m ganzoo sweep WORDS`` in a process of its own."""
    return subprocess.Popen(
        [sys.executable, "-m", "ganzoo", "sweep", *words], cwd=cwd, env=ENVIRONMENT,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
