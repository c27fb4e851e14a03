"""Building blocks shared by the built-in generators and discriminators.

The helpers here keep the zoo's networks consistent with one another: one spelling of the normalisation
choices, one weight initialisation (the N(0, 0.02) scheme of DCGAN and pix2pix), one way to wrap a layer
in spectral normalisation, and one style of argument checking so that every network reports invalid
settings the same way, as a :class:`ValueError` that names the parameter, its value and what would work.
"""

import math
from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils import parametrize
from torch.nn.utils.parametrizations import spectral_norm as _spectral_norm

__all__ = [
    "NormKind",
    "SelfAttention",
    "check_choice",
    "check_cond_channels",
    "check_probability",
    "concat_condition",
    "conv_bias",
    "count_parameters",
    "discriminator_inputs",
    "example_images",
    "example_judged_images",
    "example_labels",
    "example_masks",
    "init_weights",
    "is_power_of_two",
    "maybe_spectral_norm",
    "norm_layer",
    "powers_of_two",
]

NormKind = Literal["batch", "instance", "none"]
"""The normalisation choices every network in the zoo accepts."""

_NORM_KINDS = ("batch", "instance", "none")


def norm_layer(kind: NormKind, channels: int) -> nn.Module:
    """Build the 2-D normalisation layer named by ``kind``.

    The settings follow the pix2pix/CycleGAN reference ``get_norm_layer``: batch norm learns an affine
    transform and tracks running statistics; instance norm does neither.

    Args:
        kind: ``"batch"`` (:class:`~torch.nn.BatchNorm2d`, affine), ``"instance"``
            (:class:`~torch.nn.InstanceNorm2d`, ``affine=False, track_running_stats=False``) or
            ``"none"`` (:class:`~torch.nn.Identity`).
        channels: Number of feature channels.

    Returns:
        The normalisation module.

    Raises:
        ValueError: If ``kind`` is not one of the three choices.
    """
    if kind == "batch":
        return nn.BatchNorm2d(channels, affine=True, track_running_stats=True)
    if kind == "instance":
        return nn.InstanceNorm2d(channels, affine=False, track_running_stats=False)
    if kind == "none":
        return nn.Identity()
    raise ValueError(f"norm={kind!r} is not a normalisation kind; use one of {', '.join(map(repr, _NORM_KINDS))}")


def conv_bias(kind: NormKind) -> bool:
    """Whether a convolution followed by a ``kind`` normalisation layer should carry a bias.

    Batch norm has its own learned shift, so the reference code drops the convolution's bias in front
    of it; instance norm here has no affine part, so the bias stays. Without normalisation the bias is
    kept too (the reference code drops it there, which leaves such a network unable to learn an offset).

    Args:
        kind: The normalisation that follows the convolution.

    Returns:
        ``False`` for ``"batch"``, ``True`` otherwise.
    """
    return kind != "batch"


def _reinit_power_iteration(module: nn.Module, iterations: int = 15) -> None:
    """Re-run spectral norm's power iteration after its weight was overwritten.

    The parametrisation estimates the singular vectors when it is registered; once the weight is
    re-initialised those estimates are stale, and reading ``module.weight`` in training mode performs
    one more iteration on the new weight.
    """
    was_training = module.training
    module.train()
    with torch.no_grad():
        for _ in range(iterations):
            module.weight  # noqa: B018  (the read itself runs the iteration)
    module.train(was_training)


def init_weights(module: nn.Module, std: float = 0.02) -> nn.Module:
    """Apply the DCGAN/pix2pix initialisation to every layer of ``module``.

    Convolution, transposed convolution and linear weights are drawn from N(0, ``std``) and their biases
    set to zero; batch-norm scales are drawn from N(1, ``std``) and their shifts set to zero. Other layers
    (embeddings, affine-free instance norm) keep their default initialisation. Layers under spectral
    normalisation are initialised through their unnormalised weight, after which the power iteration is
    refreshed.

    Args:
        module: The network (or any sub-module) to initialise in place.
        std: Standard deviation of the normal distributions.

    Returns:
        ``module``, for chaining.
    """
    for layer in module.modules():
        if isinstance(layer, (nn.Conv1d, nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            parametrized = parametrize.is_parametrized(layer, "weight")
            weight = layer.parametrizations.weight.original if parametrized else layer.weight
            with torch.no_grad():
                nn.init.normal_(weight, 0.0, std)
                if layer.bias is not None:
                    nn.init.zeros_(layer.bias)
            if parametrized and weight.device.type != "meta":
                _reinit_power_iteration(layer)
        elif isinstance(layer, nn.modules.batchnorm._BatchNorm) and layer.affine:
            with torch.no_grad():
                nn.init.normal_(layer.weight, 1.0, std)
                nn.init.zeros_(layer.bias)
    return module


def maybe_spectral_norm(layer: nn.Module, enabled: bool) -> nn.Module:
    """Wrap ``layer`` in spectral normalisation (Miyato et al., 2018) when ``enabled``.

    Uses :func:`torch.nn.utils.parametrizations.spectral_norm`, so the layer keeps its type and its
    ``weight`` attribute (now computed from ``parametrizations.weight.original``).

    Args:
        layer: A layer with a ``weight`` (convolution, linear, embedding).
        enabled: Whether to apply spectral normalisation.

    Returns:
        The same layer, normalised or not.
    """
    return _spectral_norm(layer) if enabled else layer


def count_parameters(module: nn.Module, trainable_only: bool = False) -> int:
    """Count the parameters of ``module``.

    Args:
        module: The network.
        trainable_only: Count only parameters with ``requires_grad``.

    Returns:
        The number of scalar parameters.
    """
    return sum(p.numel() for p in module.parameters() if p.requires_grad or not trainable_only)


def is_power_of_two(value: int) -> bool:
    """Whether ``value`` is a positive power of two."""
    return value > 0 and value & (value - 1) == 0


def powers_of_two(minimum: int, count: int = 4) -> str:
    """List ``count`` powers of two from ``minimum`` upwards, for error messages (``"8, 16, 32 or 64"``)."""
    start = 1 << max(0, math.ceil(math.log2(max(minimum, 1))))
    values = [str(start << i) for i in range(count)]
    return ", ".join(values[:-1]) + " or " + values[-1]


def check_probability(owner: str, name: str, value: float) -> None:
    """Raise :class:`ValueError` unless ``0 <= value < 1`` (a dropout rate).

    Args:
        owner: Name of the network, used as the message prefix.
        name: Name of the parameter.
        value: Its value.

    Raises:
        ValueError: If ``value`` lies outside ``[0, 1)``.
    """
    if not 0.0 <= value < 1.0:
        raise ValueError(f"{owner}: {name}={value!r} must lie in [0, 1); use 0.0 to disable it")


def check_choice(owner: str, name: str, value: str, choices: tuple[str, ...]) -> None:
    """Raise :class:`ValueError` unless ``value`` is one of ``choices``.

    Args:
        owner: Name of the network, used as the message prefix.
        name: Name of the parameter.
        value: Its value.
        choices: The accepted values.

    Raises:
        ValueError: Listing the accepted values.
    """
    if value not in choices:
        listed = ", ".join(map(repr, choices[:-1])) + f" or {choices[-1]!r}" if len(choices) > 1 else repr(choices[0])
        raise ValueError(f"{owner}: {name}={value!r} is not supported; use {listed}")


def check_cond_channels(owner: str, cond_channels: int) -> None:
    """Raise :class:`ValueError` if ``cond_channels`` is negative."""
    if cond_channels < 0:
        raise ValueError(f"{owner}: cond_channels={cond_channels} must be ≥ 0 (0 for an unconditional discriminator)")


def discriminator_inputs(cond_channels: int) -> tuple[str, ...]:
    """The ``inputs`` of a discriminator that optionally sees a condition image beside the judged one."""
    return ("image", "condition") if cond_channels > 0 else ("image",)


def concat_condition(
    owner: str, image: torch.Tensor, condition: torch.Tensor | None, cond_channels: int
) -> torch.Tensor:
    """Join a conditional discriminator's inputs as the pix2pix reference does: ``cat((condition, image), 1)``.

    Args:
        owner: Name of the network, used as the message prefix.
        image: The judged images, ``(N, C, H, W)``.
        condition: The condition images, ``(N, cond_channels, H, W)``, or ``None`` when ``cond_channels`` is 0.
        cond_channels: Channels the network was built to expect in ``condition``.

    Returns:
        ``image`` alone, or the condition and image concatenated along channels.

    Raises:
        ValueError: If ``condition`` is missing although expected, given although not expected, or has
            the wrong number of channels.
    """
    if cond_channels == 0:
        if condition is not None:
            raise ValueError(f"{owner}: got a condition but cond_channels=0; build it with cond_channels > 0")
        return image
    if condition is None:
        raise ValueError(f"{owner}: cond_channels={cond_channels} but no condition was given")
    if condition.shape[1] != cond_channels:
        raise ValueError(f"{owner}: condition has {condition.shape[1]} channels but cond_channels={cond_channels}")
    return torch.cat((condition, image), 1)


def example_images(
    batch_size: int, channels: int, size: int, device: torch.device, dtype: torch.dtype = torch.float32
) -> torch.Tensor:
    """Random images in ``[-1, 1]`` of shape ``(batch_size, channels, size, size)``."""
    return torch.rand(batch_size, channels, size, size, device=device, dtype=dtype) * 2 - 1


def example_judged_images(network: nn.Module, batch_size: int) -> tuple[torch.Tensor, ...]:
    """A discriminator's example inputs: random images, and condition images when it has
    ``cond_channels`` > 0 (read from its ``in_channels``, ``cond_channels``, ``image_size``, ``device``)."""
    image = example_images(batch_size, network.in_channels, network.image_size, network.device)
    if network.cond_channels == 0:
        return (image,)
    return image, example_images(batch_size, network.cond_channels, network.image_size, network.device)


def example_labels(batch_size: int, num_classes: int, device: torch.device) -> torch.Tensor:
    """Random class indices of shape ``(batch_size,)``, dtype int64."""
    return torch.randint(0, num_classes, (batch_size,), device=device)


def example_masks(
    batch_size: int, size: int, device: torch.device, dtype: torch.dtype = torch.float32
) -> torch.Tensor:
    """Masks of shape ``(batch_size, 1, size, size)``: 1 inside a random box (a quarter to half a side), 0 elsewhere."""
    masks = torch.zeros(batch_size, 1, size, size, device=device, dtype=dtype)
    low, high = max(1, size // 4), max(2, size // 2)
    for mask in masks:
        height, width = (int(v) for v in torch.randint(low, high + 1, (2,)))
        top = int(torch.randint(0, size - height + 1, ()))
        left = int(torch.randint(0, size - width + 1, ()))
        mask[:, top : top + height, left : left + width] = 1
    return masks


class SelfAttention(nn.Module):
    """Self-attention over the positions of a feature map (SAGAN), in BigGAN's economical form.

    Zhang, H., Goodfellow, I., Metaxas, D. and Odena, A. "Self-Attention Generative Adversarial
    Networks". ICML 2019. arXiv:1805.08318. As in BigGAN and the Mimicry and StudioGAN SNGAN code:
    bias-free 1×1 query and key projections to ``channels / 8``, a value projection to
    ``channels / 2`` back up to ``channels``, keys and values max-pooled 2×2, and the output added
    to the input with a learnt scale that starts at 0.

    Args:
        channels: Channels of the feature map (a multiple of 8).
        spectral_norm: Apply spectral normalisation to the four projections.
    """

    def __init__(self, channels: int, spectral_norm: bool = False) -> None:
        if channels % 8:
            raise ValueError(f"SelfAttention: channels={channels} must be a multiple of 8")
        super().__init__()

        def conv(c_in: int, c_out: int) -> nn.Module:
            return maybe_spectral_norm(nn.Conv2d(c_in, c_out, 1, bias=False), spectral_norm)

        self.query, self.key = conv(channels, channels // 8), conv(channels, channels // 8)
        self.value, self.out = conv(channels, channels // 2), conv(channels // 2, channels)
        self.gamma = nn.Parameter(torch.zeros(()))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Return ``x`` plus ``gamma`` times the attended values; the shape is unchanged."""
        n, _, h, w = x.shape
        query = self.query(x).flatten(2)  # (N, C/8, HW)
        key = F.max_pool2d(self.key(x), 2).flatten(2)  # (N, C/8, HW/4)
        value = F.max_pool2d(self.value(x), 2).flatten(2)  # (N, C/2, HW/4)
        attention = torch.softmax(query.transpose(1, 2) @ key, dim=-1)  # (N, HW, HW/4)
        attended = (value @ attention.transpose(1, 2)).view(n, -1, h, w)
        return x + self.gamma * self.out(attended)
