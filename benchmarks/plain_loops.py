"""Each shipped recipe's training step written out by hand in plain PyTorch.

These are the yardsticks of ``throughput.py`` (speed) and ``quality.py`` (sample quality): the loop a
user would write from the paper or its reference code, with no registry, configuration or data-flow
graph. A :class:`PlainLoop` takes the networks and the data loader that ganzoo built for the recipe
(so both sides train the identical networks on the identical batches) and does everything else itself:
its own optimisers (Adam, as the recipe sets it), losses, update order, image pools and learning-rate
decay.

Usage::

    loop = PlainLoop("dcgan", trainer.networks, trainer.config)
    for index, batch in enumerate(trainer.loader):
        losses = loop.step(batch, index)   # detached loss tensors, no host synchronisation
    loop.end_epoch()                       # the epoch-wise learning-rate decay, where the recipe has one
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ganzoo.training.pool import HistoryPool

#: The recipes written out below.
RECIPES = ("vanilla", "dcgan", "cgan", "wgan-gp", "pix2pix", "cyclegan", "exgan")


def _bce(logits: torch.Tensor, target: float) -> torch.Tensor:
    return F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, target))


def _mse(outputs: torch.Tensor, target: float) -> torch.Tensor:
    return F.mse_loss(outputs, torch.full_like(outputs, target))


def _frozen(modules: list[nn.Module], flag: bool) -> None:
    """Switch off (on) the gradients of a discriminator's weights during the generator's update."""
    for module in modules:
        for parameter in module.parameters():
            parameter.requires_grad_(not flag)


class PlainLoop:
    """One recipe's step, as a hand-written loop does it.

    Args:
        recipe: One of :data:`RECIPES`.
        networks: The recipe's networks by name (``G``/``D``, or ``G_AB``, ``G_BA``, ``D_A``, ``D_B``).
        config: The resolved run configuration (learning rates, betas, latent size, epochs of decay).
        device: Where the batches go.
    """

    def __init__(self, recipe: str, networks: Mapping[str, nn.Module], config: Mapping[str, Any], device: str | torch.device = "cpu") -> None:
        if recipe not in RECIPES:
            raise ValueError(f"no hand-written loop for recipe '{recipe}'; there are: {', '.join(RECIPES)}")
        self.recipe = recipe
        self.nets = dict(networks)
        self.device = torch.device(device)
        self.latent_dim = int(config.get("latent_dim") or 0)
        optim = config["optim"]
        # The Adam kernel the run chose (the fused one by default, as a user on a recent torch would).
        fused = bool(config.get("train", {}).get("fused_optimizer", False))

        def adam(name: str) -> torch.optim.Adam:
            settings = optim["discriminator" if name.startswith("D") else "generator"]
            betas = tuple(float(b) for b in settings["betas"])
            kernel = {"fused": True} if fused else {"foreach": True}
            return torch.optim.Adam(self.nets[name].parameters(), lr=float(settings["lr"]), betas=betas, **kernel)

        self.opts = {name: adam(name) for name in self.nets}
        self.noise = torch.Generator(device=self.device).manual_seed(int(config["train"]["seed"]) + 1)
        self.pools = {"D_A": HistoryPool(50), "D_B": HistoryPool(50)} if recipe == "cyclegan" else {}
        decay = {"dcgan": (32, 28), "cgan": (32, 28), "pix2pix": (10, 10), "cyclegan": (2, 2)}.get(recipe)
        if decay:  # the reference code's lambda_rule with epoch_count = 1
            constant, decaying = decay
            rule = lambda epoch: max(0.0, 1.0 - max(0, epoch + 1 - constant) / float(decaying + 1))
            self.decays = [torch.optim.lr_scheduler.LambdaLR(opt, rule) for opt in self.opts.values()]
        else:
            self.decays = []
        self._step: Callable[[dict[str, torch.Tensor], int], list[torch.Tensor]] = getattr(self, "_" + recipe.replace("-", "_"))

    @classmethod
    def beside(cls, recipe: str, trainer: Any) -> PlainLoop:
        """A loop over copies of a ganzoo run's networks, both sets in training mode, to run beside it."""
        twins = {name: copy.deepcopy(net) for name, net in trainer.networks.items()}
        for net in [*trainer.networks.values(), *twins.values()]:
            net.train()
        return cls(recipe, twins, trainer.config, trainer.device)

    def step(self, batch: Mapping[str, torch.Tensor], index: int) -> list[torch.Tensor]:
        """Train on one batch (``index`` counts steps from 0); returns the detached losses."""
        return self._step({key: value.to(self.device) for key, value in batch.items()}, index)

    def end_epoch(self) -> None:
        """Move the learning rates on, where the recipe decays them by epoch."""
        for decay in self.decays:
            decay.step()

    def _z(self, batch_size: int) -> torch.Tensor:
        return torch.randn(batch_size, self.latent_dim, device=self.device, generator=self.noise)

    def _update(self, loss: torch.Tensor, *names: str) -> None:
        for name in names:
            self.opts[name].zero_grad(set_to_none=True)
        loss.backward()
        for name in names:
            self.opts[name].step()

    # --- noise to image ------------------------------------------------------------------------

    def _vanilla(self, batch: dict[str, torch.Tensor], index: int) -> list[torch.Tensor]:
        """Goodfellow et al. 2014 as written: G minimises log(1 - D(G(z)))."""
        return self._bce_gan(batch["image"], lambda logits: -_bce(logits, 0.0))

    def _dcgan(self, batch: dict[str, torch.Tensor], index: int) -> list[torch.Tensor]:
        """The PyTorch DCGAN tutorial's loop (BCE for D, the non-saturating loss for G) with the recipe's
        lazy R1 penalty (γ = 1, applied every fourth step at four times the strength) and its
        learning-rate decay (constant for 32 epochs, then linear to 0 over 28)."""
        r1 = 4 * 1.0 if index % 4 == 0 else 0.0
        return self._bce_gan(batch["image"], lambda logits: _bce(logits, 1.0), r1)

    def _bce_gan(
        self,
        real: torch.Tensor,
        generator_loss: Callable[[torch.Tensor], torch.Tensor],
        r1: float = 0.0,
        labels: torch.Tensor | None = None,
    ) -> list[torch.Tensor]:
        """One step of a GAN: D by binary cross-entropy (plus ``r1`` × the R1 penalty, Mescheder et al.
        2018), then G by ``generator_loss``; with ``labels``, G and D are class-conditional."""
        G, D = self.nets["G"], self.nets["D"]
        conditions = () if labels is None else (labels,)
        fake = G(self._z(real.shape[0]), *conditions)
        loss_d = _bce(D(real, *conditions), 1.0) + _bce(D(fake.detach(), *conditions), 0.0)
        if r1:
            judged = real.detach().requires_grad_(True)
            (gradients,) = torch.autograd.grad(D(judged, *conditions).sum(), judged, create_graph=True)
            loss_d = loss_d + r1 * 0.5 * gradients.flatten(1).pow(2).sum(dim=1).mean()
        self._update(loss_d, "D")
        _frozen([D], True)
        loss_g = generator_loss(D(fake, *conditions))
        self._update(loss_g, "G")
        _frozen([D], False)
        return [loss_d.detach(), loss_g.detach()]

    def _cgan(self, batch: dict[str, torch.Tensor], index: int) -> list[torch.Tensor]:
        """The dcgan loop above with G(z, y) and a projection D(x, y) (Miyato and Koyama 2018)."""
        r1 = 4 * 1.0 if index % 4 == 0 else 0.0
        return self._bce_gan(batch["image"], lambda logits: _bce(logits, 1.0), r1, batch["label"])

    def _wgan_gp(self, batch: dict[str, torch.Tensor], index: int) -> list[torch.Tensor]:
        """Gulrajani et al. 2017, Algorithm 1: a critic step every step, a generator step every fifth, λ = 10."""
        G, D = self.nets["G"], self.nets["D"]
        real = batch["image"]
        generator_step = (index + 1) % 5 == 0
        with torch.set_grad_enabled(generator_step):  # the graph through G is needed only for its update
            fake = G(self._z(real.shape[0]))
        alpha = torch.rand(real.shape[0], 1, 1, 1, device=real.device)
        mixed = torch.lerp(fake.detach(), real, alpha).requires_grad_(True)
        (gradients,) = torch.autograd.grad(D(mixed).sum(), mixed, create_graph=True)
        penalty = (gradients.flatten(1).norm(dim=1) - 1.0).pow(2).mean()
        loss_d = D(fake.detach()).mean() - D(real).mean() + 10.0 * penalty
        self._update(loss_d, "D")
        losses = [loss_d.detach()]
        if generator_step:
            _frozen([D], True)
            loss_g = -D(fake).mean()
            self._update(loss_g, "G")
            _frozen([D], False)
            losses.append(loss_g.detach())
        return losses

    # --- image to image ------------------------------------------------------------------------

    def _pix2pix(self, batch: dict[str, torch.Tensor], index: int) -> list[torch.Tensor]:
        """Isola et al. 2017: conditional PatchGAN, D's loss halved, G's loss BCE + 100 · L1."""
        G, D = self.nets["G"], self.nets["D"]
        source, target = batch["source"], batch["image"]
        fake = G(source)
        loss_d = 0.5 * (_bce(D(target, source), 1.0) + _bce(D(fake.detach(), source), 0.0))
        self._update(loss_d, "D")
        _frozen([D], True)
        loss_g = _bce(D(fake, source), 1.0) + 100.0 * F.l1_loss(fake, target)
        self._update(loss_g, "G")
        _frozen([D], False)
        return [loss_d.detach(), loss_g.detach()]

    def _cyclegan(self, batch: dict[str, torch.Tensor], index: int) -> list[torch.Tensor]:
        """Zhu et al. 2017's reference loop: generators first (LSGAN, cycle 10, identity 5), then both D on pooled fakes."""
        g_ab, g_ba, d_a, d_b = self.nets["G_AB"], self.nets["G_BA"], self.nets["D_A"], self.nets["D_B"]
        a, b = batch["A"], batch["B"]
        fake_b, fake_a = g_ab(a), g_ba(b)
        rec_a, rec_b = g_ba(fake_b), g_ab(fake_a)
        idt_b, idt_a = g_ab(b), g_ba(a)
        _frozen([d_a, d_b], True)
        loss_g = (
            _mse(d_b(fake_b), 1.0) + _mse(d_a(fake_a), 1.0)
            + 10.0 * F.l1_loss(rec_a, a) + 10.0 * F.l1_loss(rec_b, b)
            + 5.0 * F.l1_loss(idt_a, a) + 5.0 * F.l1_loss(idt_b, b)
        )
        self._update(loss_g, "G_AB", "G_BA")
        _frozen([d_a, d_b], False)
        loss_d = torch.zeros(())
        for name, disc, real, fake in (("D_B", d_b, b, fake_b), ("D_A", d_a, a, fake_a)):
            pooled = self.pools[name](fake.detach())
            loss_d = loss_d + 0.5 * (_mse(disc(real), 1.0) + _mse(disc(pooled), 0.0))
        self._update(loss_d, "D_A", "D_B")
        return [loss_d.detach(), loss_g.detach()]

    def _exgan(self, batch: dict[str, torch.Tensor], index: int) -> list[torch.Tensor]:
        """ExGAN-style in-painting: G fills the hole from an exemplar, D judges (image, exemplar), L1 inside the hole."""
        G, D = self.nets["G"], self.nets["D"]
        image, mask, source, exemplar = batch["image"], batch["mask"], batch["source"], batch["exemplar"]
        raw = G(source, mask, exemplar)
        fake = mask * raw + (1 - mask) * source
        loss_d = 0.5 * (_bce(D(image, exemplar), 1.0) + _bce(D(fake.detach(), exemplar), 0.0))
        self._update(loss_d, "D")
        _frozen([D], True)
        hole = ((raw - image).abs() * mask).sum() / mask.sum()
        loss_g = _bce(D(fake, exemplar), 1.0) + 100.0 * hole
        self._update(loss_g, "G")
        _frozen([D], False)
        return [loss_d.detach(), loss_g.detach()]
