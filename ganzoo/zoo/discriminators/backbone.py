"""Discriminator on any timm image backbone.

``timm`` is imported only when such a discriminator is built, so importing the zoo does not pull it in.
"""

import difflib
import fnmatch
from typing import Literal

import torch
from torch import nn

from ganzoo.contracts import GanNetwork
from ganzoo.parameters import check_positive

from ..layers import (
    check_choice,
    check_cond_channels,
    concat_condition,
    discriminator_inputs,
    example_judged_images,
    init_weights,
    maybe_spectral_norm,
)

__all__ = ["TimmDiscriminator"]


def _close_model_names(timm_module, name: str, limit: int = 8) -> list[str]:
    """timm model names resembling ``name``: same family prefix first, then spelling neighbours."""
    names = timm_module.list_models()
    prefix = name.rstrip("0123456789_").split("_")[0]
    family = fnmatch.filter(names, f"{prefix}*") if len(prefix) >= 3 else []
    close = difflib.get_close_matches(name, names, n=limit, cutoff=0.6)
    if family:
        close += [n for n in difflib.get_close_matches(name, family, n=len(family), cutoff=0.0) if n not in close]
    return close[:limit]


class TimmDiscriminator(GanNetwork):
    """Discriminator built on a timm backbone's deepest features, with a patch or pooled logit head.

    Any model of the timm library (Wightman, "PyTorch Image Models", 2019,
    https://github.com/huggingface/pytorch-image-models) that supports ``features_only`` serves as the
    feature extractor, in the spirit of discriminators on pretrained feature networks such as Projected
    GANs (Sauer et al., NeurIPS 2021, arXiv:2111.01007). The backbone is created with
    ``timm.create_model(backbone, pretrained=pretrained, features_only=True,
    in_chans=in_channels + cond_channels, out_indices=(feature_index,))``; its feature map goes to
    either a 1×1 convolution (``head="patch"``: one logit per location, like a PatchGAN) or global
    average pooling and a linear layer (``head="pool"``: one logit per image). Only the head receives
    the N(0, 0.02) initialisation; the backbone keeps timm's.

    Weights are random unless ``pretrained=True`` is asked for explicitly. Then timm downloads them
    from the Hugging Face Hub on first use and caches them there (``~/.cache/huggingface`` by default);
    with ``in_channels + cond_channels`` other than 3, timm adapts the first convolution's weights.
    With ``cond_channels`` > 0 the condition image is concatenated before the judged one, as for
    :class:`~ganzoo.zoo.discriminators.PatchGANDiscriminator`.

    Args:
        backbone: timm model name (``timm.list_models()`` lists them), e.g. ``"resnet18"``,
            ``"resnet10t"``, ``"efficientnet_b0"``.
        pretrained: Load the backbone's pretrained weights (downloads through timm/Hugging Face Hub).
        head: ``"pool"`` (one logit per image) or ``"patch"`` (a map of logits).
        feature_index: Which feature level of the backbone to use (timm ``out_indices`` value); -1 is
            the deepest, -2 the one before it (half the stride, a shallower and cheaper net).
        image_size: Side of the square input image; at least the backbone's total stride at
            ``feature_index`` (32 for ResNets at -1).
        in_channels: Channels of the judged image.
        cond_channels: Channels of the condition image (0: unconditional).
        spectral_norm: Apply spectral normalisation to the head.
        init: Initialise the head's weights from N(0, 0.02).
    """

    def __init__(
        self,
        *,
        backbone: str = "resnet18",
        pretrained: bool = False,
        head: Literal["patch", "pool"] = "pool",
        feature_index: int = -1,
        image_size: int = 64,
        in_channels: int = 3,
        cond_channels: int = 0,
        spectral_norm: bool = False,
        init: bool = True,
    ) -> None:
        owner = type(self).__name__
        check_positive(owner, image_size=image_size, in_channels=in_channels)
        check_cond_channels(owner, cond_channels)
        check_choice(owner, "head", head, ("patch", "pool"))

        import timm  # deferred: only this network needs timm

        if not timm.is_model(backbone):
            suggestions = _close_model_names(timm, backbone)
            hint = f"; did you mean {', '.join(map(repr, suggestions))}?" if suggestions else "; see timm.list_models()"
            raise ValueError(f"{owner}: backbone={backbone!r} is not a timm model{hint}")
        try:
            features = timm.create_model(
                backbone,
                pretrained=pretrained,
                features_only=True,
                in_chans=in_channels + cond_channels,
                out_indices=(feature_index,),
            )
        except (RuntimeError, ValueError, IndexError, AssertionError, TypeError) as error:
            raise ValueError(
                f"{owner}: backbone={backbone!r} with feature_index={feature_index} cannot serve as a feature "
                f"extractor (timm: {error}); use a convolutional backbone such as 'resnet18' or another feature_index"
            ) from error
        reduction = features.feature_info.reduction()[-1]
        if image_size < reduction:
            raise ValueError(
                f"{owner}: image_size={image_size} is smaller than the total stride {reduction} of backbone="
                f"{backbone!r} at feature_index={feature_index}; "
                f"use image_size ≥ {reduction} or a shallower feature_index"
            )
        super().__init__()
        self.backbone_name = backbone
        self.image_size = image_size
        self.in_channels = in_channels
        self.cond_channels = cond_channels
        self.head_kind = head
        self.inputs = discriminator_inputs(cond_channels)
        self.backbone = features
        channels = features.feature_info.channels()[-1]
        if head == "patch":
            self.head: nn.Module = maybe_spectral_norm(nn.Conv2d(channels, 1, kernel_size=1), spectral_norm)
        else:
            self.head = nn.Sequential(
                nn.AdaptiveAvgPool2d(1), nn.Flatten(), maybe_spectral_norm(nn.Linear(channels, 1), spectral_norm)
            )
        if init:
            init_weights(self.head)

    def forward(self, image: torch.Tensor, condition: torch.Tensor | None = None) -> torch.Tensor:
        """Score images.

        Args:
            image: Images of shape ``(N, in_channels, H, W)``.
            condition: Condition images ``(N, cond_channels, H, W)``; only when ``cond_channels`` > 0.

        Returns:
            Logits of shape ``(N, 1)`` (``head="pool"``) or ``(N, 1, h, w)`` (``head="patch"``).
        """
        x = concat_condition(type(self).__name__, image, condition, self.cond_channels)
        return self.head(self.backbone(x)[-1])

    def example_inputs(self, batch_size: int = 2) -> tuple[torch.Tensor, ...]:
        """Return random images in ``[-1, 1]`` (and condition images when ``cond_channels`` > 0)."""
        return example_judged_images(self, batch_size)
