"""ResNet discriminator of SNGAN: spectrally normalised residual blocks and global sum pooling."""

import math

import torch
import torch.nn.functional as F
from torch import nn

from ganzoo.contracts import GanNetwork
from ganzoo.parameters import check_positive

from ..generators.sngan import ATTENTION_SIZE, check_attention_size, sngan_stages
from ..layers import (
    SelfAttention,
    check_cond_channels,
    concat_condition,
    discriminator_inputs,
    example_judged_images,
)
from ..layers import (
    maybe_spectral_norm as sn,
)

__all__ = ["SNGANDiscriminator"]


def _xavier(conv: nn.Conv2d | nn.Linear, gain: float) -> nn.Module:
    nn.init.xavier_uniform_(conv.weight, gain)
    nn.init.zeros_(conv.bias)
    return sn(conv, True)


class _DownBlock(nn.Module):
    """Residual block: [ReLU], 3×3 conv, ReLU, 3×3 conv, [2×2 average pooling]; a 1×1 conv on the shortcut.

    The first ("optimised") block has no ReLU before its first conv (it sees the image) and pools the
    shortcut before its 1×1 conv; the others pool after it. The shortcut is the identity when
    neither the channels nor the size change.
    """

    def __init__(self, c_in: int, c_out: int, downsample: bool, first: bool) -> None:
        super().__init__()
        self.downsample, self.first = downsample, first
        self.conv1 = _xavier(nn.Conv2d(c_in, c_in if not first else c_out, 3, 1, 1), math.sqrt(2.0))
        self.conv2 = _xavier(nn.Conv2d(c_in if not first else c_out, c_out, 3, 1, 1), math.sqrt(2.0))
        learnt = first or downsample or c_in != c_out
        self.shortcut = _xavier(nn.Conv2d(c_in, c_out, 1, 1, 0), 1.0) if learnt else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.conv1(x if self.first else F.relu(x))
        h = self.conv2(F.relu(h))
        if self.downsample:
            h = F.avg_pool2d(h, 2)
        if self.shortcut is None:
            return h + x
        if self.first:
            return h + self.shortcut(F.avg_pool2d(x, 2))
        s = self.shortcut(x)
        return h + (F.avg_pool2d(s, 2) if self.downsample else s)


class SNGANDiscriminator(GanNetwork):
    """SNGAN's ResNet discriminator: residual blocks with spectral norm everywhere, ReLU, global sum pooling, linear.

    Miyato, T., Kataoka, T., Koyama, M. and Yoshida, Y. "Spectral Normalization for Generative
    Adversarial Networks". ICLR 2018. arXiv:1802.05957 (the CIFAR-10 ResNet of its appendix).
    At 32×32 this is the paper's network as the Mimicry library builds it (``SNGANDiscriminator32``:
    ``ndf`` 128, 1,053,825 parameters with 3 channels): an optimised first block and a second block
    that both halve the size by average pooling (32 → 8), two blocks without down-sampling, ReLU,
    a sum over positions and a linear layer to one logit, every conv and the linear layer spectrally
    normalised. Other multiples of 8 ≥ 16 halve the size once per generator block but one
    (:func:`~ganzoo.zoo.generators.sngan.sngan_stages`), then add the same two blocks.
    ``attention=true`` adds SAGAN's self-attention block, spectrally normalised, after the block that
    outputs 16×16. With ``cond_channels`` > 0 the network also takes a condition image,
    concatenated before the judged one.

    Args:
        image_size: Side of the square input image: a multiple of 8 ≥ 16.
        in_channels: Channels of the judged image.
        cond_channels: Channels of the condition image (0: unconditional).
        ndf: Channels of every block (128 in the paper).
        attention: Add a self-attention block at 16×16 (needs a power-of-two size ≥ 32).
    """

    def __init__(
        self,
        *,
        image_size: int = 32,
        in_channels: int = 3,
        cond_channels: int = 0,
        ndf: int = 128,
        attention: bool = False,
    ) -> None:
        owner = type(self).__name__
        check_positive(owner, in_channels=in_channels, ndf=ndf)
        check_cond_channels(owner, cond_channels)
        _, blocks = sngan_stages(owner, image_size)
        downs = blocks - 1
        resolutions = [image_size // 2 ** (k + 1) for k in range(downs)]  # the output side of each down block
        if attention:
            check_attention_size(owner, image_size, resolutions)
            if ndf % 8:
                raise ValueError(f"{owner}: attention=true needs ndf a multiple of 8, got ndf={ndf}")
        super().__init__()
        self.image_size, self.in_channels, self.cond_channels = image_size, in_channels, cond_channels
        self.inputs = discriminator_inputs(cond_channels)
        layers: list[nn.Module] = []
        for k, side in enumerate(resolutions):
            layers.append(_DownBlock(in_channels + cond_channels if k == 0 else ndf, ndf, True, first=k == 0))
            if attention and side == ATTENTION_SIZE:
                layers.append(SelfAttention(ndf, spectral_norm=True))
        layers += [_DownBlock(ndf, ndf, False, first=False) for _ in range(2)]
        self.blocks = nn.Sequential(*layers)
        self.linear = _xavier(nn.Linear(ndf, 1), 1.0)

    def forward(self, image: torch.Tensor, condition: torch.Tensor | None = None) -> torch.Tensor:
        """Score images.

        Args:
            image: Images of shape ``(N, in_channels, image_size, image_size)``.
            condition: Condition images ``(N, cond_channels, image_size, image_size)``; only when
                ``cond_channels`` > 0.

        Returns:
            Logits of shape ``(N, 1)``.
        """
        x = concat_condition(type(self).__name__, image, condition, self.cond_channels)
        return self.linear(F.relu(self.blocks(x)).sum(dim=(2, 3)))

    def example_inputs(self, batch_size: int = 2) -> tuple[torch.Tensor, ...]:
        """Return random images in ``[-1, 1]`` (and condition images when ``cond_channels`` > 0)."""
        return example_judged_images(self, batch_size)
