"""Built-in GAN losses: adversarial losses, penalties and reconstruction losses.

Each loss is a small class with a keyword-only constructor that subclasses one of the three bases in
:mod:`ganzoo.contracts.losses`, :class:`~ganzoo.contracts.AdversarialLoss`,
:class:`~ganzoo.contracts.Penalty` or :class:`~ganzoo.contracts.ReconstructionLoss`; the base says
where the trainer uses it. :mod:`ganzoo.zoo` registers each class under the name users select it by.

The three bases are also importable from this module, where they used to live, so that existing
plugins keep working; new code imports them from :mod:`ganzoo.contracts`.
"""

from collections.abc import Callable

import torch
import torch.nn.functional as F

# The three bases are also re-exported here, for plugins that import them from this module.
from ganzoo.contracts.losses import AdversarialLoss, Condition, Logits, Penalty, ReconstructionLoss

__all__ = [
    "BCEGANLoss",
    "CodeLoss",
    "CycleConsistencyLoss",
    "GradientPenalty",
    "HingeGANLoss",
    "IdentityLoss",
    "L1ReconstructionLoss",
    "LSGANLoss",
    "NonSaturatingGANLoss",
    "R1Penalty",
    "RelativisticAverageLoss",
    "RelativisticPairingLoss",
    "WGANLoss",
]


# --------------------------------------------------------------------------------------------------
# Adversarial losses
# --------------------------------------------------------------------------------------------------


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

    def scale_discriminator_loss(self, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        return fake.mean() - real.mean()

    def scale_generator_loss(self, fake: torch.Tensor) -> torch.Tensor:
        return -fake.mean()


class RelativisticPairingLoss(AdversarialLoss):
    r"""Relativistic pairing GAN loss (RpGAN): each real sample is judged against a generated one.

    Jolicoeur-Martineau, A. "The relativistic discriminator: a key element missing from standard
    GAN". ICLR 2019. arXiv:1807.00734.

    Huang, N., Gokaslan, A., Kuleshov, V. and Tompkin, J. "The GAN is dead; long live the GAN! A
    Modern GAN Baseline". NeurIPS 2024. arXiv:2501.05441 (R3GAN: this loss with R1 and R2).

    This is R3GAN's RpGAN loss, registered once as ``relativistic`` (one name per part); the
    ``r3gan`` recipe pairs it with the ``r1`` and ``r2`` penalties.

    With :math:`f(t) = \operatorname{softplus}(-t)`, the discriminator minimises
    :math:`\mathbb{E}[f(D(x) - D(G(z)))]` and the generator :math:`\mathbb{E}[f(D(G(z)) - D(x))]`,
    pairing the i-th real and generated samples of a batch (patch by patch for a PatchGAN). The
    generator's loss needs the discriminator's logits on real data, so the trainer computes them in
    the generator's update too (``uses_real_logits``).

    Args:
        d_scale: Factor on the discriminator's loss.
    """

    uses_real_logits = True

    def scale_discriminator_loss(self, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        return F.softplus(fake - real).mean()

    def scale_generator_loss(self, fake: torch.Tensor, real: torch.Tensor | None = None) -> torch.Tensor:
        if real is None:
            raise ValueError("the relativistic loss compares fake logits with real ones: pass real")
        return F.softplus(real - fake).mean()


class RelativisticAverageLoss(AdversarialLoss):
    r"""Relativistic average GAN loss (RaGAN): each sample is judged against the other side's mean.

    Jolicoeur-Martineau, A. "The relativistic discriminator: a key element missing from standard
    GAN". ICLR 2019. arXiv:1807.00734.

    With :math:`\tilde D_r = D(x) - \mathbb{E}[D(G(z))]` and :math:`\tilde D_f = D(G(z)) - \mathbb{E}[D(x)]`
    (batch means), the discriminator minimises :math:`\mathrm{BCE}(\tilde D_r, 1) + \mathrm{BCE}(\tilde D_f, 0)`
    and the generator the reverse, :math:`\mathrm{BCE}(\tilde D_f, 1) + \mathrm{BCE}(\tilde D_r, 0)`. The
    generator's loss needs the discriminator's logits on real data (``uses_real_logits``); they are
    constants of its update, so only the :math:`\tilde D_f` term and the mean of :math:`D(G(z))` inside
    :math:`\tilde D_r` carry its gradient.

    Args:
        d_scale: Factor on the discriminator's loss.
    """

    uses_real_logits = True

    @staticmethod
    def _pair(real: torch.Tensor, fake: torch.Tensor, real_target: float) -> torch.Tensor:
        """BCE of real-vs-mean-fake against ``real_target`` plus fake-vs-mean-real against its opposite."""
        real_rel, fake_rel = real - fake.mean(), fake - real.mean()
        return F.binary_cross_entropy_with_logits(
            real_rel, torch.full_like(real_rel, real_target)
        ) + F.binary_cross_entropy_with_logits(fake_rel, torch.full_like(fake_rel, 1.0 - real_target))

    def scale_discriminator_loss(self, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        return self._pair(real, fake, 1.0)

    def scale_generator_loss(self, fake: torch.Tensor, real: torch.Tensor | None = None) -> torch.Tensor:
        if real is None:
            raise ValueError("the relativistic average loss compares fake logits with real ones: pass real")
        return self._pair(real, fake, 0.0)


# --------------------------------------------------------------------------------------------------
# Penalties
# --------------------------------------------------------------------------------------------------


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

    def __init__(self, *, weight: float = 1.0) -> None:
        super().__init__(weight=weight)

    def distance(
        self, output: torch.Tensor, target: torch.Tensor, mask: torch.Tensor | None = None
    ) -> torch.Tensor:
        difference = output - target
        if mask is not None:
            difference = difference * mask
        return torch.linalg.vector_norm(difference.flatten(1), dim=1).mean()
