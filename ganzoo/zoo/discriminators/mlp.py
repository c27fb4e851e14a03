"""Fully connected discriminator of the classic MNIST GAN tutorials."""

import torch
from torch import nn

from ganzoo.contracts import GanNetwork
from ganzoo.parameters import check_positive

from ..layers import check_probability, example_images, init_weights

__all__ = ["MLPDiscriminator"]


class MLPDiscriminator(GanNetwork):
    """Fully connected discriminator: a flattened image through two hidden layers to one logit.

    The discriminator of the original GAN (Goodfellow et al., "Generative Adversarial Nets",
    NeurIPS 2014, arXiv:1406.2661) in the form most MNIST tutorials use: ``C·H·W`` (784) → 512 →
    LeakyReLU 0.2 → 256 → LeakyReLU 0.2 → 1. The tutorials end in a sigmoid; here it is folded into the
    loss (binary cross-entropy with logits), which is numerically safer, so the output is a raw logit.
    ``dropout=0.3`` gives the tutorials' dropout variant (after each hidden activation).

    Args:
        image_size: Side of the square input image.
        in_channels: Channels of the input image.
        dropout: Dropout rate after each hidden layer (0 disables it).
        init: Initialise weights from N(0, 0.02).
    """

    inputs = ("image",)

    def __init__(self, *, image_size: int = 28, in_channels: int = 1, dropout: float = 0.0, init: bool = True) -> None:
        owner = type(self).__name__
        check_positive(owner, image_size=image_size, in_channels=in_channels)
        check_probability(owner, "dropout", dropout)
        super().__init__()
        self.image_size = image_size
        self.in_channels = in_channels

        def drop() -> list[nn.Module]:
            return [nn.Dropout(dropout)] if dropout > 0 else []

        self.net = nn.Sequential(
            nn.Flatten(),
            nn.Linear(in_channels * image_size * image_size, 512),
            nn.LeakyReLU(0.2, inplace=True),
            *drop(),
            nn.Linear(512, 256),
            nn.LeakyReLU(0.2, inplace=True),
            *drop(),
            nn.Linear(256, 1),
        )
        if init:
            init_weights(self)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        """Score images.

        Args:
            image: Images of shape ``(N, in_channels, image_size, image_size)``.

        Returns:
            Logits of shape ``(N, 1)``.
        """
        return self.net(image)

    def example_inputs(self, batch_size: int = 2) -> tuple[torch.Tensor, ...]:
        """Return random images in ``[-1, 1]`` of shape ``(batch_size, in_channels, image_size, image_size)``."""
        return (example_images(batch_size, self.in_channels, self.image_size, self.device),)
