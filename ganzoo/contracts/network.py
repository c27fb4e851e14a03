"""The contract of the ``generator`` and ``discriminator`` parts: :class:`GanNetwork`.

The generic trainer and ``ganzoo build`` drive networks they know only by name. To do so they need two
facts from each network: which tensors its ``forward`` takes, and what a valid example of them looks
like. :class:`GanNetwork` states both.

Input names come from the shared tensor vocabulary, :mod:`ganzoo.vocabulary` (``z``, ``label``,
``source``, ``mask``, ``exemplar`` for generators; ``image``, ``condition``, ``label`` for
discriminators, in that order).

Generators return images ``(N, C, H, W)`` in ``[-1, 1]``. Discriminators return raw logits (never a
sigmoid: the losses apply it where they need it), either one tensor or, for multi-scale
discriminators, a list of tensors.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import torch
from torch import nn

#: The two roles a network plays, and the kinds of the parts that fill them.
ROLES = ("generator", "discriminator")


class GanNetwork(nn.Module, ABC):
    """Base class of every generator and discriminator part.

    Subclasses set :attr:`inputs` (a class attribute, or an instance attribute when it depends on the
    constructor's arguments) and implement :meth:`example_inputs`.

    Attributes:
        inputs: Names of the tensors ``forward`` takes, in order, from the vocabulary above.
    """

    inputs: tuple[str, ...] = ()

    @abstractmethod
    def example_inputs(self, batch_size: int = 2) -> tuple[torch.Tensor, ...]:
        """Return a valid batch of inputs for :meth:`forward`, in the order of :attr:`inputs`.

        Args:
            batch_size: Number of samples in the batch.

        Returns:
            One tensor per name in :attr:`inputs`, on the network's device.
        """

    @property
    def device(self) -> torch.device:
        """The device of the network's first parameter (CPU for a network without parameters)."""
        for parameter in self.parameters():
            return parameter.device
        return torch.device("cpu")


def to_unit_range(images: torch.Tensor) -> torch.Tensor:
    """Map images from the networks' range ``[-1, 1]`` to ``[0, 1]`` in float32 (clamped, detached).

    What image files and the paired measures (L1, PSNR, SSIM) take.
    """
    return ((images.detach().float().clamp(-1.0, 1.0) + 1.0) / 2.0).contiguous()
