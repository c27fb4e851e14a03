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
from ganzoo.plugins import PluginHost
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
    "sngan": ["generator.ngf=8", "discriminator.ndf=8", "schedule.order.n_critic=2"],
    "r3gan": ["generator.widths=8", "generator.cardinality=2", "discriminator.widths=8", "discriminator.cardinality=2"],
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
    assert sorted(NARROW) == recipe_names(PluginHost(third_party=False).registry)  # ganzoo's own


#: The discriminators of the shipped recipes, by which the recorded (older) loss names are told apart.
DISCRIMINATORS = {"D", "D_A", "D_B"}


def current_key(key: str, several: bool) -> str:
    """The name a recorded loss has now: ``D/D`` → ``D/adversarial``, ``D/D/r1`` → ``D/r1``,
    ``G/adversarial/D`` → ``G/adversarial``; with several discriminators ``D/D_A`` → ``D/adversarial/D_A``."""
    parts = key.split("/")
    if parts[0] == "D" and parts[1] in DISCRIMINATORS:
        term, which = (parts[2] if len(parts) == 3 else "adversarial"), parts[1]
    elif parts[:2] == ["G", "adversarial"] and len(parts) == 3:
        term, which = "adversarial", parts[2]
    else:
        return key
    return f"{parts[0]}/{term}" + (f"/{which}" if several else "")


def recorded(recipe: str) -> list[dict[str, float]]:
    steps = json.loads(GOLDEN.read_text())[recipe]
    several = len({k.split("/")[1] for k in steps[0] if k.startswith("D/") and k.split("/")[1] in DISCRIMINATORS}) > 1
    return [{current_key(key, several): value for key, value in step.items()} for step in steps]


def test_the_recorded_names_map_to_the_readable_ones() -> None:
    assert sorted(recorded("dcgan")[0]) == ["D/adversarial", "D/r1", "G/adversarial"]
    assert sorted(recorded("pix2pix")[0]) == ["D/adversarial", "G/adversarial", "G/l1"]
    assert sorted(k for k in recorded("cyclegan")[0] if "adversarial" in k) == [
        "D/adversarial/D_A", "D/adversarial/D_B", "G/adversarial/D_A", "G/adversarial/D_B"
    ]


def test_an_old_runs_metrics_still_plot(tmp_path: Path) -> None:
    from ganzoo.training.outputs import plot_losses

    (tmp_path / "metrics.jsonl").write_text(
        "".join(json.dumps({"step": i + 1, **step}) + "\n" for i, step in enumerate(json.loads(GOLDEN.read_text())["dcgan"]))
    )
    assert plot_losses(tmp_path / "metrics.jsonl", tmp_path / "loss_curves.png")
    assert (tmp_path / "loss_curves.png").stat().st_size > 1000


@pytest.mark.parametrize("recipe", sorted(NARROW))
def test_the_first_losses_of_every_recipe_are_unchanged(recipe: str, tmp_path: Path) -> None:
    expected = recorded(recipe)  # recorded under the older names, mapped to today's
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
