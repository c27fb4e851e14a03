"""U-Net generator of pix2pix (encoder-decoder with skip connections)."""

import torch
from torch import nn

from ganzoo.contracts import GanNetwork
from ganzoo.parameters import check_positive

from ..layers import (
    NormKind,
    check_choice,
    conv_bias,
    example_images,
    init_weights,
    is_power_of_two,
    norm_layer,
)

__all__ = ["UNetGenerator", "UNetSkipBlock"]

_MIN_DOWNS = 5  # innermost block, three widening blocks and the outermost block


class UNetSkipBlock(nn.Module):
    """One level of the U-Net: downsample, run the inner levels, upsample, concatenate the skip.

    A transcription of the reference ``UnetSkipConnectionBlock``: the outermost level has no norm on its
    way down and ends in a biased transposed convolution and tanh; the innermost level has no norm on its
    way down and no submodule; the others apply norm both ways and, with ``use_dropout``, dropout 0.5
    after upsampling. Every level except the outermost returns ``cat([x, up(inner(down(x)))])``.

    Args:
        outer_nc: Channels this level returns to (before the skip concatenation).
        inner_nc: Channels after this level's downsampling.
        input_nc: Channels of this level's input; ``outer_nc`` if 0.
        submodule: The next inner level (``None`` for the innermost).
        outermost: Whether this is the first/last level.
        innermost: Whether this is the bottleneck level.
        norm: Normalisation kind.
        use_dropout: Dropout 0.5 after this level's upsampling (intermediate levels only).
    """

    def __init__(
        self,
        outer_nc: int,
        inner_nc: int,
        input_nc: int = 0,
        submodule: nn.Module | None = None,
        outermost: bool = False,
        innermost: bool = False,
        norm: NormKind = "batch",
        use_dropout: bool = False,
    ) -> None:
        super().__init__()
        self.outermost = outermost
        use_bias = conv_bias(norm)
        input_nc = input_nc or outer_nc
        downconv = nn.Conv2d(input_nc, inner_nc, kernel_size=4, stride=2, padding=1, bias=use_bias)
        downrelu = nn.LeakyReLU(0.2, inplace=True)
        uprelu = nn.ReLU(inplace=True)

        if outermost:
            assert submodule is not None
            upconv = nn.ConvTranspose2d(inner_nc * 2, outer_nc, kernel_size=4, stride=2, padding=1)
            model = [downconv, submodule, uprelu, upconv, nn.Tanh()]
        elif innermost:
            # Nothing to normalise on the way down: the map is 1×1 at full depth.
            upconv = nn.ConvTranspose2d(inner_nc, outer_nc, kernel_size=4, stride=2, padding=1, bias=use_bias)
            model = [downrelu, downconv, uprelu, upconv, norm_layer(norm, outer_nc)]
        else:
            assert submodule is not None
            upconv = nn.ConvTranspose2d(inner_nc * 2, outer_nc, kernel_size=4, stride=2, padding=1, bias=use_bias)
            down = [downrelu, downconv, norm_layer(norm, inner_nc)]
            up = [uprelu, upconv, norm_layer(norm, outer_nc)]
            model = [*down, submodule, *up]
            if use_dropout:
                model.append(nn.Dropout(0.5))
        self.model = nn.Sequential(*model)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Run this level and, below the outermost, concatenate the input as the skip connection."""
        if self.outermost:
            return self.model(x)
        return torch.cat([x, self.model(x)], 1)


class UNetGenerator(GanNetwork):
    """pix2pix U-Net generator: image-to-image encoder-decoder with skip connections.

    Isola, Zhu, Zhou and Efros, "Image-to-Image Translation with Conditional Adversarial Networks",
    CVPR 2017, arXiv:1611.07004; a faithful transcription of the reference ``UnetGenerator``. Keeps its
    defaults: ``ngf`` 64, batch norm, dropout 0.5 in the ``num_downs - 5`` innermost ``ngf*8`` decoder
    levels, convolution biases only where no batch norm follows. By default the depth is
    ``log2(image_size)`` so the bottleneck is 1×1: 256 gives ``unet_256`` (8 levels, 54,413,955
    parameters with 3 input and 3 output channels, the reference's 54.414 M) and 128 gives ``unet_128``
    (7 levels).

    Args:
        in_channels: Channels of the input image.
        out_channels: Channels of the output image.
        image_size: Side of the square images; must be divisible by ``2**num_downs``.
        num_downs: Number of downsamplings (≥ 5); 0 derives ``log2(image_size)`` from ``image_size``,
            which must then be a power of two ≥ 32.
        ngf: Channels after the first downsampling (widths are capped at ``ngf * 8``).
        norm: Normalisation, ``"batch"`` (reference), ``"instance"`` or ``"none"``.
        use_dropout: Dropout 0.5 in the inner decoder levels (pix2pix's default; it is also its only noise).
        init: Initialise weights from N(0, 0.02) and batch-norm scales from N(1, 0.02).
    """

    inputs = ("source",)

    def __init__(
        self,
        *,
        in_channels: int = 3,
        out_channels: int = 3,
        image_size: int = 256,
        num_downs: int = 0,
        ngf: int = 64,
        norm: NormKind = "batch",
        use_dropout: bool = True,
        init: bool = True,
    ) -> None:
        owner = type(self).__name__
        check_positive(owner, in_channels=in_channels, out_channels=out_channels, image_size=image_size, ngf=ngf)
        check_choice(owner, "norm", norm, ("batch", "instance", "none"))
        if num_downs == 0:
            if not (is_power_of_two(image_size) and image_size >= 2**_MIN_DOWNS):
                fitting = [n for n in range(_MIN_DOWNS, image_size.bit_length()) if image_size % 2**n == 0]
                hint = (
                    f", or set num_downs to one of {fitting} (image_size is divisible by 2**num_downs)"
                    if fitting
                    else f" (every U-Net level halves the side, and there are at least {_MIN_DOWNS})"
                )
                raise ValueError(
                    f"{owner}: image_size={image_size} is not a power of two ≥ 2**{_MIN_DOWNS}; "
                    f"use 32, 64, 128 or 256{hint}"
                )
            num_downs = image_size.bit_length() - 1
        elif num_downs < _MIN_DOWNS:
            raise ValueError(
                f"{owner}: num_downs={num_downs} is too small; use num_downs ≥ {_MIN_DOWNS}, "
                f"or 0 to derive it from image_size"
            )
        elif image_size % 2**num_downs != 0:
            valid = [n for n in range(_MIN_DOWNS, image_size.bit_length()) if image_size % 2**n == 0]
            hint = f"use num_downs in {valid} or 0" if valid else f"use a multiple of {2**num_downs} as image_size"
            raise ValueError(
                f"{owner}: image_size={image_size} is not divisible by 2**num_downs={2**num_downs}; {hint}"
            )
        super().__init__()
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.image_size = image_size
        self.num_downs = num_downs

        block = UNetSkipBlock(ngf * 8, ngf * 8, innermost=True, norm=norm)
        for _ in range(num_downs - 5):
            block = UNetSkipBlock(ngf * 8, ngf * 8, submodule=block, norm=norm, use_dropout=use_dropout)
        # Widen from ngf to ngf * 8 over three levels.
        block = UNetSkipBlock(ngf * 4, ngf * 8, submodule=block, norm=norm)
        block = UNetSkipBlock(ngf * 2, ngf * 4, submodule=block, norm=norm)
        block = UNetSkipBlock(ngf, ngf * 2, submodule=block, norm=norm)
        self.model = UNetSkipBlock(out_channels, ngf, input_nc=in_channels, submodule=block, outermost=True, norm=norm)
        if init:
            init_weights(self)

    def forward(self, source: torch.Tensor) -> torch.Tensor:
        """Translate an image.

        Args:
            source: Input images of shape ``(N, in_channels, H, W)`` with ``H`` and ``W`` divisible by
                ``2**num_downs``.

        Returns:
            Images of shape ``(N, out_channels, H, W)`` in ``[-1, 1]``.
        """
        return self.model(source)

    def example_inputs(self, batch_size: int = 2) -> tuple[torch.Tensor, ...]:
        """Return random source images in ``[-1, 1]`` of shape ``(batch_size, in_channels, image_size, image_size)``."""
        return (example_images(batch_size, self.in_channels, self.image_size, self.device),)
