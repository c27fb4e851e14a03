"""Built-in training schedules: update order and ratio, learning-rate policies, weight averaging.

Each schedule subclasses :class:`~ganzoo.contracts.Schedule` (whose documentation says what each hook
means and how the answers of several schedules combine) and overrides only the hooks it is about;
:mod:`ganzoo.zoo` registers each class under the name users select it by.

:class:`~ganzoo.contracts.Schedule` and :class:`~ganzoo.training.schedule_set.CombinedSchedule` are
also importable from this module, where they used to live, so that existing plugins keep working.
"""

import copy
import math
from typing import Any

import torch
from torch import nn

from ganzoo.contracts.schedule import Schedule, StepControls
from ganzoo.training.schedule_set import CombinedSchedule  # noqa: F401  (re-exported for existing plugins)

__all__ = ["AlternatingSchedule", "CosineSchedule", "EMASchedule", "LinearDecaySchedule", "TTURSchedule", "WarmupSchedule"]


class AlternatingSchedule(Schedule):
    """Alternating updates with several discriminator steps per generator step.

    Goodfellow, I., Pouget-Abadie, J., Mirza, M., Xu, B., Warde-Farley, D., Ozair, S., Courville, A.
    and Bengio, Y. "Generative Adversarial Nets". NeurIPS 2014. arXiv:1406.2661 (Algorithm 1,
    ``k`` discriminator steps per generator step).

    Arjovsky, M., Chintala, S. and Bottou, L. "Wasserstein Generative Adversarial Networks".
    ICML 2017. arXiv:1701.07875 (``n_critic = 5``).

    The discriminator updates at every step; the generator at steps where
    ``(step + 1) % n_critic == 0``, i.e. after every ``n_critic`` discriminator updates.

    Args:
        n_critic: Discriminator updates per generator update (1 for most GANs, 5 for WGAN).
        d_first: Whether the discriminator updates before the generator within a step.
    """


    def __init__(self, *, n_critic: int = 1, d_first: bool = True) -> None:
        if n_critic < 1:
            raise ValueError(f"n_critic must be >= 1, got {n_critic!r}")
        self.n_critic = n_critic
        self.discriminator_first = d_first

    def update_generator(self, step: int) -> bool:
        return (step + 1) % self.n_critic == 0


class TTURSchedule(Schedule):
    """Two time-scale update rule: separate learning rates for the generator and the discriminator.

    Heusel, M., Ramsauer, H., Unterthiner, T., Nessler, B. and Hochreiter, S. "GANs Trained by a Two
    Time-Scale Update Rule Converge to a Local Nash Equilibrium". NeurIPS 2017. arXiv:1706.08500.

    The defaults are those of SAGAN (Zhang, H., Goodfellow, I., Metaxas, D. and Odena, A.
    "Self-Attention Generative Adversarial Networks". ICML 2019. arXiv:1805.08318), which pairs a
    faster discriminator with a single discriminator step per generator step. These rates replace the
    configured ones.

    Args:
        generator_lr: The generators' learning rate.
        discriminator_lr: The discriminators' learning rate.
    """


    def __init__(self, *, generator_lr: float = 1e-4, discriminator_lr: float = 4e-4) -> None:
        for key, value in (("generator_lr", generator_lr), ("discriminator_lr", discriminator_lr)):
            if not (value > 0 and math.isfinite(value)):
                raise ValueError(f"{key} must be a finite number > 0, got {value!r}")
        self.generator_lr = generator_lr
        self.discriminator_lr = discriminator_lr

    def learning_rates(self, base: dict[str, float]) -> dict[str, float]:
        rates = {"generator": self.generator_lr, "discriminator": self.discriminator_lr}
        return {role: rates.get(role, lr) for role, lr in base.items()}


class LinearDecaySchedule(Schedule):
    """Constant learning rate, then a linear decay to zero: the pix2pix and CycleGAN policy.

    Isola, P., Zhu, J.-Y., Zhou, T. and Efros, A. A. "Image-to-Image Translation with Conditional
    Adversarial Networks". CVPR 2017. arXiv:1611.07004.

    Zhu, J.-Y., Park, T., Isola, P. and Efros, A. A. "Unpaired Image-to-Image Translation using
    Cycle-Consistent Adversarial Networks". ICCV 2017. arXiv:1703.10593.

    For the 0-based epoch ``e`` the factor is
    ``1 - max(0, e + 1 - n_epochs) / (n_epochs_decay + 1)``, the reference code's ``lambda_rule``
    with ``epoch_count = 1``: 1.0 for epochs 0 to ``n_epochs - 1``, then falling by
    ``1 / (n_epochs_decay + 1)`` per epoch to ``1 / (n_epochs_decay + 1)`` in the last epoch
    ``n_epochs + n_epochs_decay - 1``. Past the end it stays at 0 rather than turning negative.

    Args:
        n_epochs: Epochs at the initial learning rate.
        n_epochs_decay: Epochs of linear decay after them.
    """


    def __init__(self, *, n_epochs: int = 100, n_epochs_decay: int = 100) -> None:
        if n_epochs < 0 or n_epochs_decay < 0:
            raise ValueError(f"n_epochs and n_epochs_decay must be >= 0, got {n_epochs!r}, {n_epochs_decay!r}")
        self.n_epochs = n_epochs
        self.n_epochs_decay = n_epochs_decay

    def lr_factor(self, epoch: int) -> float:
        return max(0.0, 1.0 - max(0, epoch + 1 - self.n_epochs) / float(self.n_epochs_decay + 1))


class WarmupSchedule(Schedule):
    """Linear learning-rate warm-up over the first steps, for every network or for one role or network.

    Goyal, P., Dollár, P., Girshick, R., Noordhuis, P., Wesolowski, L., Kyrola, A., Tulloch, A., Jia, Y.
    and He, K. "Accurate, Large Minibatch SGD: Training ImageNet in 1 Hour". arXiv:1706.02677
    (gradual warm-up, §2.2).

    At step ``s`` (counted from 0) the learning rate of the chosen networks is multiplied by
    ``min(1, (s + 1) / steps)``: ``1 / steps`` at the first step, rising linearly to the full rate at
    step ``steps - 1``. The factor multiplies the other schedules' (an epoch decay, another warm-up).
    It follows from the step alone, so a resumed run continues it exactly.

    Args:
        steps: Steps of warm-up (0 switches it off).
        role: Which networks warm up: ``generator``, ``discriminator``, one network instance of the
            run (``G``, ``D_A``), or an empty string for every network.
    """

    def __init__(self, *, steps: int = 500, role: str = "") -> None:
        if steps < 0:
            raise ValueError(f"steps must be >= 0 (0 switches the warm-up off), got {steps!r}")
        self.steps = steps
        self.role = role

    def before_step(self, step: int, epoch: float, controls: StepControls) -> None:
        target = self.role or None
        if step < self.steps:
            controls.scale_lr((step + 1) / self.steps, target)
        else:
            controls.select(target)  # the name is checked whether or not the warm-up is over


class CosineSchedule(Schedule):
    """Cosine decay of the learning rates, Adam's beta2 and chosen loss weights over the first steps.

    Huang, N., Gokaslan, A., Kuleshov, V. and Tompkin, J. "The GAN is dead; long live the GAN! A
    Modern GAN Baseline". NeurIPS 2024. arXiv:2501.05441 (its ``cosine_decay_with_warmup`` schedules,
    without warm-up, for lr, beta2 and gamma).

    At step ``s`` (counted from 0) each value moves from its configured start ``a`` to its end ``b``
    as ``b + (a - b) * (1 + cos(pi * min(s, steps) / steps)) / 2`` and stays at ``b`` after ``steps``:
    the learning rates of every network by a factor that ends at ``lr_to``; beta2 of every network to
    ``beta2_to`` (a negative value leaves beta2 alone); the weight of each loss named in ``losses`` by
    a factor that ends at ``weight_to``. It follows from the step alone, so a resumed run continues it
    exactly.

    Args:
        steps: Steps of the decay (0 switches it off).
        lr_to: The learning rates' final factor (R3GAN on CIFAR-10: 5e-5 / 2e-4 = 0.25).
        beta2_to: Adam's final beta2 (R3GAN: 0.99); negative: keep the configured one.
        weight_to: The final factor on the weights of ``losses`` (R3GAN: gamma 0.05 → 0.005, 0.1).
        losses: Keys of the penalties or reconstruction losses to decay, comma-separated (``r1,r2``).
    """

    def __init__(self, *, steps: int = 0, lr_to: float = 1.0, beta2_to: float = -1.0, weight_to: float = 1.0, losses: str = "") -> None:
        if steps < 0:
            raise ValueError(f"steps must be >= 0 (0 switches the decay off), got {steps!r}")
        for key, value in (("lr_to", lr_to), ("weight_to", weight_to)):
            if not (value >= 0 and math.isfinite(value)):
                raise ValueError(f"{key} must be a finite number >= 0, got {value!r}")
        if not beta2_to < 1.0:
            raise ValueError(f"beta2_to must be below 1 (negative keeps the configured beta2), got {beta2_to!r}")
        self.steps, self.lr_to, self.beta2_to, self.weight_to = steps, lr_to, beta2_to, weight_to
        self.losses = [key.strip() for key in losses.split(",") if key.strip()]

    def progress(self, step: int) -> float:
        """How far the decay has come at a step: 1 at the start, 0 from ``steps`` on."""
        if self.steps == 0:
            return 1.0
        return 0.5 * (1.0 + math.cos(math.pi * min(step, self.steps) / self.steps))

    def before_step(self, step: int, epoch: float, controls: StepControls) -> None:
        c = self.progress(step)
        controls.scale_lr(self.lr_to + (1.0 - self.lr_to) * c)
        if self.beta2_to >= 0:
            for name in controls.networks:
                beta1, beta2 = controls.betas(name)
                controls.set_betas((beta1, self.beta2_to + (beta2 - self.beta2_to) * c), name)
        weights = controls.weights
        for key in self.losses:  # set_weight names the run's losses if a key is not one of them
            controls.set_weight(key, weights.get(key, 0.0) * (self.weight_to + (1.0 - self.weight_to) * c))


class EMASchedule(Schedule):
    """Exponential moving average of the generators' weights, used for sampling and evaluation.

    Karras, T., Aila, T., Laine, S. and Lehtinen, J. "Progressive Growing of GANs for Improved
    Quality, Stability, and Variation". ICLR 2018. arXiv:1710.10196.

    Yazıcı, Y., Foo, C.-S., Winkler, S., Yap, K.-H., Piliouras, G. and Chandrasekhar, V. "The Unusual
    Effectiveness of Averaging in GAN Training". ICLR 2019. arXiv:1806.04498.

    The schedule keeps a frozen deep copy of each generator. After generator update number ``k``
    (counted from 0) the copy's floating-point parameters become
    ``decay * average + (1 - decay) * weights``; for ``k <= start_step`` the copy is set to the
    weights instead, so averaging starts from the weights after update ``start_step``. Other buffers
    are copied. The copies are never optimised; sample from :meth:`averaged`.

    Batch normalisation in a copy always normalises with the statistics of the batch it is given,
    in evaluation mode too (as the DCGAN reference samples): running statistics gathered by the live
    weights do not fit the averaged ones. Averages saved with running statistics still load; those
    statistics are dropped.

    Args:
        decay: Weight of the running average at each update, in ``[0, 1]``.
        start_step: Index of the last generator update whose weights are copied rather than averaged.

    Attributes:
        step: Generator updates seen so far; saved in :meth:`state_dict`.
    """


    def __init__(self, *, decay: float = 0.999, start_step: int = 0) -> None:
        if not 0.0 <= decay <= 1.0:
            raise ValueError(f"decay must be in [0, 1], got {decay!r}")
        if start_step < 0:
            raise ValueError(f"start_step must be >= 0, got {start_step!r}")
        self.decay = decay
        self.start_step = start_step
        self.step = 0
        self._averages: dict[str, nn.Module] = {}
        self._pending: dict[str, dict[str, torch.Tensor]] = {}

    def attach(self, generators: dict[str, nn.Module]) -> None:
        for name, generator in generators.items():
            if name in self._averages:
                continue
            average = _with_batch_statistics(copy.deepcopy(generator).requires_grad_(False))
            if name in self._pending:
                _load_average(average, self._pending.pop(name))
            self._averages[name] = average

    @torch.no_grad()
    def after_generator_step(self, generators: dict[str, nn.Module]) -> None:
        self.attach(generators)
        restart = self.step <= self.start_step
        for name, generator in generators.items():
            average = self._averages[name]
            current = dict(generator.named_parameters())
            for key, parameter in average.named_parameters():
                if restart or not parameter.is_floating_point():
                    parameter.copy_(current[key])
                else:
                    parameter.lerp_(current[key], 1.0 - self.decay)
            current = dict(generator.named_buffers())
            for key, buffer in average.named_buffers():  # batch norm's running statistics are gone
                buffer.copy_(current[key])
        self.step += 1

    def averaged(self, name: str) -> nn.Module | None:
        return self._averages.get(name)

    def state_dict(self) -> dict[str, Any]:
        averages = {name: module.state_dict() for name, module in self._averages.items()}
        # Averages loaded before attach() are still waiting; keep them so a save round-trips.
        return {"step": self.step, "averages": {**self._pending, **averages}}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.step = int(state["step"])
        for name, weights in state["averages"].items():
            if name in self._averages:
                _load_average(self._averages[name], weights)
            else:
                self._pending[name] = weights


def _with_batch_statistics(module: nn.Module) -> nn.Module:
    """Make every batch-norm layer of ``module`` normalise with batch statistics, and keep none."""
    for layer in module.modules():
        if isinstance(layer, nn.modules.batchnorm._BatchNorm):
            layer.track_running_stats = False
            layer.running_mean = layer.running_var = layer.num_batches_tracked = None
    return module


def _load_average(average: nn.Module, weights: dict[str, torch.Tensor]) -> None:
    """Load an average's weights, dropping batch-norm running statistics it no longer keeps."""
    kept = average.state_dict()
    statistics = ("running_mean", "running_var", "num_batches_tracked")
    average.load_state_dict({k: v for k, v in weights.items() if k in kept or not k.endswith(statistics)})
