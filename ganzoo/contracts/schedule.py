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
- :meth:`~Schedule.attach`, once after the generators are built, and
  :meth:`~Schedule.after_generator_step`, after every generator update, go to every schedule.
- :meth:`~Schedule.averaged` gives the averaged copy of a generator, from the first schedule that
  keeps one.
- :meth:`~Schedule.state_dict` and :meth:`~Schedule.load_state_dict` save and restore each schedule.

Steps count trainer iterations from 0 (one batch each); epochs count from 0.
"""

from __future__ import annotations

from typing import Any, ClassVar

from torch import nn

__all__ = ["Schedule"]


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
