"""Fully connected generator of the classic MNIST GAN tutorials."""

from itertools import pairwise
from typing import Literal

import torch
from torch import nn

from ganzoo.contracts import GanNetwork
from ganzoo.parameters import check_positive

from ..layers import check_choice, init_weights

__all__ = ["MLPGenerator"]


class MLPGenerator(GanNetwork):
    """Fully connected generator: noise through three hidden layers to a flattened image.

    The generator of the original GAN (Goodfellow et al., "Generative Adversarial Nets", NeurIPS 2014,
    arXiv:1406.2661) in the form most MNIST tutorials use: ``latent_dim`` (100) → 256 → 512 → 1024 →
    ``C·H·W`` linear layers with ReLU between them (LeakyReLU 0.2 in some variants) and a tanh output,
    reshaped to ``(N, C, H, W)``. The defaults are the tutorial's 28×28 single-channel images.

    Args:
        latent_dim: Size of the noise vector ``z``.
        image_size: Side of the square output image.
        out_channels: Channels of the output image.
        activation: Hidden activation, ``"relu"`` (the common form) or ``"leaky_relu"`` (slope 0.2).
        init: Initialise weights from N(0, 0.02) (otherwise PyTorch's defaults are kept).
    """

    inputs = ("z",)

    def __init__(
        self,
        *,
        latent_dim: int = 100,
        image_size: int = 28,
        out_channels: int = 1,
        activation: Literal["relu", "leaky_relu"] = "relu",
        init: bool = True,
    ) -> None:
        check_positive(type(self).__name__, latent_dim=latent_dim, image_size=image_size, out_channels=out_channels)
        check_choice(type(self).__name__, "activation", activation, ("relu", "leaky_relu"))
        super().__init__()
        self.latent_dim = latent_dim
        self.image_size = image_size
        self.out_channels = out_channels

        def act() -> nn.Module:
            return nn.ReLU(inplace=True) if activation == "relu" else nn.LeakyReLU(0.2, inplace=True)

        widths = (latent_dim, 256, 512, 1024)
        layers: list[nn.Module] = []
        for width_in, width_out in pairwise(widths):
            layers += [nn.Linear(width_in, width_out), act()]
        layers += [nn.Linear(widths[-1], out_channels * image_size * image_size), nn.Tanh()]
        self.net = nn.Sequential(*layers)
        if init:
            init_weights(self)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """Generate images from noise.

        Args:
            z: Noise of shape ``(N, latent_dim)``.

        Returns:
            Images of shape ``(N, out_channels, image_size, image_size)`` in ``[-1, 1]``.
        """
        return self.net(z).view(z.shape[0], self.out_channels, self.image_size, self.image_size)

    def example_inputs(self, batch_size: int = 2) -> tuple[torch.Tensor, ...]:
        """Return standard normal noise of shape ``(batch_size, latent_dim)``."""
        return (torch.randn(batch_size, self.latent_dim, device=self.device),)
