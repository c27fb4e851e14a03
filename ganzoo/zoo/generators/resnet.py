"""ResNet generator of CycleGAN (downsample, residual blocks, upsample)."""

from typing import Literal

import torch
from torch import nn

from ganzoo.contracts import GanNetwork
from ganzoo.parameters import check_positive

from ..layers import NormKind, check_choice, conv_bias, example_images, init_weights, norm_layer

__all__ = ["ResnetBlock", "ResnetGenerator"]

PaddingKind = Literal["reflect", "replicate", "zero"]


def _padding(kind: PaddingKind, size: int) -> tuple[list[nn.Module], int]:
    """Explicit padding layers for ``kind``, and the padding left for the convolution itself."""
    if kind == "reflect":
        return [nn.ReflectionPad2d(size)], 0
    if kind == "replicate":
        return [nn.ReplicationPad2d(size)], 0
    return [], size


class ResnetBlock(nn.Module):
    """Residual block of two 3×3 convolutions, ``x + conv_block(x)``, as in the reference ``ResnetBlock``.

    Args:
        dim: Channels in and out.
        padding_type: ``"reflect"``, ``"replicate"`` or ``"zero"``.
        norm: Normalisation kind.
        use_dropout: Dropout 0.5 between the two convolutions.
        use_bias: Whether the convolutions carry a bias.
    """

    def __init__(self, dim: int, padding_type: PaddingKind, norm: NormKind, use_dropout: bool, use_bias: bool) -> None:
        super().__init__()
        pad, conv_pad = _padding(padding_type, 1)
        layers: list[nn.Module] = [
            *pad,
            nn.Conv2d(dim, dim, kernel_size=3, padding=conv_pad, bias=use_bias),
            norm_layer(norm, dim),
            nn.ReLU(inplace=True),
        ]
        if use_dropout:
            layers.append(nn.Dropout(0.5))
        layers += [*pad, nn.Conv2d(dim, dim, kernel_size=3, padding=conv_pad, bias=use_bias), norm_layer(norm, dim)]
        self.conv_block = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Add the residual to the input."""
        return x + self.conv_block(x)


class ResnetGenerator(GanNetwork):
    """CycleGAN ResNet generator: two downsamplings, residual blocks, two upsamplings.

    Zhu, Park, Isola and Efros, "Unpaired Image-to-Image Translation using Cycle-Consistent Adversarial
    Networks", ICCV 2017, arXiv:1703.10593 (architecture after Johnson et al., 2016); a faithful
    transcription of the reference ``ResnetGenerator``. Keeps its defaults: ``ngf`` 64, 9 residual blocks
    (``resnet_9blocks``; 6 is the other common choice), instance norm without affine parameters,
    reflection padding, no dropout, convolution biases wherever no batch norm follows. With 3 input and
    3 output channels this has 11,378,179 parameters (the reference's 11.378 M). It is fully
    convolutional: any side divisible by 4 and ≥ 8 works.

    Args:
        in_channels: Channels of the input image.
        out_channels: Channels of the output image.
        image_size: Side of the square images (used for :meth:`example_inputs` and checked to be a
            multiple of 4, at least 8).
        ngf: Channels of the first layer; the residual blocks run at ``ngf * 4``.
        n_blocks: Number of residual blocks.
        norm: Normalisation, ``"instance"`` (reference), ``"batch"`` or ``"none"``.
        use_dropout: Dropout 0.5 inside the residual blocks.
        padding_type: Padding of the 3×3 convolutions: ``"reflect"`` (reference), ``"replicate"`` or ``"zero"``.
        init: Initialise weights from N(0, 0.02) and batch-norm scales from N(1, 0.02).
    """

    inputs = ("source",)

    def __init__(
        self,
        *,
        in_channels: int = 3,
        out_channels: int = 3,
        image_size: int = 256,
        ngf: int = 64,
        n_blocks: int = 9,
        norm: NormKind = "instance",
        use_dropout: bool = False,
        padding_type: PaddingKind = "reflect",
        init: bool = True,
    ) -> None:
        owner = type(self).__name__
        check_positive(owner, in_channels=in_channels, out_channels=out_channels, ngf=ngf)
        if image_size < 8 or image_size % 4 != 0:
            raise ValueError(
                f"{owner}: image_size={image_size} is not a multiple of 4 that is at least 8 "
                f"(the generator downsamples twice); use e.g. {max(8, image_size + (-image_size) % 4)}, 64, 128 or 256"
            )
        if n_blocks < 0:
            raise ValueError(f"{owner}: n_blocks={n_blocks} must be ≥ 0; the reference uses 9 (or 6)")
        check_choice(owner, "norm", norm, ("batch", "instance", "none"))
        check_choice(owner, "padding_type", padding_type, ("reflect", "replicate", "zero"))
        super().__init__()
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.image_size = image_size
        use_bias = conv_bias(norm)

        layers: list[nn.Module] = [
            nn.ReflectionPad2d(3),
            nn.Conv2d(in_channels, ngf, kernel_size=7, padding=0, bias=use_bias),
            norm_layer(norm, ngf),
            nn.ReLU(inplace=True),
        ]
        n_downsampling = 2
        for i in range(n_downsampling):
            mult = 2**i
            layers += [
                nn.Conv2d(ngf * mult, ngf * mult * 2, kernel_size=3, stride=2, padding=1, bias=use_bias),
                norm_layer(norm, ngf * mult * 2),
                nn.ReLU(inplace=True),
            ]
        mult = 2**n_downsampling
        layers += [ResnetBlock(ngf * mult, padding_type, norm, use_dropout, use_bias) for _ in range(n_blocks)]
        for i in range(n_downsampling):
            mult = 2 ** (n_downsampling - i)
            layers += [
                nn.ConvTranspose2d(
                    ngf * mult, ngf * mult // 2, kernel_size=3, stride=2, padding=1, output_padding=1, bias=use_bias
                ),
                norm_layer(norm, ngf * mult // 2),
                nn.ReLU(inplace=True),
            ]
        layers += [nn.ReflectionPad2d(3), nn.Conv2d(ngf, out_channels, kernel_size=7, padding=0), nn.Tanh()]
        self.model = nn.Sequential(*layers)
        if init:
            init_weights(self)

    def forward(self, source: torch.Tensor) -> torch.Tensor:
        """Translate an image.

        Args:
            source: Input images of shape ``(N, in_channels, H, W)``, ``H`` and ``W`` multiples of 4.

        Returns:
            Images of shape ``(N, out_channels, H, W)`` in ``[-1, 1]``.
        """
        return self.model(source)

    def example_inputs(self, batch_size: int = 2) -> tuple[torch.Tensor, ...]:
        """Return random source images in ``[-1, 1]`` of shape ``(batch_size, in_channels, image_size, image_size)``."""
        return (example_images(batch_size, self.in_channels, self.image_size, self.device),)
