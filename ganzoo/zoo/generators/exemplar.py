"""Exemplar-conditioned in-painting generator in the style of ExGAN."""

from typing import Literal

import torch
from torch import nn

from ganzoo.contracts import GanNetwork
from ganzoo.parameters import check_positive

from ..layers import (
    NormKind,
    check_choice,
    conv_bias,
    example_images,
    example_masks,
    init_weights,
    is_power_of_two,
    norm_layer,
    powers_of_two,
)

__all__ = ["ExemplarInpaintingGenerator"]

_MAX_MULT = 8
_MIN_SIZE = 16


class ExemplarInpaintingGenerator(GanNetwork):
    """Exemplar GAN in-painting generator: fills a masked region guided by another image of the same identity.

    After Dolhansky and Ferrer, "Eye In-Painting with Exemplar Generative Adversarial Networks",
    CVPR 2018, arXiv:1712.03999. The generator sees the image with the region to fill zeroed
    (``source``), the ``mask`` (1 inside that region) and an ``exemplar`` of the same identity, in
    either of the paper's two forms:

    * ``exemplar_mode="reference"`` (reference-based in-painting): the exemplar image is concatenated
      with the source and mask as extra input channels.
    * ``exemplar_mode="code"`` (code-based in-painting): a small convolutional encoder (:meth:`encode`)
      maps the exemplar to a ``code_dim`` vector, which is broadcast over the 4×4 bottleneck and
      concatenated there.

    The body is a U-Net-like encoder-decoder with skip connections: 4×4 stride-2 convolutions (LeakyReLU
    0.2, no norm on the first) down to a 4×4 bottleneck, a 3×3 fusion convolution there, and 4×4
    stride-2 transposed convolutions (ReLU) back up, each fed the matching encoder features; widths are
    ``ngf * 2**k`` capped at ``ngf * 8``; the output is tanh. The generator returns the whole image;
    pasting the known pixels back (``source + mask * output``) is left to the training step, which
    also needs the raw output for its reconstruction loss.

    :meth:`encode` exists in both modes, so a perceptual code loss between ``encode(output)`` and
    ``encode(exemplar)`` (the paper's code-based objective) is always available. In reference mode the
    encoder is used by nothing else, so it only learns from such a loss.

    Args:
        image_size: Side of the square images: a power of two ≥ 16 (32 suits the built-in digit images).
        out_channels: Channels of the images (source, exemplar and output).
        exemplar_mode: ``"reference"`` (exemplar as input channels) or ``"code"`` (exemplar code at the
            bottleneck).
        code_dim: Size of the exemplar code returned by :meth:`encode`.
        ngf: Channels after the first downsampling.
        norm: Normalisation of the encoder-decoder (not of the code encoder, which has none so an
            exemplar's code does not depend on the rest of its batch).
        init: Initialise weights from N(0, 0.02) and batch-norm scales from N(1, 0.02).
    """

    inputs = ("source", "mask", "exemplar")

    def __init__(
        self,
        *,
        image_size: int = 32,
        out_channels: int = 3,
        exemplar_mode: Literal["reference", "code"] = "reference",
        code_dim: int = 128,
        ngf: int = 64,
        norm: NormKind = "batch",
        init: bool = True,
    ) -> None:
        owner = type(self).__name__
        check_positive(owner, out_channels=out_channels, code_dim=code_dim, ngf=ngf)
        if not (is_power_of_two(image_size) and image_size >= _MIN_SIZE):
            raise ValueError(
                f"{owner}: image_size={image_size!r} is not a power of two ≥ {_MIN_SIZE}; "
                f"use {powers_of_two(_MIN_SIZE)}"
            )
        check_choice(owner, "exemplar_mode", exemplar_mode, ("reference", "code"))
        check_choice(owner, "norm", norm, ("batch", "instance", "none"))
        super().__init__()
        self.image_size = image_size
        self.out_channels = out_channels
        self.exemplar_mode = exemplar_mode
        self.code_dim = code_dim

        num_downs = image_size.bit_length() - 3  # down to a 4×4 bottleneck
        widths = [ngf * min(2**k, _MAX_MULT) for k in range(num_downs)]
        use_bias = conv_bias(norm)
        in_ch = out_channels + 1 + (out_channels if exemplar_mode == "reference" else 0)

        # Encoder: widths[k] channels at image_size / 2**(k+1).
        self.down = nn.ModuleList([nn.Conv2d(in_ch, widths[0], 4, 2, 1)])
        for k in range(1, num_downs):
            self.down.append(
                nn.Sequential(
                    nn.LeakyReLU(0.2, inplace=False),  # the pre-activation input is also a skip
                    nn.Conv2d(widths[k - 1], widths[k], 4, 2, 1, bias=use_bias),
                    norm_layer(norm, widths[k]),
                )
            )
        extra = code_dim if exemplar_mode == "code" else 0
        self.bottleneck_act = nn.LeakyReLU(0.2)
        self.bottleneck = nn.Sequential(
            nn.Conv2d(widths[-1] + extra, widths[-1], 3, 1, 1, bias=use_bias),
            norm_layer(norm, widths[-1]),
        )
        # Decoder: up[k] takes cat(decoder features, encoder features k) and returns the size of level k-1.
        self.up = nn.ModuleList(
            [nn.Sequential(nn.ReLU(), nn.ConvTranspose2d(2 * widths[0], out_channels, 4, 2, 1), nn.Tanh())]
        )
        for k in range(1, num_downs):
            self.up.append(
                nn.Sequential(
                    nn.ReLU(),
                    nn.ConvTranspose2d(2 * widths[k], widths[k - 1], 4, 2, 1, bias=use_bias),
                    norm_layer(norm, widths[k - 1]),
                )
            )

        code_layers: list[nn.Module] = []
        channels = out_channels
        for width in widths:
            code_layers += [nn.Conv2d(channels, width, 4, 2, 1), nn.LeakyReLU(0.2, inplace=True)]
            channels = width
        code_layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(channels, code_dim)]
        self.code_encoder = nn.Sequential(*code_layers)
        if init:
            init_weights(self)

    def encode(self, exemplar: torch.Tensor) -> torch.Tensor:
        """Map images to their exemplar codes.

        Args:
            exemplar: Images of shape ``(N, out_channels, image_size, image_size)``.

        Returns:
            Codes of shape ``(N, code_dim)``.
        """
        return self.code_encoder(exemplar)

    def forward(self, source: torch.Tensor, mask: torch.Tensor, exemplar: torch.Tensor) -> torch.Tensor:
        """In-paint the masked region.

        Args:
            source: Images with the region to fill zeroed, ``(N, out_channels, H, W)``; pixels under the
                mask are ignored.
            mask: ``(N, 1, H, W)``, 1 inside the region to fill and 0 elsewhere.
            exemplar: Another image of the same identity, ``(N, out_channels, H, W)``.

        Returns:
            The generated images, ``(N, out_channels, H, W)`` in ``[-1, 1]``.
        """
        # Zero the region again so that nothing under the mask can leak into the output.
        parts = [source * (1 - mask), mask]
        if self.exemplar_mode == "reference":
            parts.append(exemplar)
        h = torch.cat(parts, 1)
        skips = []
        for down in self.down:
            h = down(h)
            skips.append(h)
        h = self.bottleneck_act(h)
        if self.exemplar_mode == "code":
            code = self.encode(exemplar)
            h = torch.cat([h, code[:, :, None, None].expand(-1, -1, h.shape[2], h.shape[3])], 1)
        h = self.bottleneck(h)
        for k in reversed(range(len(self.up))):
            h = self.up[k](torch.cat([h, skips[k]], 1))
        return h

    def example_inputs(self, batch_size: int = 2) -> tuple[torch.Tensor, ...]:
        """Return masked images, their box masks and exemplars, each ``image_size`` square."""
        image = example_images(batch_size, self.out_channels, self.image_size, self.device)
        mask = example_masks(batch_size, self.image_size, self.device)
        exemplar = example_images(batch_size, self.out_channels, self.image_size, self.device)
        return image * (1 - mask), mask, exemplar
