"""The ``ganzoo`` command line: one module per group of commands, each adding its sub-commands.

Every command takes ``key=value`` words (``generator=unet``, ``generator.ngf=32``, ``image_size=128``)
after its options. Errors caused by input print one line naming the problem and the fix and exit
with status 2; nothing is written when a command fails.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Callable, Sequence

from ganzoo import __version__
from ganzoo.errors import GanzooError

EXIT_USAGE = 2

Handler = Callable[[argparse.Namespace], int]


#: The modules that add the built-in sub-commands, in the order ``ganzoo --help`` lists them.
COMMAND_MODULES = ("ganzoo.cli.parts", "ganzoo.cli.runs", "ganzoo.cli.trained", "ganzoo.cli.export")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``ganzoo`` command (the CLI reference is generated from it)."""
    parser = argparse.ArgumentParser(
        prog="ganzoo",
        description="A pluggable zoo of GAN parts: list them, build and check networks, train recipes.",
    )
    parser.add_argument("--version", action="version", version=f"ganzoo {__version__}")
    parser.add_argument("-q", "--quiet", action="store_true", help="print warnings and errors only")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    for name in COMMAND_MODULES:
        importlib.import_module(name).add_parsers(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``ganzoo`` command.

    Args:
        argv: The arguments (default: ``sys.argv[1:]``).

    Returns:
        The exit status: 0 on success, 2 for bad input, 1 when a command found nothing or a plugin failed.
    """
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra and hasattr(args, "settings") and not any(word.startswith("-") for word in extra):
        args.settings = [*args.settings, *extra]  # words after an option: `ganzoo sample --force out=x.png`
    elif extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO, format="%(levelname)s: %(message)s")
    handler: Handler = args.handler
    try:
        return handler(args)
    except GanzooError as error:
        print(f"ganzoo {args.command}: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"ganzoo {args.command}: interrupted", file=sys.stderr)
        return 130
