"""One training step: the discriminators' and the generators' updates, in the order the schedules say.

:class:`TrainingStep` holds what the updates change besides the weights (optimisers, learning-rate
schedulers, history pools, the noise stream, the loss scaler) and takes one step on a batch:

1. the tensors ``forward`` describes are made on demand (:class:`~ganzoo.training.graph.StepTensors`);
2. the discriminators are updated: for each ``adversarial`` entry, the adversarial loss on real and
   (detached, optionally pooled) fake images, plus every penalty that is due;
3. the generators are updated: the adversarial losses through the (frozen) discriminators (for a
   loss with ``uses_real_logits``, also the same discriminator's logits on the real batch, computed
   without gradients), plus every reconstruction loss on the tensors its ``objective`` entry names.

When the run augments (:mod:`ganzoo.contracts.augment`), every image a discriminator sees passes
through that discriminator's augmentation first: reals and fakes in both updates, and the penalties
are computed on the augmented batches; after the discriminators' update, each augmentation sees its
discriminator's logits on the augmented reals.

Generated tensors are computed once per step and shared by both updates. In a multi-process run the
gradients are averaged over the processes before each optimiser step.

The losses of a step are named ``D/KEY`` (the discriminators' update) and ``G/KEY`` (the
generators'), by the key of each loss in the run's ``loss`` section (``D/adversarial``, ``D/r1``,
``G/adversarial``, ``G/l1``); with more than one adversarial pair, the adversarial and penalty terms
end in the pair's discriminator (``D/adversarial/D_A``, ``G/adversarial/D_B``). Runs written before
named them ``D/D``, ``D/D/r1`` and ``G/adversarial/D``; both forms start with ``D/`` or ``G/``, which
is all the loss plot reads.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

from ganzoo import vocabulary as names
from ganzoo.contracts import StepControls
from ganzoo.training import distributed
from ganzoo.training.build import ROLES, AdversarialPair, BuiltRun
from ganzoo.training.devices import autocast
from ganzoo.training.graph import StepTensors
from ganzoo.training.pool import HistoryPool
from ganzoo.training.streams import NOISE_SEED_OFFSET

logger = logging.getLogger("ganzoo.training")

def _sum(terms: list[torch.Tensor]) -> torch.Tensor:
    """The sum of a step's loss terms, with no zero tensor to start from (one kernel fewer per update)."""
    total = terms[0]
    for term in terms[1:]:
        total = total + term
    return total


#: Device types with a fused Adam kernel in torch.
FUSED_ADAM_DEVICES = ("cpu", "cuda", "mps", "xpu")


def _set_requires_grad(modules: Mapping[str, nn.Module], flag: bool) -> None:
    for module in modules.values():
        for parameter in module.parameters():
            parameter.requires_grad_(flag)


class TrainingStep:
    """Takes training steps on a built run.

    Args:
        run: The built run.
        group: The process group (gradients are averaged over it).
        amp: ``"none"``, ``"bf16"`` or ``"fp16"`` (checked by :func:`~ganzoo.training.devices.check_amp`).

    Attributes:
        optimizers: One Adam optimiser per network instance.
        lr_schedulers: One learning-rate scheduler per optimiser, following the schedules' epoch factor.
        pools: A history pool of generated images per discriminator.
        noise_generator: The stream the step's noise is drawn from.
    """

    def __init__(self, run: BuiltRun, *, group: distributed.ProcessGroup, amp: str) -> None:
        self.run = run
        self.group = group
        self.amp = amp
        self.device = run.device
        train = run.config["train"]
        self.skip_nonfinite = train["on_nonfinite"] == "skip"
        self.discriminators = run.discriminators
        self.generators = run.generators
        self.memory_format = torch.channels_last if train["channels_last"] else torch.contiguous_format
        if train["channels_last"]:
            for network in run.networks.values():
                network.to(memory_format=torch.channels_last)
        # What a step calls: the networks themselves, or their compiled versions (the originals keep
        # the weights and the checkpoint keys).
        self.callables: dict[str, Any] = (
            {name: torch.compile(network) for name, network in run.networks.items()} if train["compile"] else run.networks
        )
        #: The configured betas of each optimiser and weight of each weighted loss: every step's controls start from them.
        self.betas: dict[str, tuple[float, ...]] = {}
        self.weights = {key: float(penalty.weight) for key, penalty in run.penalties.items()}
        self.weights |= {objective.key: float(objective.loss.weight) for objective in run.objectives}
        self.optimizers, self.lr_schedulers = self._build_optimizers()
        seed = int(train["seed"])
        self.pools = {
            pair.discriminator: HistoryPool(int(run.config["pool_size"]), seed=seed + index)
            for index, pair in enumerate(run.adversarial)
        }
        self.noise_generator = torch.Generator(device=self.device).manual_seed(seed + NOISE_SEED_OFFSET + group.rank)
        self.scaler = torch.amp.GradScaler("cuda") if amp == "fp16" else None
        self.step = 0  # the number of steps taken before the current one (schedules and penalties read it)

    def _build_optimizers(self) -> tuple[dict[str, torch.optim.Optimizer], dict[str, torch.optim.lr_scheduler.LambdaLR]]:
        run = self.run
        settings = run.config["optim"]
        rates = run.schedule.learning_rates({role: float(settings[role]["lr"]) for role in ROLES})
        # The fused kernel where torch has one for the device; the per-tensor (foreach) loop elsewhere.
        fused = bool(run.config["train"]["fused_optimizer"]) and self.device.type in FUSED_ADAM_DEVICES
        optimizers, schedulers = {}, {}
        for name, network in run.networks.items():
            role = run.roles[name]
            options = settings[role]
            self.betas[name] = tuple(float(b) for b in options.get("betas", (0.5, 0.999)))
            optimizer = torch.optim.Adam(
                network.parameters(),
                lr=rates[role],
                betas=self.betas[name],
                weight_decay=float(options.get("weight_decay", 0.0)),
                foreach=None if fused else True,
                fused=fused or None,
            )
            optimizers[name] = optimizer
            schedulers[name] = torch.optim.lr_scheduler.LambdaLR(optimizer, run.schedule.lr_factor)
        return optimizers, schedulers

    # --- state ------------------------------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """The optimisers', schedulers', pools', scaler's and augmentations' states (checkpoint sections of those names)."""
        return {
            "optimizers": {name: optimizer.state_dict() for name, optimizer in self.optimizers.items()},
            "lr_schedulers": {name: scheduler.state_dict() for name, scheduler in self.lr_schedulers.items()},
            "pools": {name: pool.state_dict() for name, pool in self.pools.items()},
            "scaler": self.scaler.state_dict() if self.scaler is not None else None,
            # Only runs that augment have the section, so that a run without stays as it was.
            **({"augment": {name: augment.state_dict() for name, augment in self.run.augments.items()}} if self.run.augments else {}),
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned (``KeyError``/``ValueError`` if it does not fit)."""
        for name, optimizer in self.optimizers.items():
            optimizer.load_state_dict(state["optimizers"][name])
        for name, scheduler in self.lr_schedulers.items():
            scheduler.load_state_dict(state["lr_schedulers"][name])
        for name, pool in self.pools.items():
            pool.load_state_dict(state["pools"][name], self.device)
        if self.scaler is not None and state.get("scaler"):
            self.scaler.load_state_dict(state["scaler"])
        for name, augment in self.run.augments.items():
            augment.load_state_dict(state["augment"][name])

    def augment_values(self) -> dict[str, float]:
        """The augmentations' values to log (``augment/p``; ``augment/p/D_A`` with several discriminators)."""
        several = len(self.run.augments) > 1
        return {
            f"augment/{key}" + (f"/{name}" if several else ""): float(value)
            for name, augment in self.run.augments.items()
            for key, value in augment.log_values().items()
        }

    # --- one step ---------------------------------------------------------------------------------

    def apply_controls(self, step: int, epoch: float) -> None:
        """Let the schedules set this step's learning rates, betas and loss weights (:class:`~ganzoo.contracts.StepControls`).

        Every step starts from the configured values, so what a schedule sets lasts one step. Runs
        whose schedules do not override ``before_step`` skip this entirely.
        """
        schedule = self.run.schedule
        if not schedule.controls_steps:
            return
        controls = StepControls(self.run.roles, self.betas, self.weights)
        schedule.before_step(step, epoch, controls)
        for name, optimizer in self.optimizers.items():
            # The epoch's rate, from LambdaLR (which computes it afresh from the base rate each epoch).
            rates = self.lr_schedulers[name].get_last_lr()
            for group, rate in zip(optimizer.param_groups, rates, strict=True):
                group["lr"] = rate * controls.lr_factor(name)
                group["betas"] = controls.betas(name)
        for key, weight in controls.weights.items():
            self.run.losses[key].weight = weight

    def _noise(self, batch_size: int, latent_dim: int) -> torch.Tensor:
        return torch.randn(batch_size, latent_dim, device=self.device, generator=self.noise_generator)

    def _discriminator_inputs(self, pair: AdversarialPair, tensors: StepTensors, image: torch.Tensor) -> list[torch.Tensor]:
        """What the pair's discriminator is called with: the image first, augmented (with its condition) when the run augments."""
        condition = tensors[pair.condition].detach() if pair.condition else None
        augment = self.run.augments.get(pair.discriminator)
        if augment is not None:
            image, condition = augment(image, condition)
        values = {names.IMAGE: image}
        if condition is not None:
            values[names.CONDITION] = condition
        if names.LABEL in tensors:
            values[names.LABEL] = tensors[names.LABEL]
        return [values[name] for name in self.discriminators[pair.discriminator].inputs]

    def _which(self, pair: AdversarialPair) -> str:
        """What a loss key adds to name its pair: nothing with one pair, ``/D_A`` with several."""
        return f"/{pair.discriminator}" if len(self.run.adversarial) > 1 else ""

    def loss_key(self, key: str) -> str:
        """A loss's name in this run, for one a checkpoint written before may hold (``D/D`` → ``D/adversarial``)."""
        parts = key.split("/")
        pairs = {pair.discriminator: pair for pair in self.run.adversarial}
        if parts[0] == "D" and len(parts) in (2, 3) and parts[1] in pairs:  # D/D, D/D/r1
            pair = pairs[parts[1]]
            return f"D/{parts[2] if len(parts) == 3 else pair.loss}{self._which(pair)}"
        if parts[:2] == ["G", "adversarial"] and len(parts) == 3 and parts[2] in pairs:  # G/adversarial/D
            pair = pairs[parts[2]]
            return f"G/{pair.loss}{self._which(pair)}"
        return key

    def _discriminator_update(self, tensors: StepTensors, compute_fakes_with_grad: bool) -> dict[str, torch.Tensor]:
        run = self.run
        losses: dict[str, torch.Tensor] = {}
        terms: list[torch.Tensor] = []
        due = [(key, penalty) for key, penalty in run.penalties.items() if penalty.due(self.step)]
        seen: dict[str, Any] = {}  # each augmented discriminator's logits on the reals, for its augmentation
        with autocast(self.amp, self.device):
            for pair in run.adversarial:
                with torch.set_grad_enabled(compute_fakes_with_grad):
                    fake = tensors[pair.fake]
                fake = self.pools[pair.discriminator](fake.detach())
                real = tensors[pair.real]
                discriminator = self.callables[pair.discriminator]
                real_inputs = self._discriminator_inputs(pair, tensors, real)
                real_logits = discriminator(*real_inputs)
                fake_inputs = self._discriminator_inputs(pair, tensors, fake)
                fake_logits = discriminator(*fake_inputs)
                if pair.discriminator in run.augments:
                    seen[pair.discriminator] = real_logits
                loss = run.losses[pair.loss].discriminator_loss(real_logits, fake_logits)
                if pair.weight != 1.0:
                    loss = pair.weight * loss
                losses[f"D/{pair.loss}{self._which(pair)}"] = loss.detach()
                for key, penalty in due:
                    # Penalties differentiate twice: through the plain module, never a compiled one.
                    # On the images the discriminator judged: augmented ones when the run augments.
                    value = penalty(self.discriminators[pair.discriminator], real_inputs[0], fake_inputs[0], condition=real_inputs[1:] or None)
                    losses[f"D/{key}{self._which(pair)}"] = value.detach()
                    loss = loss + value
                terms.append(loss)
        self._apply(_sum(terms), [self.optimizers[name] for name in self.discriminators])
        for name, logits in seen.items():
            run.augments[name].observe_real_logits([t.detach() for t in logits] if isinstance(logits, (list, tuple)) else logits.detach())
        return losses

    def _generator_update(self, tensors: StepTensors) -> dict[str, torch.Tensor]:
        run = self.run
        losses: dict[str, torch.Tensor] = {}
        terms: list[torch.Tensor] = []
        _set_requires_grad(self.discriminators, False)  # no gradients for D's weights here
        try:
            with autocast(self.amp, self.device):
                for pair in run.adversarial:
                    fake = tensors[pair.fake]
                    discriminator = self.callables[pair.discriminator]
                    logits = discriminator(*self._discriminator_inputs(pair, tensors, fake))
                    loss = run.losses[pair.loss]
                    if getattr(loss, "uses_real_logits", False):
                        # This pair's discriminator, at its current weights; constants for G's update.
                        real_inputs = self._discriminator_inputs(pair, tensors, tensors[pair.real])
                        with torch.no_grad():
                            real_logits = discriminator(*real_inputs)
                        value = loss.generator_loss(logits, real_logits=real_logits)
                    else:
                        value = loss.generator_loss(logits)  # the one-argument form older losses define
                    if pair.weight != 1.0:
                        value = pair.weight * value
                    losses[f"G/{pair.loss}{self._which(pair)}"] = value.detach()
                    terms.append(value)
                for objective in run.objectives:
                    mask = tensors[objective.mask] if objective.mask else None
                    value = objective.loss(tensors[objective.output], tensors[objective.target], mask=mask)
                    losses[f"G/{objective.key}"] = value.detach()
                    terms.append(value)
            self._apply(_sum(terms), [self.optimizers[name] for name in self.generators])
        finally:
            _set_requires_grad(self.discriminators, True)
        run.schedule.after_generator_step(self.generators)
        return losses

    def _apply(self, loss: torch.Tensor, optimizers: list[torch.optim.Optimizer]) -> None:
        if self.skip_nonfinite and not torch.isfinite(loss):
            logger.warning("step %d: non-finite loss, update skipped", self.step)
            for optimizer in optimizers:
                optimizer.zero_grad(set_to_none=True)
            return
        for optimizer in optimizers:
            optimizer.zero_grad(set_to_none=True)
        if self.scaler is not None:
            self.scaler.scale(loss).backward()
            self._average_gradients(optimizers)
            for optimizer in optimizers:
                self.scaler.step(optimizer)
            self.scaler.update()
        else:
            loss.backward()
            self._average_gradients(optimizers)
            for optimizer in optimizers:
                optimizer.step()

    def _average_gradients(self, optimizers: list[torch.optim.Optimizer]) -> None:
        if self.group.enabled:
            chosen = [name for name, optimizer in self.optimizers.items() if optimizer in optimizers]
            distributed.average_gradients([self.run.networks[name] for name in chosen], self.group.world_size)

    def __call__(self, batch: Mapping[str, torch.Tensor], step: int, epoch: float = 0.0) -> dict[str, torch.Tensor]:
        """Take step number ``step + 1`` on a batch of epoch ``epoch`` (fractional); returns the losses as (device) tensors."""
        self.step = step
        self.apply_controls(step, epoch)
        batch = {
            key: value.to(self.device, non_blocking=True, memory_format=self.memory_format)
            if value.dim() == 4 else value.to(self.device, non_blocking=True)
            for key, value in batch.items()
        }
        tensors = StepTensors(batch, self.run.computations, self.callables, self._noise)
        schedule = self.run.schedule
        update_d = schedule.update_discriminator(step)
        update_g = schedule.update_generator(step)
        losses: dict[str, torch.Tensor] = {}
        if schedule.discriminator_first:
            if update_d:
                losses |= self._discriminator_update(tensors, compute_fakes_with_grad=update_g)
            if update_g:
                losses |= self._generator_update(tensors)
        else:
            if update_g:
                losses |= self._generator_update(tensors)
            if update_d:
                losses |= self._discriminator_update(tensors, compute_fakes_with_grad=False)
        return losses
