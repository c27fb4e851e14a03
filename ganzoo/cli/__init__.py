"""The ``ganzoo`` command line: one module per group of commands, each adding its sub-commands.

Every command takes ``key=value`` words (``generator=unet``, ``generator.ngf=32``, ``image_size=128``)
after its options. Errors caused by input print one line naming the problem and the fix and exit
with status 2; nothing is written when a command fails.

Plugins may add commands (:func:`~ganzoo.hookspecs.ganzoo_register_commands`), so building the parser
loads the installed plugins' modules (not their parts: the registry still fills on first use).
``--disable-plugin NAME`` is read before that, and leaves the plugin out of the command entirely.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from ganzoo import __version__
from ganzoo.errors import GanzooError
from ganzoo.plugins import DISABLE_OPTION, DISABLE_VARIABLE

if TYPE_CHECKING:
    from ganzoo.plugins import PluginHost

EXIT_USAGE = 2

Handler = Callable[[argparse.Namespace], int]


#: The modules that add the built-in sub-commands, in the order ``ganzoo --help`` lists them; the
#: plugins' commands follow (:mod:`ganzoo.cli.plugin_commands`).
COMMAND_MODULES = ("ganzoo.cli.parts", "ganzoo.cli.runs", "ganzoo.cli.trained", "ganzoo.cli.export")


def build_parser(host: PluginHost | None = None) -> argparse.ArgumentParser:
    """The argument parser of the ``ganzoo`` command (the CLI reference is generated from it).

    Args:
        host: Where plugins' commands come from (default: the process-wide host, which loads the
            installed plugins' modules, not their parts).
    """
    from ganzoo.cli.plugin_commands import add_plugin_commands
    from ganzoo.plugins import get_host

    parser = argparse.ArgumentParser(
        prog="ganzoo",
        description="A pluggable zoo of GAN parts: list them, build and check networks, train recipes.",
        allow_abbrev=False,  # the options read before the parser is built are spelt out in full
    )
    parser.add_argument("--version", action="version", version=f"ganzoo {__version__}")
    parser.add_argument("-q", "--quiet", action="store_true", help="print warnings and errors only")
    parser.add_argument(
        DISABLE_OPTION, action="append", default=[], metavar="NAME",
        help=f"leave out the plugin NAME (entry-point or distribution name) for this command; repeatable, or "
        f"NAME,NAME (for every command: {DISABLE_VARIABLE}=NAME,NAME, or =1 for every third-party plugin)",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    for name in COMMAND_MODULES:
        importlib.import_module(name).add_parsers(commands)
    add_plugin_commands(host or get_host(), commands)
    return parser


def _early_options(argv: Sequence[str]) -> tuple[bool, list[str]]:
    """``-q`` and the plugins to disable, read before the parser exists (plugins add commands to it)."""
    quiet, disabled = False, []
    words = iter(argv)
    for word in words:
        if word in ("-q", "--quiet"):
            quiet = True
        elif word == DISABLE_OPTION:
            disabled.append(next(words, ""))
        elif word.startswith(DISABLE_OPTION + "="):
            disabled.append(word.split("=", 1)[1])
        elif not word.startswith("-"):
            break  # the command: what follows is its own
    return quiet, [name.strip() for value in disabled for name in value.split(",") if name.strip()]


def _openmp_defaults() -> None:
    """Let torch's idle OpenMP threads sleep rather than spin, unless the environment says otherwise.

    OpenMP reads the setting once, when torch is first imported, so this only acts before that. Spinning
    threads take turns away from every other process on the machine, and on a machine whose cores are
    shared each parallel operator then waits for its slowest thread: a 256×256 pix2pix step ran several
    times slower there with spinning threads than with sleeping ones (benchmarks/README.md). Sleeping
    changes no result; set ``OMP_WAIT_POLICY=ACTIVE`` to spin.
    """
    if "torch" not in sys.modules:
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``ganzoo`` command.

    Args:
        argv: The arguments (default: ``sys.argv[1:]``).

    Returns:
        The exit status: 0 on success, 2 for bad input, 1 when a command found nothing or a plugin failed.
    """
    from ganzoo.plugins import PluginHost, set_host

    _openmp_defaults()
    argv = list(sys.argv[1:] if argv is None else argv)
    quiet, disabled = _early_options(argv)
    logging.basicConfig(level=logging.WARNING if quiet else logging.INFO, format="%(levelname)s: %(message)s")
    if not disabled:
        return _run(argv)
    host = PluginHost(disabled=disabled)  # this command's own plugins, every other setting as usual
    unknown = host.unmatched_message(disabled, DISABLE_OPTION)
    if unknown:
        print(f"ganzoo: error: {unknown}", file=sys.stderr)
        return EXIT_USAGE
    previous = set_host(host)
    try:
        return _run(argv)
    finally:
        set_host(previous)


def _run(argv: list[str]) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra and hasattr(args, "settings") and not any(word.startswith("-") for word in extra):
        args.settings = [*args.settings, *extra]  # words after an option: `ganzoo sample --force out=x.png`
    elif extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    handler: Handler = args.handler
    try:
        return handler(args)
    except GanzooError as error:
        print(f"ganzoo {args.command}: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"ganzoo {args.command}: interrupted", file=sys.stderr)
        return 130
