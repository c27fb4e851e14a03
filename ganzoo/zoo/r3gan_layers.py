"""Building blocks of R3GAN's normalisation-free ResNet, shared by its generator and discriminator.

Huang, N., Gokaslan, A., Kuleshov, V. and Tompkin, J. "The GAN is dead; long live the GAN! A Modern
GAN Baseline". NeurIPS 2024. arXiv:2501.05441. The layers follow the paper's reference code
(brownvc/R3GAN, ``R3GAN/Networks.py``): bias-free convolutions with MSR initialisation, biases in the
activations, inverted-bottleneck residual blocks with fix-up style initialisation, and
interpolative resampling with a low-pass filter.
"""

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["BiasedLeakyReLU", "Resample", "ResidualBlock", "check_groups", "conv", "msr_init", "per_stage", "stages_for"]

LEAKY_SLOPE = 0.2
#: The gain that keeps a leaky ReLU's output variance equal to its input's (He et al.).
LEAKY_GAIN = math.sqrt(2 / (1 + LEAKY_SLOPE**2))


def msr_init(layer: nn.Module, gain: float = 1.0) -> nn.Module:
    """Initialise a layer's weight from N(0, gain² / fan_in) and zero its bias (MSR / He initialisation)."""
    fan_in = layer.weight.shape[1] * layer.weight[0][0].numel()
    with torch.no_grad():
        layer.weight.normal_(0.0, gain / math.sqrt(fan_in))
        if getattr(layer, "bias", None) is not None:
            layer.bias.zero_()
    return layer


def conv(c_in: int, c_out: int, kernel: int, groups: int = 1, gain: float = 1.0) -> nn.Conv2d:
    """A bias-free, 'same'-padded convolution with MSR initialisation."""
    return msr_init(nn.Conv2d(c_in, c_out, kernel, 1, (kernel - 1) // 2, groups=groups, bias=False), gain)


class BiasedLeakyReLU(nn.Module):
    """A learnt per-channel bias followed by a leaky ReLU of slope 0.2 (the convolutions have no bias)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shape = (1, -1) + (1,) * (x.dim() - 2)
        return F.leaky_relu(x + self.bias.view(shape), LEAKY_SLOPE)


class ResidualBlock(nn.Module):
    """Inverted bottleneck: 1×1 conv up by ``expansion``, grouped K×K conv, 1×1 conv back, added to the input.

    Leaky ReLUs with biases follow the first two convolutions; there is no normalisation. The
    initialisation is fix-up style: the first two convolutions' gains are scaled by
    ``total_blocks ** (-1 / (2m - 2))`` with ``m = 3`` layers, and the last is zero, so that every
    block starts as the identity.

    Args:
        channels: Channels in and out.
        cardinality: Groups of the K×K convolution.
        expansion: Ratio of the hidden channels to ``channels``.
        kernel_size: K.
        total_blocks: Residual blocks in the whole network (the variance-scaling parameter L).
    """

    def __init__(self, channels: int, cardinality: int, expansion: int, kernel_size: int, total_blocks: int) -> None:
        super().__init__()
        hidden = channels * expansion
        gain = LEAKY_GAIN * total_blocks ** (-1 / (2 * 3 - 2))
        self.expand = conv(channels, hidden, 1, gain=gain)
        self.spatial = conv(hidden, hidden, kernel_size, groups=cardinality, gain=gain)
        self.project = conv(hidden, channels, 1, gain=0.0)
        self.act1, self.act2 = BiasedLeakyReLU(hidden), BiasedLeakyReLU(hidden)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.project(self.act2(self.spatial(self.act1(self.expand(x)))))


class Resample(nn.Module):
    """2× interpolative up- or down-sampling of each channel with the low-pass filter [1, 3, 3, 1]².

    R3GAN's ``InterpolativeUpsampler``/``InterpolativeDownsampler`` with its default filter
    ``[1, 2, 1]`` (convolved with ``[1, 1]``): a bilinear-like resampling, the same for every channel.
    """

    def __init__(self, up: bool) -> None:
        super().__init__()
        taps = torch.tensor([1.0, 3.0, 3.0, 1.0])
        kernel = torch.outer(taps, taps)
        self.register_buffer("kernel", (kernel / kernel.sum()).view(1, 1, 4, 4), persistent=False)
        self.up = up

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        flat = x.reshape(n * c, 1, h, w)
        kernel = self.kernel.to(x.dtype)
        if self.up:
            # Zero-stuffing spreads each value over 4 outputs: the factor 4 keeps the mean.
            out = F.conv_transpose2d(flat, 4 * kernel, stride=2, padding=1)
        else:
            out = F.conv2d(flat, kernel, stride=2, padding=1)
        return out.view(n, c, out.shape[-2], out.shape[-1])


def per_stage(owner: str, name: str, value: int | Sequence[int], stages: int, image_size: int) -> list[int]:
    """One positive integer per stage: a single number for all stages, or a list of exactly ``stages``.

    Raises:
        ValueError: If a list has the wrong length or a value is not a positive integer.
    """
    values = [value] * stages if isinstance(value, int) and not isinstance(value, bool) else list(value)
    if len(values) != stages:
        raise ValueError(
            f"{owner}: {name} has {len(values)} stage(s) but image_size={image_size} needs {stages} "
            f"(4×4 up to {image_size}×{image_size}); give {stages} values or one number for all"
        )
    for v in values:
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ValueError(f"{owner}: {name} must be positive integers, got {values!r}")
    return values


def stages_for(owner: str, image_size: int) -> int:
    """The number of stages, 4×4 and one per doubling up to ``image_size`` (a power of two ≥ 8)."""
    if isinstance(image_size, bool) or not isinstance(image_size, int) or image_size < 8 or image_size & (image_size - 1):
        raise ValueError(f"{owner}: image_size={image_size!r} is not supported; use a power of two ≥ 8 (8, 16, 32, 64, ...)")
    return image_size.bit_length() - 2


def check_groups(owner: str, widths: list[int], cardinality: list[int], expansion: int) -> None:
    """Raise :class:`ValueError` unless each stage's hidden channels divide into its groups."""
    for width, groups in zip(widths, cardinality, strict=True):
        if (width * expansion) % groups:
            raise ValueError(
                f"{owner}: a stage of width {width} × expansion {expansion} = {width * expansion} channels "
                f"cannot be split into cardinality={groups} groups; choose a divisor of {width * expansion}"
            )


def stage_plan(
    owner: str, image_size: int, widths: int | Sequence[int], blocks: int | Sequence[int], cardinality: int | Sequence[int],
    expansion: int, kernel_size: int,
) -> tuple[int, list[int], list[int], list[int]]:
    """Check a generator's or discriminator's stage settings; returns the stage count and, per stage,
    the widths, block counts and cardinalities."""
    if kernel_size % 2 == 0:
        raise ValueError(f"{owner}: kernel_size={kernel_size} must be odd (3, 5, ...) to keep the size")
    stages = stages_for(owner, image_size)
    widths = per_stage(owner, "widths", widths, stages, image_size)
    blocks = per_stage(owner, "blocks", blocks, stages, image_size)
    cardinality = per_stage(owner, "cardinality", cardinality, stages, image_size)
    check_groups(owner, widths, cardinality, expansion)
    return stages, widths, blocks, cardinality
