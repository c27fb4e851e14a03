"""YAML read as bounded plain data: no tags, nothing evaluated, and a limit on what it may expand to.

``yaml.safe_load`` builds only plain data, but a few hundred bytes of anchors and aliases (``&a``,
``*a``) can stand for billions of values once every alias is expanded — as they are when a
configuration is merged, copied and written out — and deeply nested brackets end in a
``RecursionError``. :func:`parse_yaml` therefore reads in three passes, each bounded:

1. the parser's events, stopping at the first one nested deeper than :data:`MAX_DEPTH`;
2. the node graph (an alias is one shared node, so composing costs no more than the text);
3. a walk of that graph counting each node as often as aliases repeat it, stopping past
   :data:`MAX_NODES` values or :data:`MAX_DEPTH` levels — and at an alias inside its own anchor.

Only then are Python objects built, from a graph known to be small. Texts longer than
:data:`MAX_BYTES` are refused before any of this. Values are read as OmegaConf reads the values of
command-line words, so a setting means the same in a file and on the command line: ``1e-3`` is a
number (YAML 1.1 wants ``1.0e-3``) and ``2001-01-01`` is text, not a date.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from ganzoo.errors import ConfigError

__all__ = ["MAX_BYTES", "MAX_DEPTH", "MAX_NODES", "parse_yaml"]

#: The most values (mappings, lists and scalars, keys included) a text may stand for, aliases expanded.
MAX_NODES = 100_000
#: The deepest nesting of mappings and lists a text may have, aliases expanded.
MAX_DEPTH = 64
#: The longest text read (a configuration is a few kilobytes).
MAX_BYTES = 1 << 20


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """PyYAML's plain-data loader (on libyaml when PyYAML was built with it), reading values as
    OmegaConf reads those of command-line words: ``1e-3`` is a number, ``2001-01-01`` a string."""


_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"""^(?:[-+]?[0-9]+(?:_[0-9]+)*\.[0-9_]*(?:[eE][-+]?[0-9]+)?
        |[-+]?[0-9]+(?:_[0-9]+)*(?:[eE][-+]?[0-9]+)
        |\.[0-9]+(?:_[0-9]+)*(?:[eE][-+][0-9]+)?
        |[-+]?\.(?:inf|Inf|INF)
        |\.(?:nan|NaN|NAN))$""",
        re.VERBOSE,
    ),
    list("-+0123456789."),
)
_Loader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in _Loader.yaml_implicit_resolvers.items()
}

_OPENING = (yaml.MappingStartEvent, yaml.SequenceStartEvent)
_CLOSING = (yaml.MappingEndEvent, yaml.SequenceEndEvent)


def _too_deep(source: str) -> ConfigError:
    return ConfigError(f"{source} nests mappings and lists deeper than {MAX_DEPTH} levels; a configuration needs a few")


def _check_depth(text: str, source: str) -> None:
    depth = 0
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, _OPENING):
            depth += 1
            if depth > MAX_DEPTH:
                raise _too_deep(source)
        elif isinstance(event, _CLOSING):
            depth -= 1


class _Walk:
    """Counts a node graph's values with the multiplicity aliases give them, bounded."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.done: dict[int, tuple[int, int]] = {}  # id(node) -> (values, levels) below and including it
        self.open: set[int] = set()

    def measure(self, node: yaml.Node) -> tuple[int, int]:
        key = id(node)
        if key in self.done:
            return self.done[key]
        if key in self.open:
            raise ConfigError(f"{self.source}: an alias refers to the anchor it is inside of, which repeats without end")
        if isinstance(node, yaml.MappingNode):
            children = [child for pair in node.value for child in pair]
        elif isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        else:
            children = []
        self.open.add(key)
        count, depth = 1, 0
        for child in children:
            values, levels = self.measure(child)
            count += values
            depth = max(depth, levels)
            if count > MAX_NODES:
                raise ConfigError(
                    f"{self.source} stands for more than {MAX_NODES:,} values once its aliases (*name) are expanded; "
                    "a configuration holds a few hundred, so write the values out or use fewer aliases"
                )
        if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)):
            depth += 1
        if depth > MAX_DEPTH:
            raise _too_deep(self.source)
        self.open.discard(key)
        self.done[key] = (count, depth)
        return count, depth


def parse_yaml(text: str, source: str) -> Any:
    """Parse one YAML document into plain data, refusing texts that expand beyond the limits.

    Args:
        text: The YAML text.
        source: How messages name it, e.g. ``"config file 'run.yaml'"``.

    Returns:
        The data: ``None`` for an empty text, else dicts, lists and scalars.

    Raises:
        ConfigError: If the text is longer than :data:`MAX_BYTES`, is not valid YAML, or stands for
            more than :data:`MAX_NODES` values or :data:`MAX_DEPTH` levels with its aliases expanded.
    """
    if len(text) > MAX_BYTES:
        raise ConfigError(f"{source} is longer than {MAX_BYTES:,} characters; a configuration is a few kilobytes")
    try:
        _check_depth(text, source)
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
            if node is None:
                return None
            _Walk(source).measure(node)
            return loader.construct_document(node)
        finally:
            loader.dispose()
    except yaml.YAMLError as error:
        # PyYAML's messages span lines (the CLI prints one) and name the text "<unicode string>".
        message = " ".join(str(error).replace('"<unicode string>", ', "").split())
        raise ConfigError(f"{source} is not valid YAML: {message}") from error
