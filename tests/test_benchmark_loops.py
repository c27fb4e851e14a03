"""The benchmarks' hand-written loops do exactly what the recipes do.

``benchmarks/throughput.py`` and ``benchmarks/quality.py`` compare ganzoo with
``benchmarks/plain_loops.py``; those figures mean something only if both sides train the same way. Here
both take the same networks, batches and random streams for a few steps, and must agree on every loss
and every weight afterwards.
"""

from __future__ import annotations

import importlib.util
import sys
from itertools import islice
from pathlib import Path

import pytest
import torch

from ganzoo.training import Trainer, resolve_run_config

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def _plain_loops():
    spec = importlib.util.spec_from_file_location("plain_loops", BENCHMARKS / "plain_loops.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("plain_loops", module)
    spec.loader.exec_module(module)
    return module


#: Small settings that keep each recipe's structure (losses, schedule, pools) but train in a blink.
SMALL = {
    "vanilla": [],
    "dcgan": ["generator.ngf=8", "discriminator.ndf=8"],
    "cgan": ["generator.ngf=8", "discriminator.ndf=8"],
    "wgan-gp": ["generator.ngf=8", "discriminator.ndf=8"],
    "pix2pix": ["generator.ngf=8", "discriminator.ndf=8"],
    "cyclegan": ["generator.ngf=4", "generator.n_blocks=1", "discriminator.ndf=4"],
    "exgan": ["discriminator.ndf=8"],
}
STEPS = 5  # wgan-gp updates its generator at the fifth step


@pytest.mark.parametrize("recipe", sorted(SMALL))
def test_hand_written_loop_matches_the_trainer(recipe: str, tmp_path: Path) -> None:
    plain_loops = _plain_loops()
    words = [f"recipe={recipe}", f"out={tmp_path / 'run'}", "train.batch_size=4", "train.epochs=0", f"train.steps={STEPS}", *SMALL[recipe]]
    trainer = Trainer.create(resolve_run_config(words))
    loop = plain_loops.PlainLoop.beside(recipe, trainer)
    twins = loop.nets
    loop.noise.set_state(trainer.updates.noise_generator.get_state())
    for index, batch in enumerate(islice(iter(trainer.loader), STEPS)):
        torch.manual_seed(100 + index)  # dropout, the penalty's interpolation: the same draws on both sides
        trainer.step = index
        theirs = trainer.train_step(batch)
        torch.manual_seed(100 + index)
        ours = loop.step(batch, index)
        d_total = sum(value for key, value in theirs.items() if key.startswith("D/"))
        g_total = [sum(value for key, value in theirs.items() if key.startswith("G/"))] if any(k.startswith("G/") for k in theirs) else []
        expected = torch.stack([d_total, *g_total])  # the loop returns D's loss, then G's where G moved
        torch.testing.assert_close(torch.stack(ours), expected, rtol=1e-4, atol=1e-5, msg=f"{recipe}, step {index}: losses differ")
    for name, net in trainer.networks.items():
        for (key, value), twin in zip(net.state_dict().items(), twins[name].state_dict().values(), strict=True):
            torch.testing.assert_close(twin, value, rtol=1e-4, atol=1e-5, msg=f"{recipe}: {name}.{key} differs after {STEPS} steps")


def test_plain_loop_refuses_an_unknown_recipe() -> None:
    with pytest.raises(ValueError, match="no hand-written loop for recipe 'nope'"):
        _plain_loops().PlainLoop("nope", {}, {"optim": {}, "train": {"seed": 0}})
