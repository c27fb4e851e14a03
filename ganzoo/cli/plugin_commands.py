"""Sub-commands that plugins add (:func:`~ganzoo.hookspecs.ganzoo_register_commands`), each isolated.

Every plugin's hook gets its own :class:`PluginCommands`, argparse's ``add_parser`` stamped with the
plugin: the command's help ends in ``(from DISTRIBUTION)`` in ``ganzoo --help``, a name that ganzoo
or an earlier plugin already uses is refused with a warning (that command only), a hook that raises
is reported and its commands removed, and a handler that raises ends its own command with one line
naming the plugin. The rest of the command line works whatever a plugin does.
"""

from __future__ import annotations

import argparse
import logging
import sys
from typing import TYPE_CHECKING, Any

from ganzoo.errors import GanzooError, PluginError

if TYPE_CHECKING:
    from ganzoo.cli import Handler
    from ganzoo.plugins import PluginHost, PluginInfo

logger = logging.getLogger("ganzoo.plugins")

#: The exit status of a plugin's command that raised something other than a GanzooError.
EXIT_PLUGIN_FAULT = 1


class PluginCommands:
    """What one plugin's ``ganzoo_register_commands`` receives: ``add_parser``, as argparse's.

    Args:
        subparsers: The sub-parsers of the ``ganzoo`` parser.
        info: The plugin adding commands.
        owners: Who added each command so far (``ganzoo`` for the built-in ones); updated here.
    """

    def __init__(self, subparsers: argparse._SubParsersAction, info: PluginInfo, owners: dict[str, str]) -> None:
        self._subparsers = subparsers
        self._info = info
        self._owners = owners
        self.added: dict[str, argparse.ArgumentParser] = {}

    def add_parser(self, name: str, **kwargs: Any) -> argparse.ArgumentParser:
        """Add the sub-command ``ganzoo NAME``; arguments as for :meth:`argparse._SubParsersAction.add_parser`.

        Returns:
            The command's parser: add its arguments, and its handler with
            ``set_defaults(handler=function)`` (a function of the parsed arguments returning the exit
            status). A name already taken gets a parser that is not part of ``ganzoo``.
        """
        names = [name, *kwargs.get("aliases", ())]
        taken = [n for n in names if n in self._owners]
        if taken:
            owner = self._owners[taken[0]]
            logger.warning(
                "plugin '%s' (%s) adds the command '%s', which %s already has; it is left out (rename the plugin's command)",
                self._info.name, self._info.where, taken[0], "ganzoo" if owner == "ganzoo" else f"plugin '{owner}'",
            )
            return argparse.ArgumentParser(prog=f"ganzoo {name}", add_help=False)
        help_text = kwargs.get("help")
        kwargs["help"] = f"{help_text} (from {self._info.distribution})" if help_text else f"(from {self._info.distribution})"
        parser = self._subparsers.add_parser(name, **kwargs)
        for alias in names:
            self._owners[alias] = self._info.name
        self.added[name] = parser
        return parser

    def remove(self) -> None:
        """Take back every command this plugin added (its hook raised half-way)."""
        gone = set(self.added)
        for parser in self.added.values():
            for alias in [n for n, p in self._subparsers.choices.items() if p is parser]:
                del self._subparsers.choices[alias]
                self._owners.pop(alias, None)
        # argparse keeps the help lines apart from the parsers; no public API removes them.
        self._subparsers._choices_actions = [a for a in self._subparsers._choices_actions if a.dest not in gone]
        self.added = {}

    def finish(self, host: PluginHost) -> None:
        """Wrap each added command's handler so that its faults stay its own; record the commands."""
        for name, parser in self.added.items():
            parser.set_defaults(handler=_isolated(parser.get_default("handler"), name, self._info, host))
        self._info.commands = list(self.added)


def _isolated(handler: Handler | None, name: str, info: PluginInfo, host: PluginHost) -> Handler:
    def run(args: argparse.Namespace) -> int:
        _ = host.registry  # the plugin's parts are registered first, and a plugin that fails to is found
        if info.error:
            raise PluginError(f"'ganzoo {name}' comes from plugin '{info.name}' ({info.where}), which failed: {info.error}")
        if handler is None:
            raise PluginError(
                f"plugin '{info.name}' ({info.where}) adds 'ganzoo {name}' without a handler; the plugin must call "
                "set_defaults(handler=FUNCTION) on the command's parser"
            )
        try:
            return int(handler(args) or 0)
        except (GanzooError, KeyboardInterrupt):
            raise
        except Exception as error:  # noqa: BLE001  (a plugin's fault ends its own command, with its name)
            print(
                f"ganzoo {name}: error: the command from plugin '{info.name}' ({info.where}) raised "
                f"{type(error).__name__}: {error} (a fault in the plugin: report it to its authors)",
                file=sys.stderr,
            )
            return EXIT_PLUGIN_FAULT

    return run


def add_plugin_commands(host: PluginHost, subparsers: argparse._SubParsersAction) -> None:
    """Call every plugin's ``ganzoo_register_commands`` on its own, after the built-in commands are added."""
    owners = dict.fromkeys(subparsers.choices, "ganzoo")
    for implementation, info in host.implementations("ganzoo_register_commands"):
        commands = PluginCommands(subparsers, info, owners)
        try:
            implementation.function(commands=commands)
        except Exception as error:  # noqa: BLE001  (a broken plugin must not take the command line down)
            commands.remove()
            host.report_failure(info, "raised while adding its commands", error)
            continue
        commands.finish(host)
