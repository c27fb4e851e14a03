"""The parts this plugin adds: ordinary classes on ganzoo's contracts; the plugin module names them."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from ganzoo.contracts import AdversarialLoss, GanNetwork, Schedule, StepControls


def _check_power_of_two(owner: str, image_size: int) -> int:
    levels = int(math.log2(image_size)) if image_size > 0 else 0
    if image_size < 8 or 2**levels != image_size:
        raise ValueError(f"{owner}: image_size={image_size} is not a power of two ≥ 8; use 8, 16, 32, 64, …")
    return levels


class UpsampleGenerator(GanNetwork):
    """Generator that upsamples with nearest-neighbour resizing and a convolution instead of transposed convolutions.

    Odena, Dumoulin and Olah, "Deconvolution and Checkerboard Artifacts", Distill, 2016. Resizing
    before convolving spreads every input pixel evenly over the output, which avoids the checkerboard
    pattern transposed convolutions leave.

    Args:
        latent_dim: Size of the noise vector.
        image_size: Side of the square output; a power of two ≥ 8.
        out_channels: Channels of the output image.
        ngf: Channels of the last feature map; doubled at each coarser level.
    """

    inputs = ("z",)

    def __init__(self, *, latent_dim: int = 100, image_size: int = 32, out_channels: int = 3, ngf: int = 32) -> None:
        super().__init__()
        levels = _check_power_of_two("upsample", image_size) - 2  # start from 4×4
        self.latent_dim = latent_dim
        top = ngf * 2 ** (levels - 1) if levels > 0 else ngf
        self.project = nn.Sequential(nn.Linear(latent_dim, top * 16), nn.BatchNorm1d(top * 16), nn.ReLU(True))
        self.top = top
        blocks: list[nn.Module] = []
        channels = top
        for _ in range(levels):
            blocks += [
                nn.Upsample(scale_factor=2, mode="nearest"),
                nn.Conv2d(channels, max(channels // 2, ngf), 3, padding=1, bias=False),
                nn.BatchNorm2d(max(channels // 2, ngf)),
                nn.ReLU(True),
            ]
            channels = max(channels // 2, ngf)
        blocks += [nn.Conv2d(channels, out_channels, 3, padding=1), nn.Tanh()]
        self.body = nn.Sequential(*blocks)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """Map noise ``(N, latent_dim)`` to images ``(N, C, H, W)`` in [-1, 1]."""
        return self.body(self.project(z).view(z.shape[0], self.top, 4, 4))

    def example_inputs(self, batch_size: int = 2) -> tuple[torch.Tensor, ...]:
        """A batch of standard normal noise."""
        return (torch.randn(batch_size, self.latent_dim, device=self.device),)


class MinibatchStdDiscriminator(GanNetwork):
    """DCGAN discriminator with a minibatch standard-deviation feature before its last layer.

    Karras et al., "Progressive Growing of GANs for Improved Quality, Stability, and Variation", ICLR
    2018 (arXiv:1710.10196). The average standard deviation of the features across the batch is added
    as one more channel, so the discriminator can tell a batch that lacks variety: a cheap guard
    against mode collapse.

    Args:
        image_size: Side of the square input; a power of two ≥ 8.
        in_channels: Channels of the input image.
        ndf: Channels of the first feature map; doubled at each level.
    """

    inputs = ("image",)

    def __init__(self, *, image_size: int = 32, in_channels: int = 3, ndf: int = 32) -> None:
        super().__init__()
        levels = _check_power_of_two("minibatch_std", image_size) - 2
        self.image_size, self.in_channels = image_size, in_channels
        layers: list[nn.Module] = []
        channels = in_channels
        for level in range(levels):
            out = ndf * 2**level
            layers += [nn.Conv2d(channels, out, 4, 2, 1), nn.LeakyReLU(0.2, True)]
            channels = out
        self.features = nn.Sequential(*layers)
        self.head = nn.Conv2d(channels + 1, 1, 4)  # 4×4 → 1×1, seeing the std channel too

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        """Return one logit per image, shape ``(N,)``."""
        features = self.features(image)
        std = features.std(dim=0, unbiased=False).mean().expand(features.shape[0], 1, *features.shape[2:])
        return self.head(torch.cat([features, std], dim=1)).flatten()

    def example_inputs(self, batch_size: int = 2) -> tuple[torch.Tensor, ...]:
        """A batch of images in [-1, 1]."""
        shape = (batch_size, self.in_channels, self.image_size, self.image_size)
        return (torch.rand(shape, device=self.device) * 2 - 1,)


class SmoothedBCELoss(AdversarialLoss):
    """Non-saturating GAN loss with one-sided label smoothing: real images are labelled 0.9, not 1.

    Salimans et al., "Improved Techniques for Training GANs", NeurIPS 2016 (arXiv:1606.03498), §3.4.
    Smoothing only the real labels keeps the discriminator from growing over-confident without
    rewarding the generator for samples the discriminator already rejects.

    A loss implements the two one-scale methods; the base class averages over the scales of a
    multi-scale discriminator and applies ``d_scale``.

    Args:
        real_label: Target for real images in the discriminator's loss.
        d_scale: Factor on the discriminator's loss.
    """

    def __init__(self, *, real_label: float = 0.9, d_scale: float = 1.0) -> None:
        if not 0.0 < real_label <= 1.0:
            raise ValueError(f"smoothed_bce: real_label={real_label} must lie in (0, 1]")
        super().__init__(d_scale=d_scale)
        self.real_label = real_label

    def scale_discriminator_loss(self, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        """BCE against ``real_label`` for real logits and 0 for fake ones."""
        return F.binary_cross_entropy_with_logits(
            real, torch.full_like(real, self.real_label)
        ) + F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake))

    def scale_generator_loss(self, fake: torch.Tensor) -> torch.Tensor:
        """The non-saturating generator loss, −E[log σ(D(G(z)))] (no smoothing on this side)."""
        return F.binary_cross_entropy_with_logits(fake, torch.ones_like(fake))


class DiscriminatorWarmup(Schedule):
    """Train the discriminator alone for the first steps, then alternate as usual.

    A discriminator that already tells real from random noise gives the generator useful gradients
    from its first update; used, e.g., by Wasserstein GAN's reference code, which trains the critic
    100 times per generator step early on (Arjovsky et al., 2017, arXiv:1701.07875).

    Args:
        warmup_steps: Steps during which only the discriminator is updated.
    """

    def __init__(self, *, warmup_steps: int = 100) -> None:
        if warmup_steps < 0:
            raise ValueError(f"d_warmup: warmup_steps={warmup_steps} must be ≥ 0")
        self.warmup_steps = warmup_steps

    def update_generator(self, step: int) -> bool:
        """No generator update before ``warmup_steps``."""
        return step >= self.warmup_steps


class CosineDecay(Schedule):
    """Cosine decay of the learning rate, step by step, for every network or one role or network.

    Loshchilov and Hutter, "SGDR: Stochastic Gradient Descent with Warm Restarts", ICLR 2017
    (arXiv:1608.03983), without the restarts. At step ``s`` the rate is multiplied by
    ``final + (1 - final) * (1 + cos(pi * min(s / steps, 1))) / 2``: 1 at the first step, ``final``
    from step ``steps`` on. The factor follows from the step alone, so a resumed run continues it
    exactly, and it multiplies the other schedules' factors.

    Args:
        steps: Steps over which the rate falls.
        final: The factor at the end, in [0, 1].
        role: ``generator``, ``discriminator``, a network of the run (``G``, ``D_A``), or an empty
            string for every network.
    """

    def __init__(self, *, steps: int = 10_000, final: float = 0.0, role: str = "") -> None:
        if steps < 1:
            raise ValueError(f"cosine_lr: steps={steps} must be >= 1")
        if not 0.0 <= final <= 1.0:
            raise ValueError(f"cosine_lr: final={final} must lie in [0, 1]")
        self.steps, self.final, self.role = steps, final, role

    def before_step(self, step: int, epoch: float, controls: StepControls) -> None:
        """Scale this step's learning rate of the chosen networks."""
        progress = min(step / self.steps, 1.0)
        controls.scale_lr(self.final + (1 - self.final) * (1 + math.cos(math.pi * progress)) / 2, self.role or None)
