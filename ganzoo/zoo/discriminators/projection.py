"""Class-conditional discriminator with an inner-product (projection) label term."""

import torch
from torch import nn

from ganzoo.contracts import GanNetwork
from ganzoo.parameters import check_positive

from ..layers import example_images, example_labels, init_weights, maybe_spectral_norm

__all__ = ["ProjectionDiscriminator"]

_MAX_MULT = 8


class ProjectionDiscriminator(GanNetwork):
    """Projection discriminator: an unconditional score plus the inner product of a class embedding and the features.

    Miyato and Koyama, "cGANs with Projection Discriminator", ICLR 2018, arXiv:1802.05637. The logit is
    ``linear(h) + <embed(label), h>`` where ``h`` is the globally sum-pooled output of a convolutional
    feature extractor. The extractor is the "standard CNN" discriminator of Miyato et al., "Spectral
    Normalization for Generative Adversarial Networks", ICLR 2018, arXiv:1802.05957, generalised to
    other sizes: per level a 3×3 stride-1 and a 4×4 stride-2 convolution (widths ``ndf * 2**k``, capped at
    ``ndf * 8``), then a final 3×3 convolution, LeakyReLU 0.1 throughout; at 32×32 with ``ndf`` 64 this is
    exactly that network (64-64-128-128-256-256-512). Keeps the paper's defaults: spectral
    normalisation on every layer including the embedding, global sum pooling, no batch norm.

    Args:
        image_size: Side of the square input image, at least 8. The number of stride-2 levels is
            ``floor(log2(image_size)) - 2`` (3 for 32, 4 for 64, 2 for 28).
        in_channels: Channels of the input image.
        num_classes: Number of classes; labels are integers in ``[0, num_classes)``.
        ndf: Channels of the first level.
        spectral_norm: Apply spectral normalisation to every convolution, the linear layer and the
            embedding (the paper's setting).
        init: Initialise convolution and linear weights from N(0, 0.02).
    """

    inputs = ("image", "label")

    def __init__(
        self,
        *,
        image_size: int = 32,
        in_channels: int = 3,
        num_classes: int = 10,
        ndf: int = 64,
        spectral_norm: bool = True,
        init: bool = True,
    ) -> None:
        owner = type(self).__name__
        check_positive(owner, in_channels=in_channels, num_classes=num_classes, ndf=ndf)
        if image_size < 8:
            raise ValueError(
                f"{owner}: image_size={image_size!r} is too small; use image_size ≥ 8 (e.g. 28, 32 or 64)"
            )
        super().__init__()
        self.image_size = image_size
        self.in_channels = in_channels
        self.num_classes = num_classes

        def sn(layer: nn.Module) -> nn.Module:
            return maybe_spectral_norm(layer, spectral_norm)

        num_downs = image_size.bit_length() - 3
        widths = [ndf * min(2**k, _MAX_MULT) for k in range(num_downs + 1)]
        layers: list[nn.Module] = []
        channels = in_channels
        for width in widths[:-1]:
            layers += [
                sn(nn.Conv2d(channels, width, 3, 1, 1)),
                nn.LeakyReLU(0.1, inplace=True),
                sn(nn.Conv2d(width, width, 4, 2, 1)),
                nn.LeakyReLU(0.1, inplace=True),
            ]
            channels = width
        layers += [sn(nn.Conv2d(channels, widths[-1], 3, 1, 1)), nn.LeakyReLU(0.1, inplace=True)]
        self.features = nn.Sequential(*layers)
        self.linear = sn(nn.Linear(widths[-1], 1))
        self.embedding = sn(nn.Embedding(num_classes, widths[-1]))
        if init:
            init_weights(self)

    def forward(self, image: torch.Tensor, label: torch.Tensor) -> torch.Tensor:
        """Score images given their classes.

        Args:
            image: Images of shape ``(N, in_channels, H, W)``.
            label: Class indices of shape ``(N,)``, int64.

        Returns:
            Logits of shape ``(N, 1)``.
        """
        h = self.features(image).sum(dim=(2, 3))  # global sum pooling
        return self.linear(h) + (self.embedding(label) * h).sum(dim=1, keepdim=True)

    def example_inputs(self, batch_size: int = 2) -> tuple[torch.Tensor, ...]:
        """Return random images in ``[-1, 1]`` and random labels."""
        return (
            example_images(batch_size, self.in_channels, self.image_size, self.device),
            example_labels(batch_size, self.num_classes, self.device),
        )
