"""The hooks a ganzoo plugin can implement.

A plugin is a module (or object) named by an entry point in the ``ganzoo`` group. It implements any of
the hooks below with the :data:`ganzoo.hookimpl` marker; it never needs all of them. Each hook's body is
only its documentation: the host calls every implementation, in the order pluggy gives.

Registering parts, named by ``"module:Class"`` so that nothing is imported until a part is built::

    from ganzoo import hookimpl

    @hookimpl
    def ganzoo_register_parts(register):
        register("generator", "tiny", "my_plugin.parts:TinyGenerator", tags=["unconditional"])
        register("recipe", "tiny-digits", "my_plugin:recipes/tiny-digits.yaml")

Adding a command::

    @hookimpl
    def ganzoo_register_commands(commands):
        hello = commands.add_parser("hello", help="say hello")
        hello.set_defaults(handler=lambda args: print("hello") or 0)

The training hooks are called in the main process only (rank 0 of a distributed run), the one that
writes the run's outputs.

Following a run (a logger or a callback)::

    @hookimpl
    def ganzoo_step_end(run, step, losses):
        print(step, losses)
"""

from __future__ import annotations

import argparse
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
                ``metric``, ``recipe`` or a new kind. What a core kind's factory builds must fulfil
                that kind's contract (:data:`ganzoo.contracts.KIND_CONTRACTS`).
            name: The name users type; unique within the kind across all plugins.
            factory: A class or function with keyword parameters, type hints and a docstring: the
                docstring's first line is the part's summary, the signature its parameters. Better,
                the same named by a ``"module:qualified_name"`` string: the module is imported only
                when the part is built, and its summary is read from the source, so ``ganzoo list``
                imports neither the module nor torch. A ``"package:path/file.yaml"`` string names a
                data file of a package: a recipe (:mod:`ganzoo.packaged_files`).
            tags: Labels such as ``unconditional``, ``image-to-image``, ``class-conditional``.
        """


class Commands(Protocol):
    """What :func:`ganzoo_register_commands` receives: the ``add_parser`` of argparse's sub-parsers."""

    def add_parser(self, name: str, **kwargs: Any) -> argparse.ArgumentParser:
        """Add the command ``ganzoo NAME``, with argparse's keyword arguments (``help``, ``description`` …).

        Returns:
            The command's :class:`argparse.ArgumentParser`. Add its arguments to it, and its handler
            with ``set_defaults(handler=FUNCTION)``: a function of the parsed
            :class:`argparse.Namespace` that returns the exit status (0 for success; raise a
            :class:`ganzoo.GanzooError` for bad input, which prints one line and exits 2).
        """


@hookspec
def ganzoo_register_parts(register: Register) -> None:
    """Register the plugin's parts by calling ``register`` once per part.

    Called once per process, the first time the registry is used. A name another plugin already
    registered for the same kind is not registered again: the first registration keeps it (the
    built-in zoo's, then the plugins' by distribution name), and a warning names both plugins and
    how to choose the other (uninstall one, or disable it). The plugin's other parts are kept.

    Args:
        register: See :class:`Register`.
    """


@hookspec
def ganzoo_register_commands(commands: Commands) -> None:
    """Add sub-commands to ``ganzoo`` by calling ``commands.add_parser`` once per command.

    Called each time the command line is built, after the built-in commands, so keep it quick and
    import what the command needs inside its handler. ``ganzoo --help`` lists each command with
    ``(from DISTRIBUTION)`` after its help. A name ganzoo or an earlier plugin already uses is left
    out with a warning; a hook that raises is reported and the plugin left out (its commands, parts
    and hooks), the rest of the command line working as before. A handler that raises anything but
    a :class:`ganzoo.GanzooError` ends its command with one line naming the plugin, and status 1.

    Args:
        commands: See :class:`Commands`.
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
    """A training step ended and its values were logged (the same values as ``metrics.jsonl``).

    Called every ``train.log_every`` steps and after the last step only, since reading losses off
    the device costs a synchronisation.

    Args:
        run: The trainer.
        step: The number of steps taken so far.
        losses: What was logged, by name (see :ref:`concepts-logged-values`):

            - ``D/KEY`` and ``G/KEY``: the discriminators' and the generators' loss terms, by the key
              of the loss in the run's ``loss`` section, e.g. ``{"D/adversarial": 0.69, "D/r1":
              0.02, "G/adversarial": 1.4, "G/l1": 12.3}``; with several discriminators the
              adversarial and penalty terms end in the discriminator's name
              (``D/adversarial/D_A``, ``G/adversarial/D_A``). A term is its latest value: with
              ``n_critic`` > 1 or a lazy penalty it may come from an earlier step.
            - ``lr/NAME``: each network's learning rate at this step (``lr/G``, ``lr/D_A``).
            - ``epoch``: the epochs completed.
            - ``eval/MEASURE``: at the steps the run is evaluated (``eval.every``) only. An evaluation
              at a step that logs nothing else is passed on its own (only ``eval/`` keys).
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
            saved), ``"stopped"`` (a plugin or tracker called ``run.request_stop(reason)``; a checkpoint
            was saved) or ``"failed"``.
    """
