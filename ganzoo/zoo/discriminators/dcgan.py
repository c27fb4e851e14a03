"""Strided-convolution discriminator of DCGAN, for power-of-two sizes and for 28×28."""

from itertools import pairwise

import torch
from torch import nn

from ganzoo.contracts import GanNetwork
from ganzoo.parameters import check_positive

from ..layers import (
    NormKind,
    check_choice,
    check_cond_channels,
    check_probability,
    concat_condition,
    conv_bias,
    discriminator_inputs,
    example_judged_images,
    init_weights,
    is_power_of_two,
    maybe_spectral_norm,
    norm_layer,
    powers_of_two,
)

__all__ = ["DCGANDiscriminator"]

_MAX_MULT = 8


class DCGANDiscriminator(GanNetwork):
    """DCGAN discriminator: strided convolutions from image to one logit.

    Radford, Metz and Chintala, "Unsupervised Representation Learning with Deep Convolutional Generative
    Adversarial Networks", ICLR 2016, arXiv:1511.06434. Keeps the reference choices: ``ndf`` 64, 4×4
    stride-2 convolutions, LeakyReLU 0.2, batch norm on every layer but the first, no pooling,
    N(0, 0.02) weights. Power-of-two sizes ≥ 8 halve down to 4×4 (widths ``ndf * 2**k`` capped at
    ``ndf * 8``) and a final 4×4 convolution gives the logit; at 64×64 with 3 channels this is exactly
    the reference network (2,765,568 parameters, biases only where instance or no norm follows).
    28×28 follows the TensorFlow DCGAN tutorial: two kernel-5 stride-2 convolutions (``ndf``, ``ndf*2``)
    and a dense layer; ``norm="none", dropout=0.3`` reproduces that tutorial exactly. With
    ``cond_channels`` > 0 the network also takes a condition image, concatenated before the judged one.

    Args:
        image_size: Side of the square input image: 28 or a power of two ≥ 8.
        in_channels: Channels of the judged image.
        cond_channels: Channels of the condition image (0: unconditional).
        ndf: Channels of the first layer.
        norm: Normalisation of every layer but the first: ``"batch"`` (reference), ``"instance"`` or ``"none"``.
        spectral_norm: Apply spectral normalisation to every convolution and linear layer.
        dropout: Dropout rate after each hidden activation (0 disables it; the tutorial uses 0.3).
        init: Initialise weights from N(0, 0.02) and batch-norm scales from N(1, 0.02).
    """

    def __init__(
        self,
        *,
        image_size: int = 64,
        in_channels: int = 3,
        cond_channels: int = 0,
        ndf: int = 64,
        norm: NormKind = "batch",
        spectral_norm: bool = False,
        dropout: float = 0.0,
        init: bool = True,
    ) -> None:
        owner = type(self).__name__
        check_positive(owner, in_channels=in_channels, ndf=ndf)
        check_cond_channels(owner, cond_channels)
        if image_size != 28 and not (is_power_of_two(image_size) and image_size >= 8):
            raise ValueError(
                f"{owner}: image_size={image_size!r} is not supported; "
                f"use 28 or a power of two ≥ 8 ({powers_of_two(8)}, ...)"
            )
        check_choice(owner, "norm", norm, ("batch", "instance", "none"))
        check_probability(owner, "dropout", dropout)
        super().__init__()
        self.image_size = image_size
        self.in_channels = in_channels
        self.cond_channels = cond_channels
        self.inputs = discriminator_inputs(cond_channels)

        use_bias = conv_bias(norm)

        def sn(layer: nn.Module) -> nn.Module:
            return maybe_spectral_norm(layer, spectral_norm)

        def act() -> list[nn.Module]:
            return [nn.LeakyReLU(0.2, inplace=True)] + ([nn.Dropout(dropout)] if dropout > 0 else [])

        channels = in_channels + cond_channels
        layers: list[nn.Module]
        if image_size == 28:
            layers = [sn(nn.Conv2d(channels, ndf, 5, 2, 2)), *act()]  # 28 -> 14
            layers += [sn(nn.Conv2d(ndf, ndf * 2, 5, 2, 2, bias=use_bias)), norm_layer(norm, ndf * 2), *act()]  # -> 7
            layers += [nn.Flatten(), sn(nn.Linear(ndf * 2 * 7 * 7, 1))]
        else:
            num_downs = image_size.bit_length() - 3  # stride-2 layers down to 4×4
            mults = [min(2**k, _MAX_MULT) for k in range(num_downs)]
            # Bias-free first and last layers, as in the reference network.
            layers = [sn(nn.Conv2d(channels, ndf, 4, 2, 1, bias=False)), *act()]
            for mult_in, mult_out in pairwise(mults):
                layers += [
                    sn(nn.Conv2d(ndf * mult_in, ndf * mult_out, 4, 2, 1, bias=use_bias)),
                    norm_layer(norm, ndf * mult_out),
                    *act(),
                ]
            layers += [sn(nn.Conv2d(ndf * mults[-1], 1, 4, 1, 0, bias=False)), nn.Flatten()]  # 4×4 -> one logit
        self.net = nn.Sequential(*layers)
        if init:
            init_weights(self)

    def forward(self, image: torch.Tensor, condition: torch.Tensor | None = None) -> torch.Tensor:
        """Score images.

        Args:
            image: Images of shape ``(N, in_channels, image_size, image_size)``.
            condition: Condition images ``(N, cond_channels, image_size, image_size)``; only when
                ``cond_channels`` > 0.

        Returns:
            Logits of shape ``(N, 1)``.
        """
        return self.net(concat_condition(type(self).__name__, image, condition, self.cond_channels))

    def example_inputs(self, batch_size: int = 2) -> tuple[torch.Tensor, ...]:
        """Return random images in ``[-1, 1]`` (and condition images when ``cond_channels`` > 0)."""
        return example_judged_images(self, batch_size)
