"""R3GAN's discriminator: a normalisation-free modern ResNet from the image down to a 4×4 basis."""


import torch
from torch import nn

from ganzoo.contracts import GanNetwork
from ganzoo.parameters import check_positive

from ..layers import check_cond_channels, concat_condition, discriminator_inputs, example_judged_images
from ..r3gan_layers import Resample, ResidualBlock, conv, msr_init, stage_plan

__all__ = ["R3GANDiscriminator"]


class _Basis(nn.Module):
    """The discriminative basis: a depthwise 4×4 conv to one value per channel, then a bias-free linear map."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.basis = msr_init(nn.Conv2d(channels, channels, 4, 1, 0, groups=channels, bias=False))
        self.linear = msr_init(nn.Linear(channels, 1, bias=False))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(self.basis(x).flatten(1))


class R3GANDiscriminator(GanNetwork):
    """R3GAN's discriminator: stages of inverted-bottleneck residual blocks with bilinear down-sampling, a 4×4 basis.

    Huang, N., Gokaslan, A., Kuleshov, V. and Tompkin, J. "The GAN is dead; long live the GAN! A
    Modern GAN Baseline". NeurIPS 2024. arXiv:2501.05441. The mirror of
    :class:`~ganzoo.zoo.generators.r3gan.R3GANGenerator`, as in the reference code (brownvc/R3GAN,
    ``R3GAN/Networks.py``): a 1×1 conv from the image; each stage has ``blocks`` residual blocks
    (no normalisation, leaky ReLU 0.2, fix-up style initialisation) and then halves the size with a
    [1, 3, 3, 1] low-pass filter and changes the width with a 1×1 conv; the last stage, at 4×4, ends
    with a depthwise 4×4 conv and a bias-free linear map to the logit. No spectral normalisation: R3GAN
    regularises D with R1 and R2. The defaults are the paper's CIFAR-10 configuration (20,683,776
    parameters at 32×32 with 3 channels, as the reference code counts). With ``cond_channels`` > 0
    the network also takes a condition image, concatenated before the judged one.

    Args:
        image_size: Side of the square input image: a power of two ≥ 8.
        in_channels: Channels of the judged image.
        cond_channels: Channels of the condition image (0: unconditional).
        widths: Channels of each stage, from the image's size down to 4×4, or one number for all (768).
        blocks: Residual blocks of each stage, or one number for all (2).
        cardinality: Groups of each stage's K×K conv, or one number for all (96).
        expansion: Ratio of a block's hidden channels to its stage's width (2).
        kernel_size: K, the side of the grouped convolution (3).
    """

    def __init__(
        self,
        *,
        image_size: int = 32,
        in_channels: int = 3,
        cond_channels: int = 0,
        widths: int | list[int] = 768,
        blocks: int | list[int] = 2,
        cardinality: int | list[int] = 96,
        expansion: int = 2,
        kernel_size: int = 3,
    ) -> None:
        owner = type(self).__name__
        check_positive(owner, in_channels=in_channels, expansion=expansion, kernel_size=kernel_size)
        check_cond_channels(owner, cond_channels)
        stages, widths, blocks, cardinality = stage_plan(owner, image_size, widths, blocks, cardinality, expansion, kernel_size)
        super().__init__()
        self.image_size, self.in_channels, self.cond_channels = image_size, in_channels, cond_channels
        self.inputs = discriminator_inputs(cond_channels)
        total = sum(blocks)
        layers: list[nn.Module] = [conv(in_channels + cond_channels, widths[0], 1)]
        for k in range(stages):
            layers += [ResidualBlock(widths[k], cardinality[k], expansion, kernel_size, total) for _ in range(blocks[k])]
            if k < stages - 1:
                layers.append(Resample(up=False))
                if widths[k + 1] != widths[k]:
                    layers.append(conv(widths[k], widths[k + 1], 1))  # at the lower resolution: cheaper
        layers.append(_Basis(widths[-1]))
        self.body = nn.Sequential(*layers)

    def forward(self, image: torch.Tensor, condition: torch.Tensor | None = None) -> torch.Tensor:
        """Score images.

        Args:
            image: Images of shape ``(N, in_channels, image_size, image_size)``.
            condition: Condition images ``(N, cond_channels, image_size, image_size)``; only when
                ``cond_channels`` > 0.

        Returns:
            Logits of shape ``(N, 1)``.
        """
        return self.body(concat_condition(type(self).__name__, image, condition, self.cond_channels))

    def example_inputs(self, batch_size: int = 2) -> tuple[torch.Tensor, ...]:
        """Return random images in ``[-1, 1]`` (and condition images when ``cond_channels`` > 0)."""
        return example_judged_images(self, batch_size)
