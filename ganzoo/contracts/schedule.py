"""The contract of the ``schedule`` parts: :class:`Schedule`.

A schedule is a small object the trainer consults during training: when each network updates, at
what learning rate, and which weight average to sample from. The trainer holds a list of them and
asks all of them (through :class:`~ganzoo.training.schedule_set.CombinedSchedule`), combining their
answers as listed below. Every hook of :class:`Schedule` has a default that changes nothing, so a
schedule overrides only what it is about:

- :meth:`~Schedule.update_discriminator` and :meth:`~Schedule.update_generator`, asked at every step,
  say whether each network updates; a network updates only if every schedule agrees.
- :attr:`~Schedule.discriminator_first` orders the two updates within a step; the discriminator goes
  first only if every schedule agrees.
- :meth:`~Schedule.learning_rates`, asked once when the optimisers are built, passes the configured
  rates through each schedule in turn.
- :meth:`~Schedule.lr_factor`, a ``LambdaLR`` factor asked once per epoch; the factors multiply.
- :meth:`~Schedule.before_step`, called before every step with the step, the (fractional) epoch and
  a :class:`StepControls`: it sets, for that step, per network instance or per role, a factor on
  the learning rate (the factors of every schedule multiply, and multiply the epoch's factor), Adam's
  betas, and the weights of penalties and reconstruction losses (the last schedule to set one wins).
  Every step starts again from the configured values, so a schedule whose settings follow from the
  step (a warm-up, a cosine decay) resumes exactly with no state of its own. A run whose schedules do
  not override it pays nothing for it.
- :meth:`~Schedule.attach`, once after the generators are built, and
  :meth:`~Schedule.after_generator_step`, after every generator update, go to every schedule.
- :meth:`~Schedule.averaged` gives the averaged copy of a generator, from the first schedule that
  keeps one.
- :meth:`~Schedule.state_dict` and :meth:`~Schedule.load_state_dict` save and restore each schedule.

Steps count trainer iterations from 0 (one batch each); epochs count from 0.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from torch import nn

from ganzoo.contracts.network import ROLES
from ganzoo.errors import ConfigError, did_you_mean

__all__ = ["Schedule", "StepControls"]


class StepControls:
    """What :meth:`Schedule.before_step` may set for one training step.

    The trainer makes one per step, holding the configured values: a learning-rate factor of 1 for
    every network (on top of the rate :meth:`Schedule.learning_rates` and :meth:`Schedule.lr_factor`
    gave), each network's configured Adam betas, and the configured weight of each penalty and
    reconstruction loss. After the schedules' ``before_step`` it applies what they set, for that
    step only.

    A *target* names the networks a setting applies to: a network instance (``"G"``, ``"D_A"``), a
    role (``"generator"`` or ``"discriminator"``: every network of that role), or ``None`` for every
    network.

    Args:
        roles: The role of each network instance, e.g. ``{"G": "generator", "D": "discriminator"}``.
        betas: Each network's configured betas.
        weights: The configured weight of each penalty and reconstruction loss, by its key in the
            run's ``loss`` section (``"r1"``, ``"l1"``, ``"cycle_A"``).

    Example::

        def before_step(self, step, epoch, controls):
            if step < 500:
                controls.scale_lr((step + 1) / 500, "generator")
            controls.set_weight("r1", 0.1 if epoch < 10 else 0.01)
    """

    def __init__(
        self,
        roles: Mapping[str, str],
        betas: Mapping[str, Sequence[float]] | None = None,
        weights: Mapping[str, float] | None = None,
    ) -> None:
        self._roles = dict(roles)
        self._lr_factors = dict.fromkeys(self._roles, 1.0)
        self._betas = {name: tuple(float(b) for b in (betas or {}).get(name, (0.5, 0.999))) for name in self._roles}
        self._weights = {key: float(weight) for key, weight in (weights or {}).items()}

    @property
    def networks(self) -> dict[str, str]:
        """The role of each network instance (a copy)."""
        return dict(self._roles)

    @property
    def weights(self) -> dict[str, float]:
        """This step's weight of each penalty and reconstruction loss, by key (a copy)."""
        return dict(self._weights)

    def select(self, target: str | None = None) -> list[str]:
        """The network instances a target names.

        Raises:
            ConfigError: If ``target`` is neither a network instance nor a role, naming the closest.
        """
        if target is None:
            return list(self._roles)
        if target in self._roles:
            return [target]
        if target in ROLES:
            return [name for name, role in self._roles.items() if role == target]
        known = [*ROLES, *self._roles]
        raise ConfigError(
            f"a schedule names the network '{target}', which this run does not have{did_you_mean(target, known)} "
            f"(networks: {', '.join(self._roles)}; roles: {', '.join(ROLES)})"
        )

    def scale_lr(self, factor: float, target: str | None = None) -> None:
        """Multiply this step's learning rate of the target networks by ``factor`` (factors accumulate).

        Raises:
            ValueError: If ``factor`` is negative or not finite.
        """
        if not (factor >= 0 and math.isfinite(factor)):
            raise ValueError(f"a learning-rate factor must be a finite number >= 0, got {factor!r}")
        for name in self.select(target):
            self._lr_factors[name] *= float(factor)

    def lr_factor(self, name: str) -> float:
        """This step's factor on a network's learning rate, so far."""
        return self._lr_factors[self.select(name)[0]]

    def set_betas(self, betas: Sequence[float], target: str | None = None) -> None:
        """Set Adam's ``(beta1, beta2)`` of the target networks for this step.

        Raises:
            ValueError: Unless ``betas`` are two numbers in ``[0, 1)``.
        """
        values = tuple(float(b) for b in betas)
        if len(values) != 2 or not all(0.0 <= b < 1.0 for b in values):
            raise ValueError(f"betas must be two numbers in [0, 1), got {tuple(betas)!r}")
        for name in self.select(target):
            self._betas[name] = values

    def betas(self, name: str) -> tuple[float, float]:
        """This step's Adam betas of a network, so far."""
        return self._betas[self.select(name)[0]]  # type: ignore[return-value]

    def set_weight(self, key: str, weight: float) -> None:
        """Set the weight of a penalty or reconstruction loss for this step (0 switches a penalty off).

        Raises:
            ConfigError: If the run has no penalty or reconstruction loss called ``key``.
            ValueError: If ``weight`` is negative or not finite.
        """
        if key not in self._weights:
            raise ConfigError(
                f"a schedule sets the weight of the loss '{key}', which this run does not have or has switched off"
                f"{did_you_mean(key, self._weights)} (penalties and reconstruction losses: {', '.join(self._weights) or 'none'})"
            )
        if not (weight >= 0 and math.isfinite(weight)):
            raise ValueError(f"a loss weight must be a finite number >= 0, got {weight!r}")
        self._weights[key] = float(weight)

    def weight(self, key: str) -> float:
        """This step's weight of a penalty or reconstruction loss, so far."""
        return self._weights[key]


class Schedule:
    """Base class of the training schedules; every hook defaults to "change nothing".

    Subclasses override the hooks they are about. A schedule that keeps state across steps (weights,
    counters) returns it from :meth:`state_dict` so that a resumed run continues exactly.

    Attributes:
        role: Always ``"schedule"``.
        discriminator_first: Whether, within one step, the discriminator updates before the
            generator. ``True`` by default.
    """

    role: ClassVar[str] = "schedule"
    discriminator_first: bool = True

    def update_discriminator(self, step: int) -> bool:
        """Return whether the discriminator updates at this step.

        Args:
            step: The trainer's iteration, counted from 0.

        Returns:
            ``True`` by default.
        """
        return True

    def update_generator(self, step: int) -> bool:
        """Return whether the generator updates at this step.

        Args:
            step: The trainer's iteration, counted from 0.

        Returns:
            ``True`` by default.
        """
        return True

    def learning_rates(self, base: dict[str, float]) -> dict[str, float]:
        """Return the learning rate of each role, given the configured ones.

        Args:
            base: Learning rate per role (``"generator"``, ``"discriminator"``).

        Returns:
            A new dictionary with the same roles; by default equal to ``base``.
        """
        return dict(base)

    def lr_factor(self, epoch: int) -> float:
        """Return the factor on every learning rate during an epoch, for a ``LambdaLR``.

        Args:
            epoch: The epoch about to be trained, counted from 0 (the ``LambdaLR`` counter).

        Returns:
            ``1.0`` by default.
        """
        return 1.0

    def before_step(self, step: int, epoch: float, controls: StepControls) -> None:
        """Set this step's learning-rate factors, betas or loss weights through ``controls``.

        Called before every step, and once more when a run is set up (for the step it starts from),
        so that a name the schedule cannot find stops the run before anything is written. Derive
        what you set from ``step``, ``epoch`` and the schedule's saved state, not from how often
        this was called. Changes nothing by default.

        Args:
            step: The trainer's iteration about to be taken, counted from 0.
            epoch: The epoch it belongs to plus the fraction of that epoch already trained
                (``2.5``: half-way through the third epoch).
            controls: What may be set: see :class:`StepControls`.
        """

    def attach(self, generators: dict[str, nn.Module]) -> None:
        """Give the schedule the generators, once, after they are built and on their device.

        Args:
            generators: The generators by name.
        """

    def after_generator_step(self, generators: dict[str, nn.Module]) -> None:
        """React to a generator update (called after each ``optimizer.step()`` of the generators).

        Args:
            generators: The generators by name, with their updated weights.
        """

    def averaged(self, name: str) -> nn.Module | None:
        """Return the averaged copy of a generator, if this schedule keeps one.

        Args:
            name: The generator's name, as in :meth:`after_generator_step`.

        Returns:
            The averaged module, or ``None`` (the default).
        """
        return None

    def state_dict(self) -> dict[str, Any]:
        """Return the schedule's state, for a checkpoint; empty by default.

        Returns:
            A dictionary of tensors and plain Python values (safe for ``torch.load(weights_only=True)``).
        """
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore the state returned by :meth:`state_dict`.

        Args:
            state: A dictionary from :meth:`state_dict`.
        """
