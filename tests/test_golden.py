"""The trainer's numbers do not drift: every recipe's first losses, and an old checkpoint that still resumes.

``tests/data/golden_losses.json`` holds the losses of every recipe's first steps at tiny sizes and a
fixed seed, and ``tests/data/legacy_dcgan.pt`` a tiny checkpoint, both written by
``tests/record_golden.py`` from a known-good trainer. Restructuring the trainer must give the same
losses (to float tolerance) and keep loading checkpoints written before.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from ganzoo.cli import main
from ganzoo.training import recipe_names
from ganzoo.training.checkpoint import load_checkpoint
from ganzoo.training.outputs import read_metrics

DATA = Path(__file__).parent / "data"
GOLDEN = DATA / "golden_losses.json"
LEGACY = DATA / "legacy_dcgan.pt"
STEPS = 3

#: Tiny, fixed settings per recipe: narrow networks, a few small batches, every step logged.
NARROW = {
    "vanilla": [],
    "dcgan": ["generator.ngf=4", "discriminator.ndf=4"],
    "cgan": ["generator.ngf=4", "discriminator.ndf=4"],
    "wgan-gp": ["generator.ngf=4", "discriminator.ndf=4", "schedule.order.n_critic=2"],
    "pix2pix": ["generator.ngf=4", "discriminator.ndf=4"],
    "cyclegan": ["generator.ngf=4", "generator.n_blocks=1", "discriminator.ndf=4", "pool_size=3"],
    "exgan": ["generator.ngf=4", "discriminator.ndf=4", "loss.code.weight=1.0"],
}


def golden_words(recipe: str, out: Path) -> list[str]:
    return [
        f"recipe={recipe}", f"out={out}", f"train.steps={STEPS}", "train.batch_size=4", "train.log_every=1",
        "train.sample_every=0", "train.checkpoint_every=0", "train.progress=false", "eval.every=0", "train.seed=3",
        *NARROW[recipe],
    ]


def run_losses(recipe: str, out: Path) -> list[dict[str, float]]:
    assert main(["-q", "train", *golden_words(recipe, out)]) == 0
    return [{k: v for k, v in record.items() if k.startswith(("D/", "G/"))} for record in read_metrics(out / "metrics.jsonl")]


def test_every_recipe_has_narrow_settings() -> None:
    assert sorted(NARROW) == recipe_names()


@pytest.mark.parametrize("recipe", sorted(NARROW))
def test_the_first_losses_of_every_recipe_are_unchanged(recipe: str, tmp_path: Path) -> None:
    expected = json.loads(GOLDEN.read_text())[recipe]
    actual = run_losses(recipe, tmp_path / "run")
    assert [sorted(step) for step in actual] == [sorted(step) for step in expected]
    for got, want in zip(actual, expected):
        for key in want:
            assert got[key] == pytest.approx(want[key], rel=1e-4, abs=1e-6), (recipe, key)


def test_a_checkpoint_written_before_still_resumes_and_samples(tmp_path: Path) -> None:
    run = tmp_path / "old"
    (run / "checkpoints").mkdir(parents=True)
    (run / "checkpoints" / "step_00000002.pt").write_bytes(LEGACY.read_bytes())
    (run / "checkpoints" / "latest").write_text("step_00000002.pt\n")
    (run / "config.yaml").write_text("recipe: dcgan\n")  # laid out as a run directory of that version
    assert main(["-q", "train", f"resume={run}", "train.steps=3"]) == 0
    assert load_checkpoint(run)["step"] == 3
    assert main(["-q", "sample", f"checkpoint={run}", "n=4", f"out={tmp_path / 'grid.png'}"]) == 0
    assert (tmp_path / "grid.png").stat().st_size > 100
    assert torch.load(LEGACY, weights_only=True)["version"] == 1
