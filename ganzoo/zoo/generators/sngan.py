"""ResNet generator of SNGAN: residual up-sampling blocks with batch norm, for sizes that are multiples of 8."""

import math
from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

from ganzoo.contracts import GanNetwork
from ganzoo.parameters import check_positive

from ..layers import SelfAttention, check_choice

__all__ = ["SNGANGenerator", "sngan_stages"]

ATTENTION_SIZE = 16  # SAGAN's and StudioGAN's resolution for the self-attention block at 32×32


def sngan_stages(owner: str, image_size: int) -> tuple[int, int]:
    """The bottom width and the number of resolution changes of an SNGAN network at ``image_size``.

    The size is ``bottom * 2**blocks`` with the most blocks that leave a bottom of at least 4
    (32: 4×4 and 3 blocks, as in the paper; 48: 6×6 and 3 blocks, as in its STL-10 network).

    Raises:
        ValueError: Unless ``image_size`` is a multiple of 8 and at least 16.
    """
    if isinstance(image_size, bool) or not isinstance(image_size, int) or image_size < 16 or image_size % 8:
        raise ValueError(f"{owner}: image_size={image_size!r} is not supported; use a multiple of 8 ≥ 16 (16, 24, 32, 48, 64, ...)")
    blocks = 0
    while image_size % 2 ** (blocks + 1) == 0 and image_size // 2 ** (blocks + 1) >= 4:
        blocks += 1
    return image_size // 2**blocks, blocks


def check_attention_size(owner: str, image_size: int, resolutions: list[int]) -> None:
    """Raise :class:`ValueError` unless one of the network's stages works at 16×16."""
    if ATTENTION_SIZE not in resolutions:
        raise ValueError(
            f"{owner}: attention=true needs a 16×16 stage, which image_size={image_size} does not have; "
            "use a power of two ≥ 32 or attention=false"
        )


class _UpBlock(nn.Module):
    """Residual block: BN, ReLU, 2× up-sampling, 3×3 conv, BN, ReLU, 3×3 conv; a 1×1 conv on the up-sampled shortcut."""

    def __init__(self, channels: int, upsample: str) -> None:
        super().__init__()
        self.mode = upsample
        self.bn1, self.bn2 = nn.BatchNorm2d(channels), nn.BatchNorm2d(channels)
        self.conv1, self.conv2 = nn.Conv2d(channels, channels, 3, 1, 1), nn.Conv2d(channels, channels, 3, 1, 1)
        self.shortcut = nn.Conv2d(channels, channels, 1, 1, 0)
        # Mimicry's (and the paper's Chainer code's) initialisation: Xavier-uniform, gain √2 inside the residual.
        for conv, gain in ((self.conv1, math.sqrt(2.0)), (self.conv2, math.sqrt(2.0)), (self.shortcut, 1.0)):
            nn.init.xavier_uniform_(conv.weight, gain)
            nn.init.zeros_(conv.bias)

    def _up(self, x: torch.Tensor) -> torch.Tensor:
        if self.mode == "nearest":
            return F.interpolate(x, scale_factor=2, mode="nearest")
        return F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.conv1(self._up(F.relu(self.bn1(x))))
        h = self.conv2(F.relu(self.bn2(h)))
        return h + self.shortcut(self._up(x))


class SNGANGenerator(GanNetwork):
    """SNGAN's ResNet generator: a linear map to 4×4, residual up-sampling blocks, BN, ReLU, 3×3 conv, tanh.

    Miyato, T., Kataoka, T., Koyama, M. and Yoshida, Y. "Spectral Normalization for Generative
    Adversarial Networks". ICLR 2018. arXiv:1802.05957 (the CIFAR-10 ResNet of its appendix).
    At 32×32 this is the paper's network as the Mimicry library builds it (``SNGANGenerator32``:
    ``latent_dim`` 128, ``ngf`` 256, 4,276,739 parameters with 3 channels): a linear layer to
    ``ngf``×4×4, three residual blocks (BN, ReLU, 2× up-sampling, 3×3 conv, BN, ReLU, 3×3 conv, and
    a 1×1 conv on the up-sampled shortcut), BN, ReLU, a 3×3 conv to the image channels and tanh; no
    spectral normalisation in G. Other multiples of 8 ≥ 16 change the bottom size and the number of
    blocks (:func:`sngan_stages`); every block keeps ``ngf`` channels. ``attention=true`` adds
    SAGAN's self-attention block after the block that outputs 16×16.

    Args:
        latent_dim: Size of the noise vector ``z`` (128 in the paper).
        image_size: Side of the square output image: a multiple of 8 ≥ 16.
        out_channels: Channels of the output image.
        ngf: Channels of every block (256 in the paper).
        attention: Add a self-attention block at 16×16 (needs a power-of-two size ≥ 32).
        upsample: ``"nearest"`` (the paper's unpooling) or ``"bilinear"`` (Mimicry's choice).
    """

    inputs = ("z",)

    def __init__(
        self,
        *,
        latent_dim: int = 128,
        image_size: int = 32,
        out_channels: int = 3,
        ngf: int = 256,
        attention: bool = False,
        upsample: Literal["nearest", "bilinear"] = "nearest",
    ) -> None:
        owner = type(self).__name__
        check_positive(owner, latent_dim=latent_dim, out_channels=out_channels, ngf=ngf)
        check_choice(owner, "upsample", upsample, ("nearest", "bilinear"))
        bottom, blocks = sngan_stages(owner, image_size)
        resolutions = [bottom * 2 ** (k + 1) for k in range(blocks)]  # the output side of each block
        if attention:
            check_attention_size(owner, image_size, resolutions)
            if ngf % 8:
                raise ValueError(f"{owner}: attention=true needs ngf a multiple of 8, got ngf={ngf}")
        super().__init__()
        self.latent_dim, self.image_size, self.out_channels = latent_dim, image_size, out_channels
        self.ngf, self.bottom = ngf, bottom
        self.linear = nn.Linear(latent_dim, bottom * bottom * ngf)
        layers: list[nn.Module] = []
        for side in resolutions:
            layers.append(_UpBlock(ngf, upsample))
            if attention and side == ATTENTION_SIZE:
                layers.append(SelfAttention(ngf))
        self.blocks = nn.Sequential(*layers)
        self.bn = nn.BatchNorm2d(ngf)
        self.to_image = nn.Conv2d(ngf, out_channels, 3, 1, 1)
        for layer in (self.linear, self.to_image):
            nn.init.xavier_uniform_(layer.weight, 1.0)
            nn.init.zeros_(layer.bias)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """Generate images from noise.

        Args:
            z: Noise of shape ``(N, latent_dim)``.

        Returns:
            Images of shape ``(N, out_channels, image_size, image_size)`` in ``[-1, 1]``.
        """
        h = self.linear(z.flatten(1)).view(z.shape[0], self.ngf, self.bottom, self.bottom)
        return torch.tanh(self.to_image(F.relu(self.bn(self.blocks(h)))))

    def example_inputs(self, batch_size: int = 2) -> tuple[torch.Tensor, ...]:
        """Return standard normal noise of shape ``(batch_size, latent_dim)``."""
        return (torch.randn(batch_size, self.latent_dim, device=self.device),)
