"""The ``ganzoo`` command line.

Every command takes ``key=value`` words (``generator=unet``, ``generator.ngf=32``, ``image_size=128``)
after its options. Errors caused by input print one line naming the problem and the fix and exit
with status 2; nothing is written when a command fails.
"""

from __future__ import annotations

import argparse
import logging
import shutil
import sys
import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path

from ganzoo import __version__
from ganzoo.errors import ConfigError, GanzooError, UnknownPartError, did_you_mean

EXIT_USAGE = 2

Handler = Callable[[argparse.Namespace], int]


def _width() -> int | None:
    """The terminal's width when stdout is a terminal; ``None`` (no limit) when it is piped or redirected."""
    isatty = getattr(sys.stdout, "isatty", None)
    if isatty is None or not isatty():
        return None  # `ganzoo list | grep …` and files get every character
    return max(shutil.get_terminal_size((100, 20)).columns, 60)


def _table(rows: list[list[str]], headers: list[str]) -> str:
    """Render rows as aligned columns; on a terminal, the last column is cut to the terminal's width."""
    all_rows = [headers, *rows]
    widths = [max(len(row[i]) for row in all_rows) for i in range(len(headers) - 1)]
    limit = _width()
    lines = []
    for row in all_rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths)]
        line = "  ".join([*cells, row[-1]]).rstrip()
        lines.append(line if limit is None or len(line) <= limit else line[: limit - 1] + "…")
    return "\n".join(lines)


# --- list, info, plugins -------------------------------------------------------------------------


def _list(args: argparse.Namespace) -> int:
    from ganzoo.plugins import get_registry

    registry = get_registry()
    kind, pattern = args.kind, args.pattern
    if kind is not None and kind not in registry.kinds():
        if pattern is None and any(ch in kind for ch in "*?["):
            kind, pattern = None, kind  # `ganzoo list '*gan'`: a pattern over every kind
        else:
            registry.check_kind(kind)
    parts = registry.list(kind, pattern or "*")
    if not parts:
        print(f"no {kind or 'part'} matches '{pattern}'")
        return 1
    rows = [[p.kind, p.name, ",".join(p.tags), p.plugin, p.summary] for p in parts]
    print(_table(rows, ["KIND", "NAME", "TAGS", "PLUGIN", "SUMMARY"]))
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
        print()
        print(textwrap.indent(part.doc or "(no documentation)", "  "))
        print()
        if part.parameters:
            rows = [
                [p.name, p.type_name, "required" if p.required else repr(p.default)] for p in part.parameters
            ]
            print(_table(rows, ["PARAMETER", "TYPE", "DEFAULT"]))
        else:
            print("no parameters")
    return 0


def _plugins(args: argparse.Namespace) -> int:
    from ganzoo.plugins import get_host, plugins_disabled

    host = get_host()
    _ = host.registry  # registering parts is what fills each plugin's part list
    rows = []
    for info in host.plugins:
        kinds: dict[str, int] = {}
        for kind, _ in info.parts:
            kinds[kind] = kinds.get(kind, 0) + 1
        what = f"FAILED: {info.error}" if info.error else ", ".join(f"{n} {k}" for k, n in kinds.items()) or "hooks only"
        rows.append([info.name, info.distribution, info.version, info.target, what])
    print(_table(rows, ["PLUGIN", "DISTRIBUTION", "VERSION", "MODULE", "REGISTERED"]))
    if plugins_disabled():
        print("\nthird-party plugins are disabled (GANZOO_DISABLE_PLUGINS is set)")
    if args.verbose:
        for info in host.plugins:
            print(f"\n{info.name}:")
            for kind, name in info.parts:
                print(f"  {kind} {name}")
    return 1 if any(info.error for info in host.plugins) else 0


# --- build ---------------------------------------------------------------------------------------


def _format_shapes(shapes: list[tuple[int, ...]]) -> str:
    return ", ".join("(" + ", ".join(str(n) for n in shape) + ")" for shape in shapes)


def _split_overwrite(args: argparse.Namespace) -> tuple[bool, list[str]]:
    """Take ``overwrite=true|false`` out of the words; ``--force`` says the same."""
    from ganzoo.output_paths import parse_overwrite

    flags = [parse_overwrite(word.partition("=")[2]) for word in args.settings if word.partition("=")[0] == "overwrite"]
    return args.force or (flags[-1] if flags else False), [w for w in args.settings if w.partition("=")[0] != "overwrite"]


def _build(args: argparse.Namespace) -> int:
    from ganzoo.assembly import BUILD_DEFAULTS, assemble_pair
    from ganzoo.config import apply_words, check_keys, load_yaml, to_yaml
    from ganzoo.output_paths import check_new_output
    from ganzoo.plugins import get_registry

    overwrite, words = _split_overwrite(args)
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
    print(_table(rows, ["NETWORK", "PART", "PARAMETERS", "INPUTS → OUTPUTS"]))
    print(f"\nimage_size={assembly.config['image_size']} channels={assembly.config['channels']}: the pair fits.")
    if args.out:
        from ganzoo.atomic import atomic_write_text

        atomic_write_text(Path(args.out), to_yaml(assembly.config))
        print(f"spec written to {args.out}")
    return 0


# --- recipes, train, sample ----------------------------------------------------------------------


def _recipes(args: argparse.Namespace) -> int:
    from ganzoo.config import to_yaml
    from ganzoo.training.recipes import load_recipe, recipe_names

    if args.name:
        print(to_yaml(load_recipe(args.name)), end="")
        return 0
    rows = []
    for name in recipe_names():
        recipe = load_recipe(name)
        rows.append([name, recipe["generator"]["name"], recipe["discriminator"]["name"], recipe["data"]["name"], recipe.get("summary", "")])
    print(_table(rows, ["RECIPE", "GENERATOR", "DISCRIMINATOR", "DATA", "SUMMARY"]))
    return 0


def _split_resume(settings: list[str]) -> tuple[str | None, list[str]]:
    resume = [word for word in settings if word.split("=", 1)[0] == "resume"]
    rest = [word for word in settings if word not in resume]
    return (resume[-1].split("=", 1)[1] if resume else None), rest


def _train(args: argparse.Namespace) -> int:
    from ganzoo.training import Trainer, resolve_run_config

    resume, words = _split_resume(args.settings)
    if resume and args.config:
        raise ConfigError(
            f"--config {args.config} with resume={resume}: a resumed run keeps its configuration; drop --config "
            "(train.* words may still change)"
        )
    if resume:
        trainer = Trainer.resume(resume, words)
        if trainer.is_main_process:
            where = f"{resume} in the new run directory {trainer.directory}" if trainer.new_directory else str(trainer.directory)
            print(f"resuming {where} at step {trainer.step} of {trainer.total_steps}")
    else:
        trainer = Trainer.create(resolve_run_config(words, args.config))
        if trainer.is_main_process:
            print(f"training recipe '{trainer.config['recipe']}' for {trainer.total_steps} steps on {trainer.device}; outputs in {trainer.directory}")
    from ganzoo.training.distributed import leave_process_group

    try:
        status = trainer.fit()
    finally:
        leave_process_group()
    if trainer.is_main_process:
        print(f"{status}: step {trainer.step}; checkpoints, samples/, metrics.jsonl and loss_curves.png in {trainer.directory}")
    return 0 if status == "completed" else 130


def _whole_number(plain: dict[str, str], key: str, default: int, *, least: int | None = 1) -> int:
    """``key=N`` as an integer (at least ``least``), or ``default`` when the word is absent."""
    text = plain.get(key, str(default))
    try:
        value = int(text)
        if least is None or value >= least:
            return value
    except ValueError:
        pass
    raise ConfigError(f"{key}={text}: {key}= takes a whole number{'' if least is None else f' of {least} or more'}, e.g. {key}={default}")


def _sample(args: argparse.Namespace) -> int:
    from ganzoo.config import split_words
    from ganzoo.output_paths import parse_overwrite
    from ganzoo.training.sampling import sample_grid, translate_folder

    plain, dotted = split_words(args.settings)
    allowed = {"checkpoint", "n", "out", "input", "seed", "generator", "batch_size", "overwrite"}
    unknown = sorted(set(plain) - allowed) + dotted
    if unknown:
        raise ConfigError(f"ganzoo sample takes {', '.join(sorted(allowed))}, not {', '.join(unknown)}")
    if "checkpoint" not in plain:
        raise ConfigError("name the checkpoint: checkpoint=RUN_DIR or checkpoint=RUN_DIR/checkpoints/step_N.pt")
    n, batch_size = _whole_number(plain, "n", 64), _whole_number(plain, "batch_size", 256)
    seed = _whole_number(plain, "seed", 0, least=None)
    overwrite = args.force or parse_overwrite(plain.get("overwrite", "false"))
    if "input" in plain:
        out = Path(plain.get("out", "translated"))
        written = translate_folder(plain["checkpoint"], Path(plain["input"]), out, generator=plain.get("generator"), overwrite=overwrite)
        print(f"{len(written)} images written to {out}")
    else:
        out = Path(plain.get("out", "samples.png"))
        sample_grid(plain["checkpoint"], out, n=n, seed=seed, generator=plain.get("generator"), batch_size=batch_size, overwrite=overwrite)
        print(f"{n} samples written to {out}")
    return 0


# --- eval ----------------------------------------------------------------------------------------


def _eval(args: argparse.Namespace) -> int:
    from ganzoo.config import split_words
    from ganzoo.metrics import EVAL_DEFAULTS, evaluate_checkpoint
    from ganzoo.metrics.evaluate import held_out_split
    from ganzoo.safe_yaml import parse_yaml

    plain, dotted = split_words(args.settings)
    allowed = {"checkpoint", "metric", "n", "features", "device", "seed"}
    unknown = sorted(set(plain) - allowed) + [word for word in dotted if not word.startswith("features.")]
    if unknown:
        raise ConfigError(f"ganzoo eval takes {', '.join(sorted(allowed))} and features.PARAM=VALUE, not {', '.join(unknown)}")
    if "checkpoint" not in plain:
        raise ConfigError("name the checkpoint: checkpoint=RUN_DIR, checkpoint=RUN_DIR/checkpoints/best.pt or …/step_N.pt")
    try:
        n = int(plain["n"]) if "n" in plain else None
        seed = int(plain.get("seed", 0))
    except ValueError as error:
        raise ConfigError(f"n= and seed= take integers: {error}") from error
    metrics = [name.strip() for name in plain["metric"].split(",") if name.strip()] if "metric" in plain else None
    features: str | dict[str, object] | None = plain.get("features")
    if dotted:  # features.download=true, features.weights_path=FILE
        params = {word.split("=", 1)[0][len("features.") :]: parse_yaml(word.split("=", 1)[1], f"the value of {word}") for word in dotted}
        features = {"name": features or "digits", **params}
    values, plan, run, step = evaluate_checkpoint(plain["checkpoint"], metrics=metrics, n=n, features=features, device=plain.get("device"), seed=seed)
    data = run.config["data"]["name"]
    keys = [key for name in plan.metrics for key in values if key == name or key.startswith(f"{name}_")]  # kid_std …
    if any(f"baseline/{key}" in values for key in keys):
        rows = [[key, f"{values[key]:.4g}", f"{values[f'baseline/{key}']:.4g}" if f"baseline/{key}" in values else ""] for key in keys]
        print(_table(rows, ["METRIC", "VALUE", "HELD-OUT BASELINE"]))
    else:
        print(_table([[key, f"{values[key]:.4g}"] for key in keys], ["METRIC", "VALUE"]))
    print()
    what = f"step {step}" + (" (the best checkpoint)" if Path(plain["checkpoint"]).name == "best.pt" else "")
    count = n if n is not None else int({**EVAL_DEFAULTS, **(run.config.get("eval") or {})}["n"])
    if plan.task == "generation":
        print(
            f"{what} of '{run.config['recipe']}': {count} generated '{plan.pair.fake}' images against the "
            f"training '{plan.pair.real}' images of '{data}'"
        )
        test = held_out_split(run)
        if test is not None and any(key.startswith("baseline/") for key in values):
            print(
                f"held-out baseline: the {len(test)} real test images against the same training images, about what a "
                "generator matching the data would score (FID is biased upwards for fewer images)"
            )
    else:
        print(
            f"{what} of '{run.config['recipe']}': outputs '{plan.pair.fake}' for up to {count} test items of '{data}' "
            f"against their '{plan.pair.real}'"
        )
    return 0


# --- the parser ----------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``ganzoo`` command (the CLI reference is generated from it)."""
    parser = argparse.ArgumentParser(
        prog="ganzoo",
        description="A pluggable zoo of GAN parts: list them, build and check networks, train recipes.",
    )
    parser.add_argument("--version", action="version", version=f"ganzoo {__version__}")
    parser.add_argument("-q", "--quiet", action="store_true", help="print warnings and errors only")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    listing = commands.add_parser("list", help="list registered parts", description="List registered parts, by kind, filtered by a glob pattern.")
    listing.add_argument("kind", nargs="?", help="generator, discriminator, loss, schedule, dataset, … (default: all)")
    listing.add_argument("pattern", nargs="?", help="glob over names, e.g. '*gan' (default: all)")
    listing.set_defaults(handler=_list)

    info = commands.add_parser("info", help="show a part's documentation and parameters", description="Show a part's documentation, parameters (types and defaults) and the plugin that registered it.")
    info.add_argument("name", help="a part name, or KIND/NAME when several kinds share it (e.g. discriminator/mlp)")
    info.set_defaults(handler=_info)

    plugins = commands.add_parser("plugins", help="list installed plugins and what each registered", description="List the installed plugins, their versions, and what each registered. Exits 1 if a plugin failed to load.")
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

    recipes = commands.add_parser("recipes", help="list the training recipes, or print one", description="List the shipped training recipes, or print one as YAML.")
    recipes.add_argument("name", nargs="?", help="a recipe to print")
    recipes.set_defaults(handler=_recipes)

    train = commands.add_parser(
        "train",
        help="train a recipe, or resume a run",
        description=(
            "Train a recipe on its data set, writing config.yaml, checkpoints/, samples/, metrics.jsonl and "
            "loss_curves.png into the run directory (out=DIR, default runs/RECIPE-TIME). Ctrl-C saves a checkpoint."
        ),
        epilog=(
            "examples: ganzoo train recipe=dcgan | ganzoo train recipe=pix2pix generator=resnet loss.adversarial=hinge "
            "| ganzoo train resume=runs/dcgan-20260101-120000 train.steps=6000"
        ),
    )
    train.add_argument("settings", nargs="*", metavar="KEY=VALUE", help="recipe=NAME or resume=RUN_DIR|CHECKPOINT.pt, then any setting: generator=NAME, generator.PARAM=V, train.steps=N, out=DIR, …")
    train.add_argument("--config", metavar="FILE.yaml", help="a recipe file, or a spec from 'ganzoo build --out'")
    train.set_defaults(handler=_train)

    sample = commands.add_parser(
        "sample",
        help="generate images from a checkpoint",
        description="Write a grid of samples from a trained generator, or translate a folder of images with an image-to-image one. "
        "An existing output file is kept unless overwrite=true, and nothing is ever written inside a run directory (its "
        "checkpoints, config.yaml, logs): both are checked before anything is generated.",
        epilog="examples: ganzoo sample checkpoint=runs/dcgan-… n=64 out=grid.png | ganzoo sample checkpoint=runs/dcgan-… n=10000 "
        "out=many.png overwrite=true | ganzoo sample checkpoint=runs/pix2pix-… input=edges/ out=digits/",
    )
    sample.add_argument("settings", nargs="*", metavar="KEY=VALUE", help="checkpoint=PATH (required), n=64, seed=0, out=FILE|DIR "
                        "(default samples.png, or translated/ with input=), input=DIR, generator=NAME, batch_size=256, overwrite=false")
    sample.add_argument("--force", action="store_true", help="replace existing output files (the same as overwrite=true)")
    sample.set_defaults(handler=_sample)

    evaluate = commands.add_parser(
        "eval",
        help="measure a trained generator (FID, KID, …)",
        description=(
            "Measure the generator a checkpoint holds: FID and KID of generated images against the training "
            "images, beside the held-out test images' own figures as a baseline; for image-to-image runs, its "
            "outputs on the test split against their targets, with L1, PSNR and SSIM. Digits features are "
            "shipped; Inception weights are downloaded only with features.download=true."
        ),
        epilog=(
            "examples: ganzoo eval checkpoint=runs/dcgan | ganzoo eval checkpoint=runs/dcgan/checkpoints/best.pt metric=fid,kid n=2000 "
            "| ganzoo eval checkpoint=runs/dcgan features=inception features.download=true"
        ),
    )
    evaluate.add_argument(
        "settings", nargs="*", metavar="KEY=VALUE",
        help="checkpoint=PATH (required), metric=fid[,kid,is,l1,psnr,ssim], n=1000, features=digits|inception, features.PARAM=V, device=cpu, seed=0",
    )
    evaluate.set_defaults(handler=_eval)

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
