"""Reading the few command words that are not configuration settings (``n=``, ``overwrite=``)."""

from __future__ import annotations

import argparse

from ganzoo.errors import ConfigError


def split_overwrite(args: argparse.Namespace) -> tuple[bool, list[str]]:
    """Take ``overwrite=true|false`` out of the words; ``--force`` says the same."""
    from ganzoo.output_paths import parse_overwrite

    flags = [parse_overwrite(word.partition("=")[2]) for word in args.settings if word.partition("=")[0] == "overwrite"]
    return args.force or (flags[-1] if flags else False), [w for w in args.settings if w.partition("=")[0] != "overwrite"]


def whole_number(plain: dict[str, str], key: str, default: int, *, least: int | None = 1) -> int:
    """``key=N`` as an integer (at least ``least``), or ``default`` when the word is absent."""
    text = plain.get(key, str(default))
    try:
        value = int(text)
        if least is None or value >= least:
            return value
    except ValueError:
        pass
    raise ConfigError(f"{key}={text}: {key}= takes a whole number{'' if least is None else f' of {least} or more'}, e.g. {key}={default}")
