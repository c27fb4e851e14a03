"""PatchGAN discriminators of pix2pix/CycleGAN, single- and multi-scale."""

import torch
from torch import nn

from ganzoo.contracts import GanNetwork
from ganzoo.parameters import check_positive

from ..layers import (
    NormKind,
    check_choice,
    check_cond_channels,
    concat_condition,
    conv_bias,
    discriminator_inputs,
    example_judged_images,
    init_weights,
    maybe_spectral_norm,
    norm_layer,
)

__all__ = ["MultiScalePatchGANDiscriminator", "PatchGANDiscriminator", "patch_output_size"]


def patch_output_size(size: int, n_layers: int) -> int:
    """Side of a PatchGAN's logit map for an input side of ``size``.

    Each of the ``n_layers`` stride-2 convolutions (kernel 4, padding 1) maps ``s`` to ``s // 2``; the two
    stride-1 convolutions that follow each take one off.

    Args:
        size: Input side.
        n_layers: Number of stride-2 convolutions.

    Returns:
        The output side (≤ 0 when the input is too small).
    """
    for _ in range(n_layers):
        size //= 2
    return size - 2


def _min_patch_size(n_layers: int) -> int:
    """Smallest input side that still gives a 1×1 logit map."""
    return 3 * 2**n_layers


def _receptive_field(n_layers: int) -> int:
    """Receptive field of one output logit (70 for the reference ``n_layers=3``)."""
    field = 1
    for stride in [1, 1] + [2] * n_layers:  # walk back from the output layer
        field = (field - 1) * stride + 4
    return field


class PatchGANDiscriminator(GanNetwork):
    """PatchGAN discriminator: a fully convolutional net that scores every overlapping image patch.

    The ``NLayerDiscriminator`` of pix2pix (Isola et al., "Image-to-Image Translation with Conditional
    Adversarial Networks", CVPR 2017, arXiv:1611.07004) and CycleGAN (Zhu et al., "Unpaired
    Image-to-Image Translation using Cycle-Consistent Adversarial Networks", ICCV 2017,
    arXiv:1703.10593), transcribed from the reference code. Keeps its defaults: ``ndf`` 64,
    ``n_layers`` 3 (a 70×70 receptive field), 4×4 kernels with padding 1, LeakyReLU 0.2, no norm on the
    first layer, widths capped at ``ndf * 8``, convolution biases only where no batch norm follows.
    pix2pix uses batch norm and a 6-channel input (``cond_channels=3``): 2,768,705 parameters (the
    reference's 2.769 M); CycleGAN uses instance norm on 3 channels: 2,764,737 (2.765 M).

    With ``cond_channels`` > 0 the discriminator takes ``(image, condition)`` and, as the pix2pix
    reference does with ``torch.cat((real_A, fake_B), 1)``, puts the condition first.

    Args:
        image_size: Side of the square input image; at least ``3 * 2**n_layers`` (24 for 3 layers) so
            that one logit remains. Other sizes above that work too: the net is fully convolutional.
        in_channels: Channels of the judged image.
        cond_channels: Channels of the condition image (0: unconditional).
        ndf: Channels of the first layer.
        n_layers: Number of stride-2 convolutions (receptive field 16, 34, 70, 142, ... for 1, 2, 3, 4, ...).
        norm: Normalisation: ``"batch"`` (pix2pix), ``"instance"`` (CycleGAN) or ``"none"``.
        spectral_norm: Apply spectral normalisation to every convolution.
        init: Initialise weights from N(0, 0.02) and batch-norm scales from N(1, 0.02).
    """

    def __init__(
        self,
        *,
        image_size: int = 256,
        in_channels: int = 3,
        cond_channels: int = 0,
        ndf: int = 64,
        n_layers: int = 3,
        norm: NormKind = "batch",
        spectral_norm: bool = False,
        init: bool = True,
    ) -> None:
        owner = type(self).__name__
        check_positive(owner, in_channels=in_channels, ndf=ndf, n_layers=n_layers)
        check_cond_channels(owner, cond_channels)
        check_choice(owner, "norm", norm, ("batch", "instance", "none"))
        if patch_output_size(image_size, n_layers) < 1:
            raise ValueError(_too_small_message(owner, image_size, n_layers))
        super().__init__()
        self.image_size = image_size
        self.in_channels = in_channels
        self.cond_channels = cond_channels
        self.n_layers = n_layers
        self.inputs = discriminator_inputs(cond_channels)

        use_bias = conv_bias(norm)

        def sn(layer: nn.Module) -> nn.Module:
            return maybe_spectral_norm(layer, spectral_norm)

        kw, padw = 4, 1
        sequence: list[nn.Module] = [
            sn(nn.Conv2d(in_channels + cond_channels, ndf, kernel_size=kw, stride=2, padding=padw)),
            nn.LeakyReLU(0.2, inplace=True),
        ]
        nf_mult = 1
        for n in range(1, n_layers):
            nf_mult_prev, nf_mult = nf_mult, min(2**n, 8)
            sequence += [
                sn(nn.Conv2d(ndf * nf_mult_prev, ndf * nf_mult, kernel_size=kw, stride=2, padding=padw, bias=use_bias)),
                norm_layer(norm, ndf * nf_mult),
                nn.LeakyReLU(0.2, inplace=True),
            ]
        nf_mult_prev, nf_mult = nf_mult, min(2**n_layers, 8)
        sequence += [
            sn(nn.Conv2d(ndf * nf_mult_prev, ndf * nf_mult, kernel_size=kw, stride=1, padding=padw, bias=use_bias)),
            norm_layer(norm, ndf * nf_mult),
            nn.LeakyReLU(0.2, inplace=True),
            sn(nn.Conv2d(ndf * nf_mult, 1, kernel_size=kw, stride=1, padding=padw)),  # one logit per patch
        ]
        self.model = nn.Sequential(*sequence)
        if init:
            init_weights(self)

    @property
    def receptive_field(self) -> int:
        """Side of the input patch each output logit sees."""
        return _receptive_field(self.n_layers)

    def forward(self, image: torch.Tensor, condition: torch.Tensor | None = None) -> torch.Tensor:
        """Score every patch.

        Args:
            image: Images of shape ``(N, in_channels, H, W)``.
            condition: Condition images ``(N, cond_channels, H, W)``; only when ``cond_channels`` > 0.

        Returns:
            Logits of shape ``(N, 1, h, w)``, e.g. 30×30 for 256×256 inputs with 3 layers.

        Raises:
            ValueError: If the images are too small for ``n_layers``.
        """
        owner = type(self).__name__
        side = min(image.shape[-2:])
        if patch_output_size(side, self.n_layers) < 1:
            raise ValueError(_too_small_message(owner, side, self.n_layers, what="input side"))
        return self.model(concat_condition(owner, image, condition, self.cond_channels))

    def example_inputs(self, batch_size: int = 2) -> tuple[torch.Tensor, ...]:
        """Return random images in ``[-1, 1]`` (and condition images when ``cond_channels`` > 0)."""
        return example_judged_images(self, batch_size)


def _too_small_message(owner: str, size: int, n_layers: int, what: str = "image_size") -> str:
    """Explain which sizes or depths would work for a PatchGAN that would produce no logit."""
    fitting = max((n for n in range(1, n_layers) if patch_output_size(size, n) >= 1), default=0)
    depth_hint = f", or use n_layers ≤ {fitting}" if fitting else ""
    return (
        f"{owner}: {what}={size} is too small for n_layers={n_layers} (no logit would remain); "
        f"use {what} ≥ {_min_patch_size(n_layers)}{depth_hint}"
    )


class MultiScalePatchGANDiscriminator(GanNetwork):
    """Multi-scale PatchGAN: independent PatchGANs on the image at full, half, quarter, ... resolution.

    Wang, Liu, Zhu, Tao, Kautz and Catanzaro, "High-Resolution Image Synthesis and Semantic Manipulation
    with Conditional GANs" (pix2pixHD), CVPR 2018, arXiv:1711.11585. Keeps its defaults: 3 scales,
    each coarser input made by average pooling (kernel 3, stride 2, padding 1, padding excluded from the
    average), ``n_layers`` 3, ``ndf`` 64, instance norm; each scale is a
    :class:`PatchGANDiscriminator` (the pix2pix layer layout). The result is a list of logit maps,
    finest first. Conditioning is as for :class:`PatchGANDiscriminator` (condition first) and the pooled
    condition travels with the image.

    Args:
        image_size: Side of the square input image; the coarsest scale must still be at least
            ``3 * 2**n_layers``.
        in_channels: Channels of the judged image.
        cond_channels: Channels of the condition image (0: unconditional).
        num_scales: Number of scales (discriminators).
        ndf: Channels of each discriminator's first layer.
        n_layers: Stride-2 convolutions of each discriminator.
        norm: Normalisation: ``"instance"`` (pix2pixHD), ``"batch"`` or ``"none"``.
        spectral_norm: Apply spectral normalisation to every convolution.
        init: Initialise weights from N(0, 0.02) and batch-norm scales from N(1, 0.02).
    """

    def __init__(
        self,
        *,
        image_size: int = 256,
        in_channels: int = 3,
        cond_channels: int = 0,
        num_scales: int = 3,
        ndf: int = 64,
        n_layers: int = 3,
        norm: NormKind = "instance",
        spectral_norm: bool = False,
        init: bool = True,
    ) -> None:
        owner = type(self).__name__
        check_positive(owner, in_channels=in_channels, num_scales=num_scales, ndf=ndf, n_layers=n_layers)
        check_cond_channels(owner, cond_channels)
        check_choice(owner, "norm", norm, ("batch", "instance", "none"))
        sizes = [image_size]
        for _ in range(num_scales - 1):
            sizes.append(-(-sizes[-1] // 2))  # the pooling maps s to ceil(s / 2)
        if patch_output_size(sizes[-1], n_layers) < 1:
            needed = (_min_patch_size(n_layers) - 1) * 2 ** (num_scales - 1) + 1
            raise ValueError(
                f"{owner}: image_size={image_size} is too small for num_scales={num_scales} with n_layers={n_layers} "
                f"(the coarsest scale is {sizes[-1]}×{sizes[-1]}, below the {_min_patch_size(n_layers)} "
                f"a PatchGAN needs); use image_size ≥ {needed}, fewer scales or fewer layers"
            )
        super().__init__()
        self.image_size = image_size
        self.in_channels = in_channels
        self.cond_channels = cond_channels
        self.inputs = discriminator_inputs(cond_channels)
        self.discriminators = nn.ModuleList(
            PatchGANDiscriminator(
                image_size=size,
                in_channels=in_channels,
                cond_channels=cond_channels,
                ndf=ndf,
                n_layers=n_layers,
                norm=norm,
                spectral_norm=spectral_norm,
                init=init,
            )
            for size in sizes
        )
        self.downsample = nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False)

    def forward(self, image: torch.Tensor, condition: torch.Tensor | None = None) -> list[torch.Tensor]:
        """Score every patch at every scale.

        Args:
            image: Images of shape ``(N, in_channels, H, W)``.
            condition: Condition images ``(N, cond_channels, H, W)``; only when ``cond_channels`` > 0.

        Returns:
            One logit map ``(N, 1, h_i, w_i)`` per scale, finest first.
        """
        outputs = []
        for i, discriminator in enumerate(self.discriminators):
            if i > 0:
                image = self.downsample(image)
                condition = self.downsample(condition) if condition is not None else None
            outputs.append(discriminator(image, condition))
        return outputs

    def example_inputs(self, batch_size: int = 2) -> tuple[torch.Tensor, ...]:
        """Return random images in ``[-1, 1]`` (and condition images when ``cond_channels`` > 0)."""
        return example_judged_images(self, batch_size)
