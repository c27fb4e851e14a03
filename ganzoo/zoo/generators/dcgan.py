"""Transposed-convolution generator of DCGAN, for power-of-two sizes and for 28×28."""

from itertools import pairwise
from typing import Literal

import torch
from torch import nn

from ganzoo.contracts import GanNetwork
from ganzoo.parameters import check_positive

from ..layers import check_choice, init_weights, is_power_of_two, powers_of_two

__all__ = ["DCGANGenerator", "check_dcgan_size", "dcgan_trunk"]

_MAX_MULT = 8  # channel multiplier cap, so sizes above 64 do not grow past ngf * 8 channels


def check_dcgan_size(owner: str, image_size: int) -> None:
    """Raise :class:`ValueError` unless ``image_size`` is 28 or a power of two ≥ 8.

    Args:
        owner: Name of the network, used as the message prefix.
        image_size: The requested image side.
    """
    if image_size != 28 and not (is_power_of_two(image_size) and image_size >= 8):
        raise ValueError(
            f"{owner}: image_size={image_size!r} is not supported; "
            f"use 28 or a power of two ≥ 8 ({powers_of_two(8)}, ...)"
        )


def dcgan_trunk(
    in_features: int,
    image_size: int,
    out_channels: int,
    ngf: int,
    activation: Literal["relu", "leaky_relu"] = "relu",
) -> nn.Sequential:
    """Build the DCGAN generator stack that maps ``(N, in_features, 1, 1)`` to ``(N, C, H, W)`` in ``[-1, 1]``.

    For a power-of-two size the first transposed convolution (kernel 4, no padding) turns the 1×1 input
    into a 4×4 map with ``ngf * 2**(k-1)`` channels (capped at ``ngf * 8``) and each following one doubles
    the side and halves the channels, as in the reference DCGAN for 64×64 (``ngf*8`` at 4×4). For 28×28
    it follows the TensorFlow tutorial: a 7×7 projection with ``ngf*4`` channels (a kernel-7 transposed
    convolution on the 1×1 input, i.e. a bias-free dense layer), then kernel-5 transposed convolutions
    with strides 1, 2 and 2 (``ngf*2``, ``ngf``, ``out_channels``). Batch norm follows every layer but the
    output; no layer has a bias, as in both references.

    Args:
        in_features: Channels of the 1×1 input (the latent size, plus any conditioning).
        image_size: 28 or a power of two ≥ 8 (checked by :func:`check_dcgan_size`).
        out_channels: Channels of the output image.
        ngf: Base width.
        activation: ``"relu"`` (DCGAN paper) or ``"leaky_relu"`` (slope 0.2, TensorFlow tutorial).

    Returns:
        The generator stack, ending in tanh.
    """

    def block(c_in: int, c_out: int, kernel: int, stride: int, padding: int, out_pad: int = 0) -> list[nn.Module]:
        act = nn.ReLU(inplace=True) if activation == "relu" else nn.LeakyReLU(0.2, inplace=True)
        return [
            nn.ConvTranspose2d(c_in, c_out, kernel, stride, padding, out_pad, bias=False),
            nn.BatchNorm2d(c_out),
            act,
        ]

    layers: list[nn.Module] = []
    if image_size == 28:
        layers += block(in_features, ngf * 4, 7, 1, 0)  # 1 -> 7
        layers += block(ngf * 4, ngf * 2, 5, 1, 2)  # 7 -> 7
        layers += block(ngf * 2, ngf, 5, 2, 2, 1)  # 7 -> 14 ("same" padding of a stride-2 kernel 5)
        layers += [nn.ConvTranspose2d(ngf, out_channels, 5, 2, 2, 1, bias=False)]  # 14 -> 28
    else:
        num_ups = image_size.bit_length() - 3  # stride-2 layers after the 4×4 start
        mults = [min(2 ** (num_ups - 1 - i), _MAX_MULT) for i in range(num_ups)]
        layers += block(in_features, ngf * mults[0], 4, 1, 0)  # 1 -> 4
        for mult_in, mult_out in pairwise(mults):
            layers += block(ngf * mult_in, ngf * mult_out, 4, 2, 1)
        layers += [nn.ConvTranspose2d(ngf * mults[-1], out_channels, 4, 2, 1, bias=False)]
    layers.append(nn.Tanh())
    return nn.Sequential(*layers)


class DCGANGenerator(GanNetwork):
    """DCGAN generator: strided transposed convolutions from noise to image.

    Radford, Metz and Chintala, "Unsupervised Representation Learning with Deep Convolutional Generative
    Adversarial Networks", ICLR 2016, arXiv:1511.06434. Keeps the reference choices: ``ngf`` 64, batch
    norm on every layer but the output, ReLU, tanh output, no pooling, no biases, N(0, 0.02) weights.
    Power-of-two sizes ≥ 8 start from a 4×4 map and double (64×64 with 3 channels is exactly the
    reference network, 3,576,704 parameters);
    28×28 uses the TensorFlow DCGAN tutorial's 7×7 start with kernel-5 layers (``activation="leaky_relu"``
    reproduces that tutorial's activations too).

    Args:
        latent_dim: Size of the noise vector ``z``.
        image_size: Side of the square output image: 28 or a power of two ≥ 8.
        out_channels: Channels of the output image.
        ngf: Base width (channels of the last hidden layer).
        activation: ``"relu"`` (paper) or ``"leaky_relu"`` (slope 0.2).
        init: Initialise weights from N(0, 0.02) and batch-norm scales from N(1, 0.02).
    """

    inputs = ("z",)

    def __init__(
        self,
        *,
        latent_dim: int = 100,
        image_size: int = 64,
        out_channels: int = 3,
        ngf: int = 64,
        activation: Literal["relu", "leaky_relu"] = "relu",
        init: bool = True,
    ) -> None:
        owner = type(self).__name__
        check_positive(owner, latent_dim=latent_dim, out_channels=out_channels, ngf=ngf)
        check_dcgan_size(owner, image_size)
        check_choice(owner, "activation", activation, ("relu", "leaky_relu"))
        super().__init__()
        self.latent_dim = latent_dim
        self.image_size = image_size
        self.out_channels = out_channels
        self.net = dcgan_trunk(latent_dim, image_size, out_channels, ngf, activation)
        if init:
            init_weights(self)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """Generate images from noise.

        Args:
            z: Noise of shape ``(N, latent_dim)``.

        Returns:
            Images of shape ``(N, out_channels, image_size, image_size)`` in ``[-1, 1]``.
        """
        return self.net(z.view(z.shape[0], -1, 1, 1))

    def example_inputs(self, batch_size: int = 2) -> tuple[torch.Tensor, ...]:
        """Return standard normal noise of shape ``(batch_size, latent_dim)``."""
        return (torch.randn(batch_size, self.latent_dim, device=self.device),)
