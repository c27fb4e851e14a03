"""Built-in GAN losses, in three roles the generic trainer knows how to use.

Every loss is a small class with a keyword-only constructor and two class attributes: :attr:`name`, the
name users select it by, and :attr:`role`, which tells the trainer where the loss goes:

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
discriminators (see :mod:`ganzoo.network`); the losses apply a sigmoid where their maths needs one, in
numerically stable log-sigmoid form. Penalties and reconstruction losses return values already
multiplied by their ``weight``, so the trainer only adds terms up.
"""

import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import ClassVar

import torch
import torch.nn.functional as F

__all__ = [
    "PARTS",
    "AdversarialLoss",
    "BCEGANLoss",
    "CodeLoss",
    "CycleConsistencyLoss",
    "GradientPenalty",
    "HingeGANLoss",
    "IdentityLoss",
    "L1ReconstructionLoss",
    "LSGANLoss",
    "NonSaturatingGANLoss",
    "Penalty",
    "R1Penalty",
    "ReconstructionLoss",
    "WGANLoss",
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


# --------------------------------------------------------------------------------------------------
# Adversarial losses
# --------------------------------------------------------------------------------------------------


class AdversarialLoss(ABC):
    """Base class of the adversarial losses (role ``"adversarial"``).

    An adversarial loss turns a discriminator's logits into the discriminator's loss and the
    generator's adversarial loss, both to be minimised. Multi-scale discriminators return a list of
    logit tensors; the loss is then computed at each scale and the per-scale losses are averaged.

    Subclasses implement the loss for one scale, :meth:`scale_discriminator_loss` and
    :meth:`scale_generator_loss`; this class handles the scales and :attr:`d_scale`.

    Args:
        d_scale: Factor on the discriminator's loss. The pix2pix and CycleGAN reference code halve it
            (``0.5``) to slow the discriminator down relative to the generator.

    Attributes:
        name: The name users select the loss by.
        role: Always ``"adversarial"``.
    """

    name: ClassVar[str]
    role: ClassVar[str] = "adversarial"

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

    def generator_loss(self, fake_logits: Logits) -> torch.Tensor:
        """Return the generator's adversarial loss, averaged over scales.

        Args:
            fake_logits: The discriminator's logits on generated data.

        Returns:
            A scalar tensor.
        """
        return _mean([self.scale_generator_loss(f) for f in _scales(fake_logits)])

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
    def scale_generator_loss(self, fake: torch.Tensor) -> torch.Tensor:
        """Return the generator's adversarial loss at one scale.

        Args:
            fake: Logits on generated data at this scale.

        Returns:
            A scalar tensor.
        """


class BCEGANLoss(AdversarialLoss):
    r"""The original minimax GAN loss, with the saturating generator loss.

    Goodfellow, I., Pouget-Abadie, J., Mirza, M., Xu, B., Warde-Farley, D., Ozair, S., Courville, A.
    and Bengio, Y. "Generative Adversarial Nets". NeurIPS 2014. arXiv:1406.2661.

    With :math:`\sigma` the sigmoid and :math:`D` the logits, the discriminator minimises

    .. math:: -\mathbb{E}[\log \sigma(D(x))] - \mathbb{E}[\log(1 - \sigma(D(G(z))))]

    and the generator minimises :math:`\mathbb{E}[\log(1 - \sigma(D(G(z))))]`, the exact minimax
    game. That generator loss has vanishing gradients while the discriminator rejects generated
    samples confidently, so :class:`NonSaturatingGANLoss` is the usual choice in practice (it is the
    "vanilla" GAN mode of the pix2pix reference code and of the DCGAN tutorials).

    Args:
        d_scale: Factor on the discriminator's loss.
    """

    name = "bce"

    def scale_discriminator_loss(self, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        # BCE with logits is -log σ(x) against 1 and -log(1 - σ(x)) against 0, computed stably.
        return F.binary_cross_entropy_with_logits(
            real, torch.ones_like(real)
        ) + F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake))

    def scale_generator_loss(self, fake: torch.Tensor) -> torch.Tensor:
        # log(1 - σ(x)) is minus the BCE of x against 0.
        return -F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake))


class NonSaturatingGANLoss(BCEGANLoss):
    r"""The minimax discriminator loss with the non-saturating generator loss.

    Goodfellow, I., Pouget-Abadie, J., Mirza, M., Xu, B., Warde-Farley, D., Ozair, S., Courville, A.
    and Bengio, Y. "Generative Adversarial Nets". NeurIPS 2014. arXiv:1406.2661.

    The discriminator's loss is that of :class:`BCEGANLoss`; the generator minimises
    :math:`-\mathbb{E}[\log \sigma(D(G(z)))]`, which has the same fixed point but strong gradients
    early in training. This is the "vanilla" loss of the pix2pix reference code and of the classic
    MNIST and DCGAN tutorials.

    Args:
        d_scale: Factor on the discriminator's loss.
    """

    name = "nonsaturating"

    def scale_generator_loss(self, fake: torch.Tensor) -> torch.Tensor:
        return F.binary_cross_entropy_with_logits(fake, torch.ones_like(fake))


class LSGANLoss(AdversarialLoss):
    r"""Least-squares GAN loss: mean squared error to the targets 1 (real) and 0 (fake).

    Mao, X., Li, Q., Xie, H., Lau, R. Y. K., Wang, Z. and Smolley, S. P. "Least Squares Generative
    Adversarial Networks". ICCV 2017. arXiv:1611.04076.

    The discriminator minimises :math:`\mathbb{E}[(D(x) - 1)^2] + \mathbb{E}[D(G(z))^2]` and the
    generator :math:`\mathbb{E}[(D(G(z)) - 1)^2]`, on raw logits. This is the loss of the CycleGAN
    reference code, which also halves the discriminator's loss (``d_scale=0.5``).

    Args:
        d_scale: Factor on the discriminator's loss.
    """

    name = "lsgan"

    def scale_discriminator_loss(self, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        return F.mse_loss(real, torch.ones_like(real)) + F.mse_loss(fake, torch.zeros_like(fake))

    def scale_generator_loss(self, fake: torch.Tensor) -> torch.Tensor:
        return F.mse_loss(fake, torch.ones_like(fake))


class HingeGANLoss(AdversarialLoss):
    r"""Hinge GAN loss.

    Lim, J. H. and Ye, J. C. "Geometric GAN". arXiv preprint, 2017. arXiv:1705.02894.

    Miyato, T., Kataoka, T., Koyama, M. and Yoshida, Y. "Spectral Normalization for Generative
    Adversarial Networks". ICLR 2018. arXiv:1802.05957.

    The discriminator minimises
    :math:`\mathbb{E}[\max(0, 1 - D(x))] + \mathbb{E}[\max(0, 1 + D(G(z)))]` and the generator
    :math:`-\mathbb{E}[D(G(z))]`.

    Args:
        d_scale: Factor on the discriminator's loss.
    """

    name = "hinge"

    def scale_discriminator_loss(self, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        return F.relu(1.0 - real).mean() + F.relu(1.0 + fake).mean()

    def scale_generator_loss(self, fake: torch.Tensor) -> torch.Tensor:
        return -fake.mean()


class WGANLoss(AdversarialLoss):
    r"""Wasserstein GAN loss: the critic's estimate of the Wasserstein-1 distance.

    Arjovsky, M., Chintala, S. and Bottou, L. "Wasserstein Generative Adversarial Networks".
    ICML 2017. arXiv:1701.07875.

    The critic minimises :math:`\mathbb{E}[D(G(z))] - \mathbb{E}[D(x)]` and the generator
    :math:`-\mathbb{E}[D(G(z))]`. The estimate is only meaningful for a Lipschitz critic: pair this
    loss with :class:`GradientPenalty`, spectral normalisation or weight clipping, and usually with
    several critic steps per generator step (the ``alternating`` schedule with ``n_critic=5``).

    Args:
        d_scale: Factor on the critic's loss.
    """

    name = "wgan"

    def scale_discriminator_loss(self, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        return fake.mean() - real.mean()

    def scale_generator_loss(self, fake: torch.Tensor) -> torch.Tensor:
        return -fake.mean()


# --------------------------------------------------------------------------------------------------
# Penalties
# --------------------------------------------------------------------------------------------------

Condition = torch.Tensor | Sequence[torch.Tensor] | None
"""What a conditional discriminator sees beside the image: nothing, one tensor, or several."""


class Penalty(ABC):
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
        name: The name users select the penalty by.
        role: Always ``"penalty"``.
    """

    name: ClassVar[str]
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


class GradientPenalty(Penalty):
    r"""WGAN-GP gradient penalty: pushes the critic's gradient norm to 1 between real and fake data.

    Gulrajani, I., Ahmed, F., Arjovsky, M., Dumoulin, V. and Courville, A. "Improved Training of
    Wasserstein GANs". NeurIPS 2017. arXiv:1704.00028.

    For interpolates :math:`\hat{x} = \alpha x + (1 - \alpha) G(z)` with one
    :math:`\alpha \sim U[0, 1]` per sample, the penalty is
    :math:`\lambda\, \mathbb{E}[(\lVert \nabla_{\hat{x}} D(\hat{x}) \rVert_2 - 1)^2]`.
    The paper advises against batch normalisation in the critic, since the penalty treats samples
    independently.

    Args:
        weight: :math:`\lambda`, the factor on the penalty (10 in the paper).
        every: Apply the penalty on every ``every``-th training step only, ``every`` times as
            strong (lazy regularisation; 1: every step).
    """

    name = "gradient_penalty"

    def __init__(self, *, weight: float = 10.0, every: int = 1) -> None:
        super().__init__(weight=weight, every=every)

    def penalty(
        self,
        discriminator: Callable[..., Logits],
        real: torch.Tensor,
        fake: torch.Tensor,
        condition: Condition = None,
    ) -> torch.Tensor:
        if real.shape != fake.shape:
            raise ValueError(f"real {tuple(real.shape)} and fake {tuple(fake.shape)} differ in shape")
        alpha = torch.rand((real.shape[0],) + (1,) * (real.dim() - 1), device=real.device, dtype=real.dtype)
        interpolates = torch.lerp(fake.detach(), real.detach(), alpha)
        norms = torch.linalg.vector_norm(self.input_gradients(discriminator, interpolates, condition), dim=1)
        return (norms - 1.0).pow(2).mean()


class R1Penalty(Penalty):
    r"""R1 regulariser: penalises the discriminator's gradient on real data.

    Mescheder, L., Geiger, A. and Nowozin, S. "Which Training Methods for GANs do actually
    Converge?". ICML 2018. arXiv:1801.04406.

    The penalty is :math:`\frac{\gamma}{2}\, \mathbb{E}[\lVert \nabla_x D(x) \rVert_2^2]` over
    real samples :math:`x`; ``fake`` is accepted for a uniform interface and not used.

    Args:
        weight: :math:`\gamma`; the penalty is :math:`\gamma / 2` times the mean squared gradient
            norm.
        every: Apply the penalty on every ``every``-th training step only, ``every`` times as
            strong (lazy regularisation; 1: every step).
    """

    name = "r1"

    def __init__(self, *, weight: float = 10.0, every: int = 1) -> None:
        super().__init__(weight=weight, every=every)

    def penalty(
        self,
        discriminator: Callable[..., Logits],
        real: torch.Tensor,
        fake: torch.Tensor,
        condition: Condition = None,
    ) -> torch.Tensor:
        # The 1/2 belongs to the penalty so that ``weight`` is the paper's gamma.
        return 0.5 * self.input_gradients(discriminator, real, condition).pow(2).sum(dim=1).mean()


# --------------------------------------------------------------------------------------------------
# Reconstruction losses
# --------------------------------------------------------------------------------------------------


class ReconstructionLoss(ABC):
    """Base class of the losses that compare an output with its target (role ``"reconstruction"``).

    The trainer adds the returned value, already multiplied by :attr:`weight`, to the generator's
    loss. An optional mask restricts the comparison to a region (the in-painted area): it is 1 inside
    the region and 0 elsewhere, shaped ``(N, 1, H, W)`` (broadcast over channels) or like the output.

    Subclasses implement :meth:`distance`.

    Args:
        weight: Factor on the loss.

    Attributes:
        name: The name users select the loss by.
        role: Always ``"reconstruction"``.
    """

    name: ClassVar[str]
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


class L1ReconstructionLoss(ReconstructionLoss):
    r"""Mean absolute error between the output and its target: the pix2pix L1 term.

    Isola, P., Zhu, J.-Y., Zhou, T. and Efros, A. A. "Image-to-Image Translation with Conditional
    Adversarial Networks". CVPR 2017. arXiv:1611.07004.

    With a mask the mean is taken inside the mask only,
    :math:`\sum |y - \hat{y}| \cdot m \,/\, (\sum m \cdot C)` for a one-channel mask over
    :math:`C` channels, so the loss does not shrink with the size of the region (an empty mask gives
    0). ExGAN uses it for the in-painted region.

    Args:
        weight: Factor on the loss; :math:`\lambda_{L1} = 100` in pix2pix.
    """

    name = "l1"

    def __init__(self, *, weight: float = 100.0) -> None:
        super().__init__(weight=weight)

    def distance(
        self, output: torch.Tensor, target: torch.Tensor, mask: torch.Tensor | None = None
    ) -> torch.Tensor:
        error = (output - target).abs()
        if mask is None:
            return error.mean()
        mask = torch.broadcast_to(mask.to(error.dtype), error.shape)
        # Clamped so that an empty mask gives 0 and zero gradients rather than 0 / 0.
        return (error * mask).sum() / mask.sum().clamp_min(torch.finfo(error.dtype).eps)


class CycleConsistencyLoss(L1ReconstructionLoss):
    r"""Cycle-consistency loss: L1 between a twice-translated image and the original.

    Zhu, J.-Y., Park, T., Isola, P. and Efros, A. A. "Unpaired Image-to-Image Translation using
    Cycle-Consistent Adversarial Networks". ICCV 2017. arXiv:1703.10593.

    Called as ``loss(G_BA(G_AB(a)), a)``, once per direction.

    Args:
        weight: :math:`\lambda_{cycle}`, the factor on the loss (10 in CycleGAN, for both directions).
    """

    name = "cycle"

    def __init__(self, *, weight: float = 10.0) -> None:
        super().__init__(weight=weight)


class IdentityLoss(L1ReconstructionLoss):
    r"""Identity loss: L1 between a generator's output on an image of its target domain and that image.

    Zhu, J.-Y., Park, T., Isola, P. and Efros, A. A. "Unpaired Image-to-Image Translation using
    Cycle-Consistent Adversarial Networks". ICCV 2017. arXiv:1703.10593 (after Taigman, Y.,
    Polyak, A. and Wolf, L. "Unsupervised Cross-Domain Image Generation". ICLR 2017. arXiv:1611.02200).

    Called as ``loss(G_AB(b), b)``, once per direction. The CycleGAN reference code states the
    identity weight as a multiple of the cycle weight (``lambda_identity=0.5`` times
    :math:`\lambda_{cycle} = 10`); here ``weight`` is the absolute factor, so the default 5.0 is that
    product. If you change the cycle weight, set this to half of it to keep the reference ratio.

    Args:
        weight: Absolute factor on the loss (5.0 = 0.5 x the cycle weight 10).
    """

    name = "identity"

    def __init__(self, *, weight: float = 5.0) -> None:
        super().__init__(weight=weight)


class CodeLoss(ReconstructionLoss):
    r"""Perceptual loss between codes: the Euclidean distance between two code vectors.

    Dolhansky, B. and Canton Ferrer, C. "Eye In-Painting with Exemplar Generative Adversarial
    Networks". CVPR 2018. arXiv:1712.03999.

    The code-based ExGAN compares the code of the in-painted image with the exemplar's code,
    :math:`\lVert C(G(\cdot)) - c \rVert_2`, per sample, averaged over the batch. Called as
    ``loss(code_of_output, exemplar_code)`` with codes shaped ``(N, ...)``. A mask, if given,
    multiplies the difference before the norm (a binary mask keeps only the selected entries).

    Args:
        weight: Factor on the loss.
    """

    name = "code"

    def __init__(self, *, weight: float = 1.0) -> None:
        super().__init__(weight=weight)

    def distance(
        self, output: torch.Tensor, target: torch.Tensor, mask: torch.Tensor | None = None
    ) -> torch.Tensor:
        difference = output - target
        if mask is not None:
            difference = difference * mask
        return torch.linalg.vector_norm(difference.flatten(1), dim=1).mean()


PARTS: tuple[type[AdversarialLoss] | type[Penalty] | type[ReconstructionLoss], ...] = (
    BCEGANLoss,
    NonSaturatingGANLoss,
    LSGANLoss,
    HingeGANLoss,
    WGANLoss,
    GradientPenalty,
    R1Penalty,
    L1ReconstructionLoss,
    CycleConsistencyLoss,
    IdentityLoss,
    CodeLoss,
)
"""Every built-in loss of this module, in the order they are documented."""
