"""``ganzoo list``, ``info``, ``plugins`` and ``build``: the registered parts, and a checked pair of networks."""

from __future__ import annotations

import argparse
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING

from ganzoo.cli.tables import table
from ganzoo.cli.words import split_overwrite
from ganzoo.errors import UnknownPartError, did_you_mean
from ganzoo.plugins import DISABLE_OPTION, DISABLE_VARIABLE
from ganzoo.registry import PLUGIN_KINDS

if TYPE_CHECKING:
    from ganzoo.plugins import PluginInfo


def _list(args: argparse.Namespace) -> int:
    from ganzoo.plugins import get_registry

    registry = get_registry()
    kind, pattern = args.kind, args.pattern
    if kind is not None and kind not in registry.kinds():
        if pattern is None and any(ch in kind for ch in "*?["):
            kind, pattern = None, kind  # `ganzoo list '*gan'`: a pattern over every kind
        elif kind in PLUGIN_KINDS:  # a kind only plugins fill, and none is installed
            print(f"no {kind} is installed: {PLUGIN_KINDS[kind]}")
            return 0
        else:
            registry.check_kind(kind)
    parts = registry.list(kind, pattern or "*")
    if not parts:
        print(f"no {kind or 'part'} matches '{pattern}'")
        return 1
    rows = [[p.kind, p.name, ",".join(p.tags), p.plugin, p.summary] for p in parts]
    print(table(rows, ["KIND", "NAME", "TAGS", "PLUGIN", "SUMMARY"]))
    return 0


def _info(args: argparse.Namespace) -> int:
    from ganzoo.plugins import get_registry

    registry = get_registry()
    kind, _, name = args.name.rpartition("/") if "/" in args.name else ("", "", args.name)
    if kind:
        parts = [registry.get(kind, name)]
    else:
        parts = registry.find(name)
        if not parts:
            every = {p.name for p in registry.list()}
            raise UnknownPartError(f"no part is called '{name}'{did_you_mean(name, every)} (run 'ganzoo list')")
    for index, part in enumerate(parts):
        if index:
            print()
        print(f"{part.kind} '{part.name}'  (from {part.plugin}; {part.source})")
        if part.tags:
            print(f"tags: {', '.join(part.tags)}")
        if part.kind == "recipe":
            print(f"train it: ganzoo train recipe={part.name}; print it: ganzoo recipes {part.name}")
        print()
        print(textwrap.indent(part.doc or "(no documentation)", "  "))
        print()
        if part.parameters:
            rows = [
                [p.name, p.type_name, "required" if p.required else repr(p.default)] for p in part.parameters
            ]
            print(table(rows, ["PARAMETER", "TYPE", "DEFAULT"]))
        else:
            print("no parameters")
    return 0


def _registered(info: PluginInfo) -> str:
    """What a plugin added, for the REGISTERED column."""
    if info.disabled:
        return "disabled"
    if info.error:
        return f"FAILED: {info.error}"
    kinds: dict[str, int] = {}
    for kind, _ in info.parts:
        kinds[kind] = kinds.get(kind, 0) + 1
    what = [f"{n} {kind}" for kind, n in kinds.items()]
    what += [f"{len(info.commands)} command{'s' if len(info.commands) > 1 else ''}"] if info.commands else []
    if info.clashes:
        what.append("CLASH: " + ", ".join(f"{kind} '{name}'" for kind, name in info.clashes) + " kept from another plugin")
    return ", ".join(what) or "hooks only"


def _plugins(args: argparse.Namespace) -> int:
    from ganzoo.plugins import get_host

    host = get_host()
    _ = host.registry  # registering parts is what fills each plugin's part list
    rows = [[info.name, info.distribution, info.version, info.target, _registered(info)] for info in host.plugins]
    print(table(rows, ["PLUGIN", "DISTRIBUTION", "VERSION", "MODULE", "REGISTERED"]))
    disabled = [info.name for info in host.plugins if info.disabled]
    if disabled:
        print(
            f"\ndisabled: {', '.join(disabled)} (by {DISABLE_VARIABLE} or {DISABLE_OPTION}): not loaded; their parts, "
            "commands and hooks are absent"
        )
    if any(info.clashes for info in host.plugins):
        print("\na CLASH leaves a plugin's part out: the first plugin to register a name keeps it (the warnings say how to choose)")
    if args.verbose:
        for info in host.plugins:
            print(f"\n{info.name}:")
            for kind, name in info.parts:
                print(f"  {kind} {name}")
            for command in info.commands:
                print(f"  command ganzoo {command}")
            for kind, name in info.clashes:
                print(f"  {kind} {name} (left out: the name is taken)")
    return 1 if any(info.error or info.clashes for info in host.plugins) else 0


def _format_shapes(shapes: list[tuple[int, ...]]) -> str:
    return ", ".join("(" + ", ".join(str(n) for n in shape) + ")" for shape in shapes)


def _build(args: argparse.Namespace) -> int:
    from ganzoo.assembly import BUILD_DEFAULTS, assemble_pair
    from ganzoo.config import apply_words, check_keys, load_yaml, to_yaml
    from ganzoo.output_paths import check_new_output
    from ganzoo.plugins import get_registry

    overwrite, words = split_overwrite(args)
    if args.out:
        check_new_output(Path(args.out), overwrite=overwrite, kind="file", option="--out")
    base = dict(BUILD_DEFAULTS)
    if args.config:
        loaded = load_yaml(args.config)
        check_keys(base, loaded, f"build spec '{args.config}'")
        base.update(loaded)
    config = apply_words(base, words)
    assembly = assemble_pair(get_registry(), config)
    rows = []
    for built in (assembly.generator, assembly.discriminator):
        inputs, outputs = assembly.shapes[built.role]
        named = ", ".join(f"{n}{_format_shapes([s])}" for n, s in zip(built.module.inputs, inputs))
        rows.append([built.role, built.part.name, f"{built.parameter_count:,}", f"{named} → {_format_shapes(outputs)}"])
    print(table(rows, ["NETWORK", "PART", "PARAMETERS", "INPUTS → OUTPUTS"]))
    print(f"\nimage_size={assembly.config['image_size']} channels={assembly.config['channels']}: the pair fits.")
    if args.out:
        from ganzoo.atomic import atomic_write_text

        atomic_write_text(Path(args.out), to_yaml(assembly.config))
        print(f"spec written to {args.out}")
    return 0


def add_parsers(commands: argparse._SubParsersAction) -> None:
    """Add ``list``, ``info``, ``plugins`` and ``build`` to the command line."""
    listing = commands.add_parser("list", help="list registered parts", description="List registered parts, by kind, filtered by a glob pattern.")
    listing.add_argument("kind", nargs="?", help="generator, discriminator, loss, schedule, dataset, … (default: all)")
    listing.add_argument("pattern", nargs="?", help="glob over names, e.g. '*gan' (default: all)")
    listing.set_defaults(handler=_list)

    info = commands.add_parser("info", help="show a part's documentation and parameters", description="Show a part's documentation, parameters (types and defaults) and the plugin that registered it.")
    info.add_argument("name", help="a part name, or KIND/NAME when several kinds share it (e.g. discriminator/mlp)")
    info.set_defaults(handler=_info)

    plugins = commands.add_parser(
        "plugins",
        help="list installed plugins and what each registered",
        description=(
            "List the installed plugins, their versions, and what each registered: parts by kind, commands, name "
            "clashes; disabled plugins too. Exits 1 if a plugin failed to load or lost a name to a clash."
        ),
    )
    plugins.add_argument("-v", "--verbose", action="store_true", help="also list every part of each plugin")
    plugins.set_defaults(handler=_plugins)

    build = commands.add_parser(
        "build",
        help="build and check a generator/discriminator pair",
        description=(
            "Resolve a generator and a discriminator by name, wire their channels, run a dry forward pass on "
            "a dummy batch and print each network's parameter count and input → output shapes."
        ),
        epilog="example: ganzoo build generator=unet discriminator=patchgan generator.ngf=32 image_size=128",
    )
    build.add_argument("settings", nargs="*", metavar="KEY=VALUE", help="generator=NAME, discriminator=NAME, generator.PARAM=VALUE, image_size=N, channels=N, conditional=false, …")
    build.add_argument("--config", metavar="SPEC.yaml", help="start from a spec written by --out")
    build.add_argument("--out", metavar="SPEC.yaml", help="write the resolved spec (every parameter explicit); an existing file is kept unless overwrite=true")
    build.add_argument("--force", action="store_true", help="replace an existing --out file (the same as overwrite=true)")
    build.set_defaults(handler=_build)
