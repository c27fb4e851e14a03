"""The contract of the ``loss`` parts: three base classes, one per role the trainer knows.

A loss part is an instance of one of these classes; which one tells the trainer where the loss goes:

====================  ==============================  =============================================
role                  base class                      how the trainer uses it
====================  ==============================  =============================================
``adversarial``       :class:`AdversarialLoss`        gives the discriminator's loss and the
                                                      generator's adversarial term from the
                                                      discriminator's logits
``penalty``           :class:`Penalty`                added to the discriminator's loss; runs its
                                                      own forward pass through the discriminator
``reconstruction``    :class:`ReconstructionLoss`     added to the generator's loss; compares an
                                                      output with its target
====================  ==============================  =============================================

Discriminators return raw logits, either one tensor or a list of tensors for multi-scale
discriminators (see :mod:`ganzoo.contracts.network`); the losses apply a sigmoid where their maths
needs one, in numerically stable log-sigmoid form. Penalties and reconstruction losses return values
already multiplied by their ``weight``, so the trainer only adds terms up.
"""

import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

import torch

__all__ = [
    "AdversarialLoss",
    "Condition",
    "Logits",
    "LossState",
    "Penalty",
    "ReconstructionLoss",
    "loss_states",
    "restore_loss_states",
]

Logits = torch.Tensor | list[torch.Tensor]
"""What a discriminator returns: one tensor of logits, or one tensor per scale."""


def _scales(logits: Logits) -> list[torch.Tensor]:
    """Return the per-scale logits of a discriminator output as a list."""
    return list(logits) if isinstance(logits, (list, tuple)) else [logits]


def _mean(losses: list[torch.Tensor]) -> torch.Tensor:
    """The mean of per-scale losses; a single scale is returned as it is (no extra kernels per step)."""
    return losses[0] if len(losses) == 1 else torch.stack(losses).mean()


def _scaled(factor: float, value: torch.Tensor) -> torch.Tensor:
    """``factor * value``, skipping the multiplication by 1."""
    return value if factor == 1.0 else factor * value


def _check_non_negative(**values: float) -> None:
    for key, value in values.items():
        if not (value >= 0 and math.isfinite(value)):
            raise ValueError(f"{key} must be a finite number >= 0, got {value!r}")


class LossState:
    """What a loss keeps between steps, for checkpoints: nothing by default.

    A loss that carries state across training steps (LeCam's moving anchors) overrides both methods;
    the trainer saves every loss's :meth:`state_dict` in its checkpoints under ``"losses"`` and hands
    it back to :meth:`load_state_dict` on resume, so a resumed run continues exactly.
    """

    def state_dict(self) -> dict[str, Any]:
        """Return the loss's state (tensors and plain numbers); empty for a stateless loss."""
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned; a stateless loss ignores it."""


def loss_states(losses: Mapping[str, LossState]) -> dict[str, dict[str, Any]]:
    """Every loss's :meth:`~LossState.state_dict`, by its key in the run's ``loss`` section (for checkpoints)."""
    return {key: loss.state_dict() for key, loss in losses.items()}


def restore_loss_states(losses: Mapping[str, LossState], states: Mapping[str, dict[str, Any]] | None) -> None:
    """Hand each loss its saved state; checkpoints without any (older ones) leave the losses as built."""
    for key, state in (states or {}).items():
        if key in losses:
            losses[key].load_state_dict(state)


class AdversarialLoss(LossState, ABC):
    """Base class of the adversarial losses (role ``"adversarial"``).

    An adversarial loss turns a discriminator's logits into the discriminator's loss and the
    generator's adversarial loss, both to be minimised. Multi-scale discriminators return a list of
    logit tensors; the loss is then computed at each scale and the per-scale losses are averaged.

    Subclasses implement the loss for one scale, :meth:`scale_discriminator_loss` and
    :meth:`scale_generator_loss`; this class handles the scales and :attr:`d_scale`.

    A *relativistic* loss, whose generator loss compares the logits of generated data with those of
    real data (RaGAN, R3GAN's RpGAN: ``softplus(-(D(fake) - D(real)))``), sets
    :attr:`uses_real_logits` to ``True``. The trainer then also runs the same pair's discriminator
    on the real batch during the generator's update, at the discriminator's current weights, and
    passes those logits to :meth:`generator_loss` as ``real_logits``; this class hands each scale's
    real logits to ``scale_generator_loss(fake, real)``. The real logits are computed under
    :func:`torch.no_grad`: they do not depend on the generator's parameters, so they are constants
    of its update (and cost one forward pass, no backward). Losses that leave the attribute
    ``False`` cost nothing more, and are called with the fake logits only, as before.

    Args:
        d_scale: Factor on the discriminator's loss. The pix2pix and CycleGAN reference code halve it
            (``0.5``) to slow the discriminator down relative to the generator.

    Attributes:
        role: Always ``"adversarial"``.
        uses_real_logits: Whether the generator's loss needs the discriminator's logits on real data
            (``False`` by default).
    """

    role: ClassVar[str] = "adversarial"
    uses_real_logits: ClassVar[bool] = False

    def __init__(self, *, d_scale: float = 1.0) -> None:
        if not (d_scale > 0 and math.isfinite(d_scale)):
            raise ValueError(f"d_scale must be a finite number > 0, got {d_scale!r}")
        self.d_scale = d_scale

    def discriminator_loss(self, real_logits: Logits, fake_logits: Logits) -> torch.Tensor:
        """Return the discriminator's loss, averaged over scales and multiplied by :attr:`d_scale`.

        Args:
            real_logits: The discriminator's logits on real data.
            fake_logits: Its logits on generated data (detached from the generator by the caller).

        Returns:
            A scalar tensor.

        Raises:
            ValueError: If the two outputs do not have the same number of scales.
        """
        real, fake = _scales(real_logits), _scales(fake_logits)
        if len(real) != len(fake):
            raise ValueError(f"real logits have {len(real)} scale(s) but fake logits have {len(fake)}")
        losses = [self.scale_discriminator_loss(r, f) for r, f in zip(real, fake, strict=True)]
        return _scaled(self.d_scale, _mean(losses))

    def generator_loss(self, fake_logits: Logits, real_logits: Logits | None = None) -> torch.Tensor:
        """Return the generator's adversarial loss, averaged over scales.

        Args:
            fake_logits: The discriminator's logits on generated data.
            real_logits: Its logits on real data, given (detached) when :attr:`uses_real_logits` is
                ``True`` and ``None`` otherwise.

        Returns:
            A scalar tensor.

        Raises:
            ValueError: If the loss uses real logits and none are given, or the two outputs do not
                have the same number of scales.
        """
        fake = _scales(fake_logits)
        if not self.uses_real_logits:
            return _mean([self.scale_generator_loss(f) for f in fake])
        if real_logits is None:
            raise ValueError(f"{type(self).__name__} compares fake logits with real ones: pass real_logits")
        real = _scales(real_logits)
        if len(real) != len(fake):
            raise ValueError(f"real logits have {len(real)} scale(s) but fake logits have {len(fake)}")
        return _mean([self.scale_generator_loss(f, r) for f, r in zip(fake, real, strict=True)])

    @abstractmethod
    def scale_discriminator_loss(self, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        """Return the discriminator's loss at one scale, before :attr:`d_scale`.

        Args:
            real: Logits on real data at this scale.
            fake: Logits on generated data at this scale.

        Returns:
            A scalar tensor.
        """

    @abstractmethod
    def scale_generator_loss(self, fake: torch.Tensor, real: torch.Tensor | None = None) -> torch.Tensor:
        """Return the generator's adversarial loss at one scale.

        A loss that does not use real logits may implement this with the one argument ``fake``: it
        is called with one argument unless :attr:`uses_real_logits` is ``True``.

        Args:
            fake: Logits on generated data at this scale.
            real: Logits on real data at this scale (detached), given only when
                :attr:`uses_real_logits` is ``True``.

        Returns:
            A scalar tensor.
        """


Condition = torch.Tensor | Sequence[torch.Tensor] | None
"""What a conditional discriminator sees beside the image: nothing, one tensor, or several."""


class Penalty(LossState, ABC):
    """Base class of the discriminator regularisers (role ``"penalty"``).

    A penalty runs its own forward pass through the discriminator, on inputs it builds from the real
    and generated batches, and returns a weighted scalar that the trainer adds to the discriminator's
    loss. The graph is kept (``create_graph=True``) so the penalty's gradient reaches the
    discriminator's parameters.

    The discriminator is called as ``discriminator(image)``, or ``discriminator(image, condition)``
    when a condition is given (``discriminator(image, *condition)`` for a sequence of tensors).
    Gradients are taken with respect to the image only: the condition is detached.

    The penalised function is the discriminator's per-sample score: the mean of a sample's logits (its
    patches, for a PatchGAN), averaged over scales for a multi-scale discriminator, as the adversarial
    losses average them.

    With ``every`` > 1 the penalty is lazy (Karras et al., "Analyzing and Improving the Image Quality
    of StyleGAN", CVPR 2020, arXiv:1912.04958): the trainer applies it only on every ``every``-th
    training step, and :meth:`__call__` multiplies it by ``every`` so that its average strength stays
    the same while most of its cost (a second backward pass) is saved.

    A weight of 0 switches the penalty off: the trainer does not compute it.

    Subclasses implement :meth:`penalty`.

    Args:
        weight: Factor on the penalty.
        every: Apply the penalty on every ``every``-th training step only (1: every step).

    Attributes:
        role: Always ``"penalty"``.
    """

    role: ClassVar[str] = "penalty"

    def __init__(self, *, weight: float = 10.0, every: int = 1) -> None:
        _check_non_negative(weight=weight)
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise ValueError(f"every must be an integer >= 1 (1 applies the penalty at every step), got {every!r}")
        self.weight = weight
        self.every = every

    def due(self, step: int) -> bool:
        """Whether the penalty applies at a training step (counted from 0); never with a weight of 0."""
        return self.weight > 0 and step % self.every == 0

    def __call__(
        self,
        discriminator: Callable[..., Logits],
        real: torch.Tensor,
        fake: torch.Tensor,
        condition: Condition = None,
    ) -> torch.Tensor:
        """Return the weighted penalty.

        Args:
            discriminator: The discriminator (any callable returning logits).
            real: A batch of real images.
            fake: A batch of generated images, the same shape as ``real``. It is detached here.
            condition: What a conditional discriminator sees beside the image, or ``None``.

        Returns:
            A scalar tensor: :attr:`weight` times :attr:`every` times :meth:`penalty`.
        """
        return _scaled(self.weight * self.every, self.penalty(discriminator, real, fake, condition))

    @abstractmethod
    def penalty(
        self,
        discriminator: Callable[..., Logits],
        real: torch.Tensor,
        fake: torch.Tensor,
        condition: Condition = None,
    ) -> torch.Tensor:
        """Return the penalty before :attr:`weight`; the arguments are those of :meth:`__call__`."""

    @staticmethod
    def input_gradients(
        discriminator: Callable[..., Logits], images: torch.Tensor, condition: Condition = None
    ) -> torch.Tensor:
        """Return the gradient of each sample's score with respect to its image, flattened.

        Args:
            discriminator: The discriminator.
            images: The images to differentiate at; they are detached here, the caller's tensor is left as is.
            condition: What a conditional discriminator sees beside the image, or ``None``.

        Returns:
            A tensor ``(N, numel / N)`` that stays in the autograd graph, so a penalty built from it
            trains the discriminator.
        """
        images = images.detach().requires_grad_(True)
        if condition is None:
            outputs = discriminator(images)
        elif isinstance(condition, torch.Tensor):
            outputs = discriminator(images, condition.detach())
        else:
            outputs = discriminator(images, *(c.detach() for c in condition))
        scales = _scales(outputs)
        # Each sample's score depends on its own image only, so the gradient of the batch sum gives
        # every sample's gradient at once.
        per_sample = [s.reshape(-1) if s.numel() == s.shape[0] else s.reshape(s.shape[0], -1).mean(dim=1) for s in scales]
        score = per_sample[0] if len(per_sample) == 1 else torch.stack(per_sample).mean(dim=0)
        (gradients,) = torch.autograd.grad(score.sum(), images, create_graph=True)
        return gradients.flatten(1)


class ReconstructionLoss(LossState, ABC):
    """Base class of the losses that compare an output with its target (role ``"reconstruction"``).

    The trainer adds the returned value, already multiplied by :attr:`weight`, to the generator's
    loss. An optional mask restricts the comparison to a region (the in-painted area): it is 1 inside
    the region and 0 elsewhere, shaped ``(N, 1, H, W)`` (broadcast over channels) or like the output.

    Subclasses implement :meth:`distance`.

    Args:
        weight: Factor on the loss.

    Attributes:
        role: Always ``"reconstruction"``.
    """

    role: ClassVar[str] = "reconstruction"

    def __init__(self, *, weight: float = 1.0) -> None:
        _check_non_negative(weight=weight)
        self.weight = weight

    def __call__(
        self, output: torch.Tensor, target: torch.Tensor, mask: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Return the weighted loss.

        Args:
            output: What the generator produced.
            target: What it should have produced, the same shape as ``output``.
            mask: Where to compare, broadcastable to ``output``; ``None`` compares everywhere.

        Returns:
            A scalar tensor: :attr:`weight` times :meth:`distance`.

        Raises:
            ValueError: If ``output`` and ``target`` differ in shape.
        """
        if output.shape != target.shape:
            # Broadcasting a (N, C) output against (N, 1) targets would silently give a wrong loss.
            raise ValueError(f"output {tuple(output.shape)} and target {tuple(target.shape)} differ in shape")
        return _scaled(self.weight, self.distance(output, target, mask))

    @abstractmethod
    def distance(
        self, output: torch.Tensor, target: torch.Tensor, mask: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Return the loss before :attr:`weight`; the arguments are those of :meth:`__call__`."""
