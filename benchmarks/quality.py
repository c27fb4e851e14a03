"""Sample quality for a fixed time: each recipe trained by ganzoo, and by a hand-written PyTorch loop.

For every recipe asked for, two runs of the same wall-clock budget on the built-in data:

- **ganzoo**: ``Trainer`` on the recipe (its settings, run until the budget is spent: a SIGTERM after
  the budget ends it as an interrupted run would end, checkpoint included);
- **plain**: the same networks (built by :func:`ganzoo.build_part` with the parameters ganzoo resolved),
  optimisers and batch size, trained by the textbook loop written out in plain PyTorch, e.g. the
  non-saturating DCGAN loop of the PyTorch DCGAN tutorial.

Both generators are then measured identically with :func:`ganzoo.metrics.evaluate_run` (the plain
one's weights are loaded into a ganzoo run of the same configuration): the digits-feature FID of
``--n`` generated images against the training digits, beside the held-out test digits' own FID, or,
for pix2pix, the FID and L1 of its outputs on the test split. The result is printed as a Markdown
table with the date and the machine. ``cyclegan`` and ``exgan`` have no hand-written loop here.

Run on demand (never by the test suite)::

    python benchmarks/quality.py --budget 600 --recipes dcgan,cgan
"""

from __future__ import annotations

import argparse
import math
import platform
import signal
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader

from _common import machine  # the benchmarks' shared machine description (run from this folder)

from ganzoo import build_part, hookimpl
from ganzoo.config import NAME_KEY, slot_params
from ganzoo.metrics import evaluate_run, plan_evaluation
from ganzoo.plugins import PluginHost
from ganzoo.training import Trainer, resolve_run_config

#: Recipes with a hand-written loop below.
PLAIN_LOOPS = ("vanilla", "dcgan", "cgan", "wgan-gp", "pix2pix")
ALL_RECIPES = ("vanilla", "dcgan", "cgan", "wgan-gp", "pix2pix", "cyclegan", "exgan")
#: Run settings for both: no periodic outputs to slow either down, and no natural end before the budget.
RUN_WORDS = ["train.steps=100000000", "train.sample_every=0", "train.checkpoint_every=0", "train.log_every=10", "train.progress=false", "eval.every=0"]


# --- ganzoo ---------------------------------------------------------------------------------------


class _Budget:
    """A plugin that sends the run a SIGTERM once ``seconds`` of training have passed."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.started = 0.0

    @hookimpl
    def ganzoo_run_start(self, run: Any) -> None:  # noqa: ARG002
        self.started = time.perf_counter()

    @hookimpl
    def ganzoo_step_end(self, run: Any, step: int, losses: dict[str, float]) -> None:  # noqa: ARG002
        if time.perf_counter() - self.started >= self.seconds:
            signal.raise_signal(signal.SIGTERM)  # the trainer saves a checkpoint and stops after this step


def _words(recipe: str, out: Path, seed: int) -> list[str]:
    return [f"recipe={recipe}", f"out={out}", f"train.seed={seed}", *RUN_WORDS]


def train_ganzoo(recipe: str, budget: float, folder: Path, seed: int) -> tuple[Trainer, float]:
    """Train ``recipe`` with ganzoo for ``budget`` seconds; returns the run and the seconds it took."""
    budgeted = _Budget(budget)
    host = PluginHost(third_party=False)
    host.add_plugin(budgeted, "budget")
    trainer = Trainer.create(resolve_run_config(_words(recipe, folder / f"ganzoo-{recipe}", seed)), host=host)
    trainer.fit()
    return trainer, time.perf_counter() - budgeted.started


# --- plain PyTorch --------------------------------------------------------------------------------


def _networks(trainer: Trainer) -> tuple[nn.Module, nn.Module]:
    """Fresh networks of the sizes ganzoo resolved, built by name (no trainer involved)."""
    config = trainer.config
    generator = build_part("generator", config["generator"][NAME_KEY], **slot_params(config["generator"]))
    discriminator = build_part("discriminator", config["discriminator"][NAME_KEY], **slot_params(config["discriminator"]))
    return generator, discriminator


def _adam(module: nn.Module, settings: dict[str, Any]) -> torch.optim.Adam:
    return torch.optim.Adam(module.parameters(), lr=float(settings["lr"]), betas=tuple(float(b) for b in settings["betas"]))


def _forever(loader: DataLoader) -> Iterator[dict[str, torch.Tensor]]:
    while True:
        yield from loader


def train_plain(recipe: str, budget: float, reference: Trainer, seed: int) -> tuple[nn.Module, int, float]:
    """Train the recipe's networks with a hand-written loop for ``budget`` seconds.

    Returns:
        The generator, the steps taken and the seconds spent.
    """
    torch.manual_seed(seed)
    config = reference.config
    G, D = _networks(reference)  # noqa: N806  (the usual names in GAN code)
    opt_g, opt_d = _adam(G, config["optim"]["generator"]), _adam(D, config["optim"]["discriminator"])
    data = build_part("dataset", config["data"][NAME_KEY], **slot_params(config["data"]))
    batch_size, latent = int(config["train"]["batch_size"]), int(config["latent_dim"])
    batches = _forever(DataLoader(data, batch_size=batch_size, shuffle=True, drop_last=True))
    step_once = _STEPS[recipe]
    G.train()
    D.train()
    steps, started = 0, time.perf_counter()
    while time.perf_counter() - started < budget:
        step_once(G, D, opt_g, opt_d, next(batches), latent, steps)
        steps += 1
    return G, steps, time.perf_counter() - started


def _bce(logits: torch.Tensor, target: float) -> torch.Tensor:
    return F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, target))


def _apply(optimizer: torch.optim.Optimizer, loss: torch.Tensor) -> None:
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()


def _step_vanilla(G, D, opt_g, opt_d, batch, latent, step) -> None:  # noqa: ANN001, ARG001, N803
    """Goodfellow et al. 2014 as written: D maximises log D(x) + log(1 - D(G(z))), G minimises log(1 - D(G(z)))."""
    real = batch["image"]
    fake = G(torch.randn(real.shape[0], latent))
    loss_d = _bce(D(real), 1.0) + _bce(D(fake.detach()), 0.0)
    _apply(opt_d, loss_d)
    loss_g = -_bce(D(fake), 0.0)
    _apply(opt_g, loss_g)


def _step_dcgan(G, D, opt_g, opt_d, batch, latent, step) -> None:  # noqa: ANN001, ARG001, N803
    """The PyTorch DCGAN tutorial's loop: BCE for D, the non-saturating loss for G."""
    real = batch["image"]
    fake = G(torch.randn(real.shape[0], latent))
    loss_d = _bce(D(real), 1.0) + _bce(D(fake.detach()), 0.0)
    _apply(opt_d, loss_d)
    loss_g = _bce(D(fake), 1.0)
    _apply(opt_g, loss_g)


def _step_cgan(G, D, opt_g, opt_d, batch, latent, step) -> None:  # noqa: ANN001, ARG001, N803
    """Projection cGAN (Miyato and Koyama 2018): hinge loss, D(x, y), G(z, y)."""
    real, labels = batch["image"], batch["label"]
    fake = G(torch.randn(real.shape[0], latent), labels)
    loss_d = F.relu(1 - D(real, labels)).mean() + F.relu(1 + D(fake.detach(), labels)).mean()
    _apply(opt_d, loss_d)
    loss_g = -D(fake, labels).mean()
    _apply(opt_g, loss_g)


def _step_wgan_gp(G, D, opt_g, opt_d, batch, latent, step) -> None:  # noqa: ANN001, N803
    """Gulrajani et al. 2017, Algorithm 1: five critic steps with λ = 10, then one generator step."""
    real = batch["image"]
    generator_step = (step + 1) % 5 == 0
    with torch.set_grad_enabled(generator_step):  # the graph through G is needed only for its update
        fake = G(torch.randn(real.shape[0], latent))
    alpha = torch.rand(real.shape[0], 1, 1, 1)
    mixed = (alpha * real + (1 - alpha) * fake.detach()).requires_grad_(True)
    (gradients,) = torch.autograd.grad(D(mixed).sum(), mixed, create_graph=True)
    penalty = (gradients.flatten(1).norm(dim=1) - 1).pow(2).mean()
    loss_d = D(fake.detach()).mean() - D(real).mean() + 10.0 * penalty
    _apply(opt_d, loss_d)
    if generator_step:
        loss_g = -D(fake).mean()
        _apply(opt_g, loss_g)


def _step_pix2pix(G, D, opt_g, opt_d, batch, latent, step) -> None:  # noqa: ANN001, ARG001, N803
    """Isola et al. 2017: conditional PatchGAN, D's loss halved, G's loss BCE + 100 · L1."""
    source, target = batch["source"], batch["image"]
    fake = G(source)
    loss_d = 0.5 * (_bce(D(target, source), 1.0) + _bce(D(fake.detach(), source), 0.0))
    _apply(opt_d, loss_d)
    loss_g = _bce(D(fake, source), 1.0) + 100.0 * F.l1_loss(fake, target)
    _apply(opt_g, loss_g)


_STEPS: dict[str, Callable[..., None]] = {
    "vanilla": _step_vanilla,
    "dcgan": _step_dcgan,
    "cgan": _step_cgan,
    "wgan-gp": _step_wgan_gp,
    "pix2pix": _step_pix2pix,
}


# --- the comparison -------------------------------------------------------------------------------


def measure(trainer: Trainer, n: int) -> dict[str, float]:
    """The figures compared: FID (and the held-out baseline), or FID and L1 for translation."""
    paired = plan_evaluation(trainer).paired
    return evaluate_run(trainer, metrics=["fid", "l1"] if paired else ["fid"], n=n, features="digits")


def _cell(values: dict[str, float] | None, key: str) -> str:
    if values is None or key not in values or not math.isfinite(values[key]):
        return "—"
    return f"{values[key]:.3g}"


def compare(recipes: list[str], budget: float, n: int, seed: int) -> str:
    """Run the comparison and return it as Markdown."""
    rows = []
    with tempfile.TemporaryDirectory(prefix="ganzoo-quality-") as scratch:
        folder = Path(scratch)
        for recipe in recipes:
            print(f"{recipe}: ganzoo for {budget:.0f} s …", flush=True)
            trainer, seconds = train_ganzoo(recipe, budget, folder, seed)
            ours = measure(trainer, n)
            plain_values, plain_steps, plain_seconds = None, None, None
            if recipe in PLAIN_LOOPS:
                print(f"{recipe}: plain PyTorch for {budget:.0f} s …", flush=True)
                generator, plain_steps, plain_seconds = train_plain(recipe, budget, trainer, seed)
                twin = Trainer.create(resolve_run_config(_words(recipe, folder / f"plain-{recipe}", seed)))
                twin.networks["G"].load_state_dict(generator.state_dict())
                plain_values = measure(twin, n)
            plain = f"{plain_steps:,} ({plain_steps / plain_seconds:.1f}/s)" if plain_steps else "—"
            note = f"L1 {_cell(ours, 'l1')} / {_cell(plain_values, 'l1')}" if "l1" in ours else _cell(ours, "baseline/fid")
            if recipe == "cyclegan":
                note = "— (B outputs of the A test digits against the B test digits)"
            rows.append(
                f"| {recipe} | {trainer.step:,} ({trainer.step / seconds:.1f}/s) | {_cell(ours, 'fid')} | {plain} | "
                f"{_cell(plain_values, 'fid')} | {note} |"
            )
    header = [
        f"Measured {machine()}, {torch.get_num_threads()} torch thread(s) ({platform.platform()}); "
        f"{budget:.0f} s of training each, seed {seed}; digits-feature FID of {n} generated images against "
        "the 4,500 training digits; image-to-image recipes: their outputs on the test split against the targets. "
        "Lower is better; compare figures within this table only.",
        "",
        "| recipe | ganzoo steps | ganzoo FID | plain steps | plain FID | held-out test digits' FID (image-to-image: L1 ganzoo / plain) |",
        "|---|---|---|---|---|---|",
    ]
    return "\n".join(header + rows)


def main(argv: list[str] | None = None) -> None:
    """Parse the arguments, compare, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--budget", type=float, default=600.0, help="seconds of training for each run (default 600)")
    parser.add_argument("--recipes", default=",".join(ALL_RECIPES), help="comma-separated recipes (default: all)")
    parser.add_argument("--n", type=int, default=1000, help="generated images per measurement (default 1000)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    recipes = [r.strip() for r in args.recipes.split(",") if r.strip()]
    unknown = sorted(set(recipes) - set(ALL_RECIPES))
    if unknown:
        parser.error(f"unknown recipes {', '.join(unknown)} (choose among {', '.join(ALL_RECIPES)})")
    print(compare(recipes, args.budget, args.n, args.seed))


if __name__ == "__main__":
    main()
