"""Built-in discriminator regularisers beyond the classic penalties: R2 and LeCam.

Both are :class:`~ganzoo.contracts.Penalty` parts: the trainer adds their weighted value to the
discriminator's loss, lazily when ``every`` > 1. R2 is the counterpart of the R1 penalty of
:mod:`ganzoo.zoo.losses` on generated data; LeCam keeps moving averages of the discriminator's
outputs between steps and saves them in checkpoints (:class:`~ganzoo.contracts.LossState`).
"""

import math
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F

from ganzoo.contracts.losses import Condition, Logits, Penalty

__all__ = ["LeCamRegulariser", "R2Penalty", "discriminator_scores"]


class R2Penalty(Penalty):
    r"""R2 regulariser: penalises the discriminator's gradient on generated data.

    Mescheder, L., Geiger, A. and Nowozin, S. "Which Training Methods for GANs do actually
    Converge?". ICML 2018. arXiv:1801.04406.

    Huang, N., Gokaslan, A., Kuleshov, V. and Tompkin, J. "The GAN is dead; long live the GAN! A
    Modern GAN Baseline". NeurIPS 2024. arXiv:2501.05441 (R3GAN: RpGAN with R1 and R2, same γ).

    The penalty is :math:`\frac{\gamma}{2}\, \mathbb{E}[\lVert \nabla_{\tilde x} D(\tilde x) \rVert_2^2]`
    over generated samples :math:`\tilde x = G(z)` (detached from the generator); ``real`` is accepted
    for a uniform interface and not used.

    Args:
        weight: :math:`\gamma`; the penalty is :math:`\gamma / 2` times the mean squared gradient
            norm (R3GAN uses the same γ for R1 and R2: 0.05 decayed to 0.005 on CIFAR-10).
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
        return 0.5 * self.input_gradients(discriminator, fake, condition).pow(2).sum(dim=1).mean()


def discriminator_scores(
    discriminator: Callable[..., Logits], images: torch.Tensor, condition: Condition = None
) -> torch.Tensor:
    """Each sample's score, ``(N,)``: the mean of its logits, averaged over scales (as the penalties score).

    The images and the condition are detached: the score's gradient reaches the discriminator's
    parameters only.
    """
    images = images.detach()
    if condition is None:
        outputs = discriminator(images)
    elif isinstance(condition, torch.Tensor):
        outputs = discriminator(images, condition.detach())
    else:
        outputs = discriminator(images, *(c.detach() for c in condition))
    scales = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
    per_sample = [s.reshape(s.shape[0], -1).mean(dim=1) for s in scales]
    return per_sample[0] if len(per_sample) == 1 else torch.stack(per_sample).mean(dim=0)


class LeCamRegulariser(Penalty):
    r"""LeCam regulariser: keeps the discriminator's outputs near moving anchors of the other side's.

    Tseng, H.-Y., Jiang, L., Liu, C., Yang, M.-H. and Yang, W. "Regularizing Generative Adversarial
    Networks under Limited Data". CVPR 2021. arXiv:2104.03310.

    Two anchors, exponential moving averages of the discriminator's mean score on real data
    (:math:`\alpha_R`) and on generated data (:math:`\alpha_F`), are updated with the current batch
    first, and the penalty is then

    .. math:: \lambda\, \bigl(\mathbb{E}[\operatorname{relu}(D(x) - \alpha_F)^2]
              + \mathbb{E}[\operatorname{relu}(\alpha_R - D(G(z)))^2]\bigr)

    as in the reference code (google/lecam-gan, ``lecam_reg``), with :math:`D` each sample's score
    (the mean of its logits, averaged over scales, as the other penalties score). The first update sets each anchor to
    the batch mean rather than blending it with an arbitrary start value. The anchors are part of the
    run's state: checkpoints save them and a resumed run continues from them.

    Args:
        weight: :math:`\lambda`, the factor on the penalty (0.3 by default; the paper tunes it per
            data set and model).
        every: Apply the penalty on every ``every``-th training step only, ``every`` times as
            strong; the anchors are then updated on those steps only.
        decay: Decay of the moving averages, in ``[0, 1)`` (0.99 in the reference code).
    """

    def __init__(self, *, weight: float = 0.3, every: int = 1, decay: float = 0.99) -> None:
        super().__init__(weight=weight, every=every)
        if not (0.0 <= decay < 1.0 and math.isfinite(decay)):
            raise ValueError(f"decay must be a number in [0, 1) (0.99 in the paper), got {decay!r}")
        self.decay = decay
        self.anchor_real: float | None = None
        self.anchor_fake: float | None = None

    def _moved(self, anchor: float | None, value: float) -> float:
        return value if anchor is None else self.decay * anchor + (1.0 - self.decay) * value

    def penalty(
        self,
        discriminator: Callable[..., Logits],
        real: torch.Tensor,
        fake: torch.Tensor,
        condition: Condition = None,
    ) -> torch.Tensor:
        real_scores = discriminator_scores(discriminator, real, condition)
        fake_scores = discriminator_scores(discriminator, fake, condition)
        self.anchor_real = self._moved(self.anchor_real, float(real_scores.detach().mean()))
        self.anchor_fake = self._moved(self.anchor_fake, float(fake_scores.detach().mean()))
        return F.relu(real_scores - self.anchor_fake).pow(2).mean() + F.relu(self.anchor_real - fake_scores).pow(2).mean()

    def state_dict(self) -> dict[str, Any]:
        """The two anchors (``None`` before the first update)."""
        return {"anchor_real": self.anchor_real, "anchor_fake": self.anchor_fake}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore the anchors saved by :meth:`state_dict`."""
        self.anchor_real = None if state.get("anchor_real") is None else float(state["anchor_real"])
        self.anchor_fake = None if state.get("anchor_fake") is None else float(state["anchor_fake"])
