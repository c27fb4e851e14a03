"""Class-conditional DCGAN generator (noise plus a learned label embedding)."""

from typing import Literal

import torch
from torch import nn

from ganzoo.contracts import GanNetwork
from ganzoo.parameters import check_positive

from ..layers import check_choice, example_labels, init_weights
from .dcgan import check_dcgan_size, dcgan_trunk

__all__ = ["ConditionalDCGANGenerator"]

#: Standard deviation of the label embedding at initialisation (see the class docstring for why small).
EMBEDDING_STD = 0.1


class ConditionalDCGANGenerator(GanNetwork):
    """Class-conditional DCGAN generator: noise concatenated with a learned label embedding.

    Conditioning as in Mirza and Osindero, "Conditional Generative Adversarial Nets", 2014,
    arXiv:1411.1784 (the label joins the noise at the generator's input), on the DCGAN generator of
    Radford et al., ICLR 2016, arXiv:1511.06434. The label is looked up in a learned embedding of size
    ``embed_dim`` and concatenated with ``z``; the rest is :class:`~ganzoo.zoo.generators.DCGANGenerator`
    (batch norm, ReLU, tanh, 28 or power-of-two sizes ≥ 8). The embedding starts small, N(0, 0.1), so
    that the noise drives the first images and the class gains weight as the discriminator asks for
    it. Started at PyTorch's N(0, 1), class codes as large as the noise let the generator collapse to
    one image per class within a few hundred steps on digits, even against a discriminator that never
    sees the class.

    Args:
        num_classes: Number of classes; labels are integers in ``[0, num_classes)``.
        latent_dim: Size of the noise vector ``z``.
        image_size: Side of the square output image: 28 or a power of two ≥ 8.
        out_channels: Channels of the output image.
        embed_dim: Size of the label embedding.
        ngf: Base width.
        activation: ``"relu"`` (DCGAN paper) or ``"leaky_relu"`` (slope 0.2).
        init: Initialise convolution weights from N(0, 0.02), batch-norm scales from N(1, 0.02) and the
            embedding from N(0, 0.1).
    """

    inputs = ("z", "label")

    def __init__(
        self,
        *,
        num_classes: int = 10,
        latent_dim: int = 100,
        image_size: int = 64,
        out_channels: int = 3,
        embed_dim: int = 50,
        ngf: int = 64,
        activation: Literal["relu", "leaky_relu"] = "relu",
        init: bool = True,
    ) -> None:
        owner = type(self).__name__
        check_positive(owner, num_classes=num_classes, latent_dim=latent_dim, out_channels=out_channels)
        check_positive(owner, embed_dim=embed_dim, ngf=ngf)
        check_dcgan_size(owner, image_size)
        check_choice(owner, "activation", activation, ("relu", "leaky_relu"))
        super().__init__()
        self.num_classes = num_classes
        self.latent_dim = latent_dim
        self.image_size = image_size
        self.out_channels = out_channels
        self.embedding = nn.Embedding(num_classes, embed_dim)
        self.net = dcgan_trunk(latent_dim + embed_dim, image_size, out_channels, ngf, activation)
        if init:
            init_weights(self.net)
            nn.init.normal_(self.embedding.weight, 0.0, EMBEDDING_STD)

    def forward(self, z: torch.Tensor, label: torch.Tensor) -> torch.Tensor:
        """Generate images of the given classes.

        Args:
            z: Noise of shape ``(N, latent_dim)``.
            label: Class indices of shape ``(N,)``, int64.

        Returns:
            Images of shape ``(N, out_channels, image_size, image_size)`` in ``[-1, 1]``.
        """
        h = torch.cat([z.view(z.shape[0], -1), self.embedding(label)], dim=1)
        return self.net(h.view(h.shape[0], -1, 1, 1))

    def example_inputs(self, batch_size: int = 2) -> tuple[torch.Tensor, ...]:
        """Return standard normal noise ``(batch_size, latent_dim)`` and random labels ``(batch_size,)``."""
        return (
            torch.randn(batch_size, self.latent_dim, device=self.device),
            example_labels(batch_size, self.num_classes, self.device),
        )
