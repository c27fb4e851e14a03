"""``ganzoo recipes`` and ``ganzoo train``: the registered recipes, and training or resuming a run."""

from __future__ import annotations

import argparse

from ganzoo.cli.tables import table
from ganzoo.errors import ConfigError, GanzooError


def _recipes(args: argparse.Namespace) -> int:
    from ganzoo.config import to_yaml
    from ganzoo.plugins import get_registry
    from ganzoo.training.recipes import RECIPE_KIND, load_recipe, recipe_of, with_defaults

    if args.name:
        print(to_yaml(load_recipe(args.name)), end="")
        return 0
    rows, failed = [], False
    for part in get_registry().list(RECIPE_KIND):
        try:  # a plugin's broken recipe is reported in its row; the others are listed
            recipe = with_defaults(recipe_of(part), part.label)
        except GanzooError as error:
            rows.append([part.name, "-", "-", "-", part.plugin, f"cannot be read: {error}"])
            failed = True
            continue
        slots = [recipe[key]["name"] for key in ("generator", "discriminator", "data")]
        rows.append([part.name, *slots, part.plugin, recipe.get("summary", "")])
    print(table(rows, ["RECIPE", "GENERATOR", "DISCRIMINATOR", "DATA", "PLUGIN", "SUMMARY"]))
    return 1 if failed else 0


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


def add_parsers(commands: argparse._SubParsersAction) -> None:
    """Add ``recipes`` and ``train`` to the command line."""
    recipes = commands.add_parser(
        "recipes",
        help="list the training recipes, or print one",
        description="List the training recipes (ganzoo's and every plugin's), or print one as YAML. Exits 1 if a recipe cannot be read.",
    )
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
