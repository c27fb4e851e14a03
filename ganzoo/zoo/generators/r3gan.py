"""R3GAN's generator: a normalisation-free modern ResNet from a learnt 4×4 basis up to the image."""


import torch
from torch import nn

from ganzoo.contracts import GanNetwork
from ganzoo.parameters import check_positive

from ..r3gan_layers import Resample, ResidualBlock, conv, msr_init, stage_plan

__all__ = ["R3GANGenerator"]


class _Basis(nn.Module):
    """The generative basis: a learnt ``(C, 4, 4)`` tensor modulated per channel by a linear map of ``z``."""

    def __init__(self, latent_dim: int, channels: int) -> None:
        super().__init__()
        self.basis = nn.Parameter(torch.randn(channels, 4, 4))
        self.linear = msr_init(nn.Linear(latent_dim, channels, bias=False))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.basis.unsqueeze(0) * self.linear(z).view(z.shape[0], -1, 1, 1)


class R3GANGenerator(GanNetwork):
    """R3GAN's generator: a 4×4 basis, stages of inverted-bottleneck residual blocks with bilinear up-sampling.

    Huang, N., Gokaslan, A., Kuleshov, V. and Tompkin, J. "The GAN is dead; long live the GAN! A
    Modern GAN Baseline". NeurIPS 2024. arXiv:2501.05441. The layers are those of the reference code
    (brownvc/R3GAN, ``R3GAN/Networks.py``): the first stage starts from a learnt 4×4 basis that a
    bias-free linear map of ``z`` scales per channel; each later stage changes the width with a 1×1
    conv and doubles the size with a [1, 3, 3, 1] low-pass filter; every stage then has ``blocks``
    residual blocks (1×1 conv up by ``expansion``, grouped K×K conv of ``cardinality`` groups, 1×1
    conv back, leaky ReLU 0.2, no normalisation, fix-up style initialisation); a 1×1 conv gives the
    image. The defaults are the paper's CIFAR-10 configuration (widths 768, 2 blocks, cardinality
    96, expansion 2, ``latent_dim`` 64: 20,732,160 parameters at 32×32 with 3 channels, as the
    reference code counts). The reference output is linear; ganzoo's generators return images in
    ``[-1, 1]``, so a tanh follows unless ``tanh=false``.

    Args:
        latent_dim: Size of the noise vector ``z`` (64 in the paper).
        image_size: Side of the square output image: a power of two ≥ 8 (one stage per size from 4).
        out_channels: Channels of the output image.
        widths: Channels of each stage, from 4×4 up, or one number for all (768 for CIFAR-10).
        blocks: Residual blocks of each stage, or one number for all (2).
        cardinality: Groups of each stage's K×K conv, or one number for all (96).
        expansion: Ratio of a block's hidden channels to its stage's width (2).
        kernel_size: K, the side of the grouped convolution (3).
        tanh: Squash the output into ``[-1, 1]`` (``false``: the reference's linear output).
    """

    inputs = ("z",)

    def __init__(
        self,
        *,
        latent_dim: int = 64,
        image_size: int = 32,
        out_channels: int = 3,
        widths: int | list[int] = 768,
        blocks: int | list[int] = 2,
        cardinality: int | list[int] = 96,
        expansion: int = 2,
        kernel_size: int = 3,
        tanh: bool = True,
    ) -> None:
        owner = type(self).__name__
        check_positive(owner, latent_dim=latent_dim, out_channels=out_channels, expansion=expansion, kernel_size=kernel_size)
        stages, widths, blocks, cardinality = stage_plan(owner, image_size, widths, blocks, cardinality, expansion, kernel_size)
        super().__init__()
        self.latent_dim, self.image_size, self.out_channels, self.tanh = latent_dim, image_size, out_channels, tanh
        total = sum(blocks)
        layers: list[nn.Module] = [_Basis(latent_dim, widths[0])]
        for k in range(stages):
            if k > 0:
                if widths[k] != widths[k - 1]:
                    layers.append(conv(widths[k - 1], widths[k], 1))  # at the lower resolution: cheaper
                layers.append(Resample(up=True))
            layers += [ResidualBlock(widths[k], cardinality[k], expansion, kernel_size, total) for _ in range(blocks[k])]
        self.body = nn.Sequential(*layers)
        self.to_image = conv(widths[-1], out_channels, 1)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """Generate images from noise.

        Args:
            z: Noise of shape ``(N, latent_dim)``.

        Returns:
            Images of shape ``(N, out_channels, image_size, image_size)``, in ``[-1, 1]`` with ``tanh``.
        """
        image = self.to_image(self.body(z.flatten(1)))
        return torch.tanh(image) if self.tanh else image

    def example_inputs(self, batch_size: int = 2) -> tuple[torch.Tensor, ...]:
        """Return standard normal noise of shape ``(batch_size, latent_dim)``."""
        return (torch.randn(batch_size, self.latent_dim, device=self.device),)
