"""The contract of the ``augment`` parts: :class:`Augment`, what a discriminator sees instead of the images.

Data-efficient GAN training augments every image a discriminator judges, real and generated alike,
so that the discriminator cannot memorise a small training set (Zhao et al., "Differentiable
Augmentation for Data-Efficient GAN Training", NeurIPS 2020, arXiv:2006.10738; Karras et al.,
"Training Generative Adversarial Networks with Limited Data", NeurIPS 2020, arXiv:2006.06676). A run
picks one with ``augment=NAME``; ``augment=none`` (the default) switches augmentation off and
changes nothing.

The trainer builds one instance per discriminator (each keeps its own state, such as ADA's
probability) and applies it wherever that discriminator sees an image:

- in the discriminator's update, to the real and to the generated batch (each drawn its own random
  transforms), and penalties (R1, the gradient penalty) are computed on those augmented batches:
  their gradients are taken with respect to the augmented images the discriminator judged
  (StyleGAN2-ADA's code differentiates through the augmentation back to the original reals; the two
  agree where the transforms preserve gradient norms, as flips, quarter turns and translations do);
- in the generator's update, to the generated batch, differentiably, so that the generator's
  gradients flow back through the augmentation; and to the real batch for a loss with
  ``uses_real_logits``.

After each discriminator update it calls :meth:`Augment.observe_real_logits` with the
discriminator's raw outputs on the augmented reals, and at each log step it logs
:meth:`Augment.log_values` as ``augment/KEY`` (``augment/KEY/D_A`` with several discriminators). The
module's ``state_dict`` is saved in every checkpoint (section ``augment``, one entry per
discriminator) and restored on resume.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar

import torch
from torch import nn

from ganzoo.contracts.losses import AdversarialLoss, Logits

__all__ = ["Augment"]


class Augment(nn.Module, ABC):
    """Base class of the augmentations: a random, differentiable map of image batches.

    Calling an augmentation with a batch of images ``(N, C, H, W)`` in ``[-1, 1]``, and optionally
    the condition a conditional discriminator sees beside them, returns the augmented pair. Every
    call draws new random transforms, one per sample. A condition (``(N, C_cond, H, W)``: the source
    image of pix2pix, an exemplar) is moved with its image by the geometric transforms, so that the
    two stay aligned; colour transforms change the image only, as the condition belongs to another
    domain.

    Subclasses implement :meth:`transform`. State that must survive a resume lives in buffers (or
    in an overridden ``state_dict``/``load_state_dict``), which ``nn.Module`` saves.

    Attributes:
        role: Always ``"augment"``.
    """

    role: ClassVar[str] = "augment"

    def forward(self, image: torch.Tensor, condition: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Augment a batch, and its condition consistently.

        Args:
            image: Images ``(N, C, H, W)`` in ``[-1, 1]``.
            condition: A conditional discriminator's other input ``(N, C_cond, H, W)``, or ``None``.

        Returns:
            ``(image, condition)`` augmented; the condition is ``None`` when none was given.

        Raises:
            ValueError: If the image is not a 4-D batch, or the condition does not match its batch
                size, height and width.
        """
        if image.dim() != 4:
            raise ValueError(f"{type(self).__name__} augments image batches (N, C, H, W), got a tensor of shape {tuple(image.shape)}")
        if condition is not None and (condition.dim() != 4 or condition.shape[0] != image.shape[0] or condition.shape[2:] != image.shape[2:]):
            raise ValueError(
                f"{type(self).__name__} moves a condition with its image, so it must be a batch of the same size and "
                f"height and width, (N, C_cond, {image.shape[2]}, {image.shape[3]}); got {tuple(condition.shape)}"
            )
        return self.transform(image, condition)

    @abstractmethod
    def transform(self, image: torch.Tensor, condition: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Return the augmented image and condition; the arguments are those of :meth:`forward`, checked."""

    def bind(self, discriminator: str, loss: AdversarialLoss) -> None:
        """Meet the discriminator this instance serves and the adversarial loss that trains it (once, when the run is built).

        Override to adapt to the loss or to refuse the pairing; does nothing by default.

        Args:
            discriminator: The discriminator's instance name (``"D"``, ``"D_A"``).
            loss: The adversarial loss of its pair.

        Raises:
            IncompatiblePartsError: If the augmentation cannot serve this pairing, saying what would.
        """

    def observe_real_logits(self, logits: Logits) -> None:
        """See the discriminator's raw outputs on the augmented real batch, after each of its updates.

        Adaptive augmentations (ADA) adjust their strength from them; does nothing by default.

        Args:
            logits: One tensor of logits, or one per scale, detached.
        """

    def log_values(self) -> dict[str, float]:
        """Values to log at each log step, by key (logged as ``augment/KEY``); none by default."""
        return {}
