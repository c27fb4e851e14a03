"""The schedules of a run answering as one: :class:`CombinedSchedule`.

The trainer, ``ganzoo sample`` and evaluation consult a run's schedules through this one object, by
the rules :mod:`ganzoo.contracts.schedule` states.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from torch import nn

from ganzoo.contracts import Schedule, StepControls

__all__ = ["CombinedSchedule"]


class CombinedSchedule(Schedule):
    """Several schedules answering as one, by the rules of :mod:`ganzoo.contracts.schedule`.

    The discriminator (generator) updates only at steps where every schedule lets it, and goes first
    only if every schedule agrees; learning rates pass through each schedule in turn; the epoch
    factors multiply; :meth:`before_step` goes to each schedule in turn, on one
    :class:`~ganzoo.contracts.StepControls`; the first schedule with an averaged copy of a generator
    provides it.

    Args:
        schedules: The schedules, in the order the user listed them.
    """

    def __init__(self, schedules: Sequence[Schedule] = ()) -> None:
        self.schedules = list(schedules)

    @property
    def discriminator_first(self) -> bool:  # type: ignore[override]
        """Whether the discriminator updates first: only if every schedule says so."""
        return all(schedule.discriminator_first for schedule in self.schedules)

    def update_discriminator(self, step: int) -> bool:
        return all(schedule.update_discriminator(step) for schedule in self.schedules)

    def update_generator(self, step: int) -> bool:
        return all(schedule.update_generator(step) for schedule in self.schedules)

    def learning_rates(self, base: dict[str, float]) -> dict[str, float]:
        rates = dict(base)
        for schedule in self.schedules:
            rates = schedule.learning_rates(rates)
        return rates

    def lr_factor(self, epoch: int) -> float:
        return math.prod(schedule.lr_factor(epoch) for schedule in self.schedules)

    @property
    def controls_steps(self) -> bool:
        """Whether any schedule overrides :meth:`~ganzoo.contracts.Schedule.before_step` (else the trainer skips it)."""
        return any(type(schedule).before_step is not Schedule.before_step for schedule in self.schedules)

    def before_step(self, step: int, epoch: float, controls: StepControls) -> None:
        for schedule in self.schedules:
            schedule.before_step(step, epoch, controls)

    def attach(self, generators: dict[str, nn.Module]) -> None:
        for schedule in self.schedules:
            schedule.attach(generators)

    def after_generator_step(self, generators: dict[str, nn.Module]) -> None:
        for schedule in self.schedules:
            schedule.after_generator_step(generators)

    def averaged(self, name: str) -> nn.Module | None:
        for schedule in self.schedules:
            average = schedule.averaged(name)
            if average is not None:
                return average
        return None

    def state_dict(self) -> dict[str, Any]:
        return {"schedules": [schedule.state_dict() for schedule in self.schedules]}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        states = state["schedules"]
        if len(states) != len(self.schedules):
            raise ValueError(f"the state holds {len(states)} schedule(s), this run has {len(self.schedules)}")
        for schedule, schedule_state in zip(self.schedules, states, strict=True):
            schedule.load_state_dict(schedule_state)
