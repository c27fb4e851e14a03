"""The hooks a ganzoo plugin can implement.

A plugin is a module (or object) named by an entry point in the ``ganzoo`` group. It implements any of
the hooks below with the :data:`ganzoo.hookimpl` marker; it never needs all of them. Each hook's body is
only its documentation: the host calls every implementation, in the order pluggy gives.

Registering parts::

    from ganzoo import hookimpl

    @hookimpl
    def ganzoo_register_parts(register):
        register("generator", "tiny", TinyGenerator, tags=["unconditional"])

The training hooks are called in the main process only (rank 0 of a distributed run), the one that
writes the run's outputs.

Following a run (a logger or a callback)::

    @hookimpl
    def ganzoo_step_end(run, step, losses):
        print(step, losses)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

import pluggy

#: Marks the hook specifications below (used by the host only).
hookspec = pluggy.HookspecMarker("ganzoo")
#: Marks a plugin's hook implementations, as in ``@hookimpl def ganzoo_register_parts(register): ...``.
hookimpl = pluggy.HookimplMarker("ganzoo")


class Register(Protocol):
    """The callable :func:`ganzoo_register_parts` receives."""

    def __call__(self, kind: str, name: str, factory: Any, *, tags: list[str] | tuple[str, ...] = ()) -> None:
        """Register ``factory`` as the part ``name`` of ``kind``.

        Args:
            kind: ``generator``, ``discriminator``, ``loss``, ``schedule``, ``dataset``, ``features``,
                ``metric`` or a new kind. What a core kind's factory builds must fulfil that kind's
                contract (:data:`ganzoo.contracts.KIND_CONTRACTS`).
            name: The name users type; unique within the kind across all plugins.
            factory: A class or function with keyword parameters, type hints and a docstring: the
                docstring's first line is the part's summary, the signature its parameters.
            tags: Labels such as ``unconditional``, ``image-to-image``, ``class-conditional``.
        """


@hookspec
def ganzoo_register_parts(register: Register) -> None:
    """Register the plugin's parts by calling ``register`` once per part.

    Called once per process, the first time the registry is used. Registering a name another plugin
    already registered for the same kind is an error that names both plugins.

    Args:
        register: See :class:`Register`.
    """


@hookspec
def ganzoo_run_start(run: Any) -> None:
    """A training run is about to take its first step (also after a resume).

    Args:
        run: The :class:`ganzoo.training.Trainer`; ``run.directory`` is the run directory,
            ``run.config`` the resolved configuration, ``run.step`` the step it starts from.
    """


@hookspec
def ganzoo_step_end(run: Any, step: int, losses: dict[str, float]) -> None:
    """A training step ended and its losses were logged.

    Called at the logging interval only, since reading losses off the device costs a synchronisation.

    Args:
        run: The trainer.
        step: The number of steps taken so far.
        losses: Loss values by name, e.g. ``{"D/adversarial": 0.69, "G/l1": 12.3}``.
    """


@hookspec
def ganzoo_samples_written(run: Any, step: int, path: Path) -> None:
    """A grid of samples was written.

    Args:
        run: The trainer.
        step: The number of steps taken so far.
        path: The PNG file.
    """


@hookspec
def ganzoo_checkpoint_saved(run: Any, step: int, path: Path) -> None:
    """A checkpoint was written completely (it is safe to copy or upload it).

    Args:
        run: The trainer.
        step: The number of steps taken so far.
        path: The checkpoint file.
    """


@hookspec
def ganzoo_run_end(run: Any, status: str) -> None:
    """A training run ended.

    Args:
        run: The trainer.
        status: ``"completed"``, ``"interrupted"`` (stopped by a signal or Ctrl-C, after a checkpoint was
            saved) or ``"failed"``.
    """
