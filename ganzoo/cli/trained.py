"""``ganzoo sample`` and ``ganzoo eval``: images from a trained generator, and measuring it."""

from __future__ import annotations

import argparse
from pathlib import Path

from ganzoo.cli.tables import table
from ganzoo.cli.words import whole_number
from ganzoo.errors import ConfigError


def _sample(args: argparse.Namespace) -> int:
    from ganzoo.config import split_words
    from ganzoo.output_paths import parse_overwrite
    from ganzoo.training.image_writers import output_form
    from ganzoo.training.sampling import IMAGE_BATCH_SIZE, sample_images, translate_folder

    plain, dotted = split_words(args.settings)
    allowed = {"checkpoint", "n", "out", "input", "seed", "label", "generator", "batch_size", "overwrite"}
    unknown = sorted(set(plain) - allowed) + dotted
    if unknown:
        raise ConfigError(f"ganzoo sample takes {', '.join(sorted(allowed))}, not {', '.join(unknown)}")
    if "checkpoint" not in plain:
        raise ConfigError("name the checkpoint: checkpoint=RUN_DIR or checkpoint=RUN_DIR/checkpoints/step_N.pt")
    seed = whole_number(plain, "seed", 0, least=None)
    overwrite = args.force or parse_overwrite(plain.get("overwrite", "false"))
    if "input" in plain:
        clash = [key for key in ("n", "label") if key in plain]
        if clash:
            raise ConfigError(f"{clash[0]}= does not apply with input=: a generator that reads images makes one output per input")
        out = plain.get("out", "translated/")
        batch_size = whole_number(plain, "batch_size", IMAGE_BATCH_SIZE)
        written = translate_folder(
            plain["checkpoint"], plain["input"], out, seed=seed, generator=plain.get("generator"), batch_size=batch_size, overwrite=overwrite
        )
        print(f"{len(written)} images written to {out}" if len(written) > 1 or output_form(out).kind == "folder" else f"outputs written to {out}")
    else:
        n, batch_size = whole_number(plain, "n", 64), whole_number(plain, "batch_size", 256)
        label = whole_number(plain, "label", 0, least=0) if "label" in plain else None
        out = plain.get("out", "samples.png")
        sample_images(
            plain["checkpoint"], out, n=n, seed=seed, label=label, generator=plain.get("generator"), batch_size=batch_size, overwrite=overwrite
        )
        print(f"{n} samples written to {out}")
    return 0


def _eval(args: argparse.Namespace) -> int:
    from ganzoo.config import split_words
    from ganzoo.metrics import EVAL_DEFAULTS, evaluate_checkpoint
    from ganzoo.metrics.evaluate import held_out_split

    plain, dotted = split_words(args.settings)
    if "fake" in plain or "real" in plain:
        return _eval_images(plain, dotted)
    allowed = {"checkpoint", "metric", "n", "features", "device", "seed"}
    unknown = sorted(set(plain) - allowed) + [word for word in dotted if not word.startswith("features.")]
    if unknown:
        raise ConfigError(
            f"ganzoo eval takes {', '.join(sorted(allowed))} and features.PARAM=VALUE (or fake=, real= for images), not {', '.join(unknown)}"
        )
    if "checkpoint" not in plain:
        raise ConfigError(
            "name the checkpoint: checkpoint=RUN_DIR, checkpoint=RUN_DIR/checkpoints/best.pt or …/step_N.pt; "
            "or images: fake=FOLDER|FILE.npz real=FOLDER|FILE.npz|DATASET"
        )
    n, seed, metrics, features = _eval_options(plain, dotted)
    values, plan, run, step = evaluate_checkpoint(plain["checkpoint"], metrics=metrics, n=n, features=features, device=plain.get("device"), seed=seed)
    data = run.config["data"]["name"]
    keys = [key for name in plan.metrics for key in values if key == name or key.startswith(f"{name}_")]  # kid_std …
    if any(f"baseline/{key}" in values for key in keys):
        rows = [[key, f"{values[key]:.4g}", f"{values[f'baseline/{key}']:.4g}" if f"baseline/{key}" in values else ""] for key in keys]
        print(table(rows, ["METRIC", "VALUE", "HELD-OUT BASELINE"]))
    else:
        print(table([[key, f"{values[key]:.4g}"] for key in keys], ["METRIC", "VALUE"]))
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


def _eval_options(plain: dict[str, str], dotted: list[str]) -> tuple[int | None, int, list[str] | None, str | dict[str, object] | None]:
    """``n=``, ``seed=``, ``metric=`` and ``features=`` (with ``features.PARAM=VALUE``) of ``ganzoo eval``."""
    from ganzoo.safe_yaml import parse_yaml

    try:
        n = int(plain["n"]) if "n" in plain else None
        seed = int(plain.get("seed", 0))
    except ValueError as error:
        raise ConfigError(f"n= and seed= take integers: {error}") from error
    metrics = [name.strip() for name in plain["metric"].split(",") if name.strip()] if "metric" in plain else None
    features: str | dict[str, object] | None = plain.get("features")
    params = {word.split("=", 1)[0][len("features.") :]: parse_yaml(word.split("=", 1)[1], f"the value of {word}") for word in dotted if word.startswith("features.")}
    if params:  # features.download=true, features.weights_path=FILE
        features = {"name": features or "digits", **params}
    return n, seed, metrics, features


def _eval_images(plain: dict[str, str], dotted: list[str]) -> int:
    from ganzoo.metrics.compare import evaluate_images
    from ganzoo.metrics.image_sets import open_image_set
    from ganzoo.safe_yaml import parse_yaml
    from ganzoo.training.devices import select_device

    allowed = {"fake", "real", "metric", "n", "features", "device", "seed"}
    prefixes = ("features.", "fake.", "real.")
    unknown = sorted(set(plain) - allowed) + [word for word in dotted if not word.startswith(prefixes)]
    if unknown:
        raise ConfigError(f"ganzoo eval of images takes {', '.join(sorted(allowed))}, fake.PARAM=, real.PARAM= and features.PARAM=, not {', '.join(unknown)}")
    for side, example in (("fake", "fake=samples/ or fake=samples.npz"), ("real", "real=FOLDER, real=FILE.npz or a data set: real=digits")):
        if side not in plain:
            raise ConfigError(f"name the {'generated' if side == 'fake' else 'real'} images: {example}")
    n, seed, metrics, features = _eval_options(plain, dotted)
    sets = {}
    for side in ("fake", "real"):
        words = [word for word in dotted if word.startswith(f"{side}.")]
        params = {word.split("=", 1)[0][len(side) + 1 :]: parse_yaml(word.split("=", 1)[1], f"the value of {word}") for word in words}
        sets[side] = open_image_set(plain[side], params, side=side)
    device = select_device(plain.get("device", "auto"))
    result = evaluate_images(sets["fake"], sets["real"], metrics=metrics, n=n, features=features, device=device, seed=seed)
    keys = [key for name in result.metrics for key in result.values if key == name or key.startswith(f"{name}_")]
    print(table([[key, f"{result.values[key]:.4g}"] for key in keys], ["METRIC", "VALUE"]))
    print()
    fake, real = sets["fake"], sets["real"]
    line = f"{result.fake_count} generated images ({fake.summary()}) of {fake.description}"
    if result.real_count:
        line += f" against {result.real_count} real images ({real.summary()}) of {real.description}"
    print(line + (", greyscale repeated to colour" if fake.channels != real.channels and result.real_count else ""))
    return 0


def add_parsers(commands: argparse._SubParsersAction) -> None:
    """Add ``sample`` and ``eval`` to the command line."""
    sample = commands.add_parser(
        "sample",
        help="generate images from a checkpoint: a grid, a folder of PNGs, an .npz or .npy array",
        description="Write samples of a trained generator in the form out= names: grid.png or grid.jpg a grid; DIR/ (a "
        "trailing slash, an existing folder or a name without suffix) one PNG per sample, 000000.png …, as clean-fid, "
        "torch-fidelity and pytorch-fid read; FILE.npz a uint8 array (N, H, W, C) under arr_0, with labels for "
        "class-conditional generators, as the ADM and StyleGAN suites read; FILE.npy the bare array. Other suffixes are "
        "refused. Class-conditional generators make their classes in turn, or one with label=K. Samples are streamed a "
        "batch at a time, so a large n takes one batch's memory. Generators that read images take input=DIR instead and "
        "make one output per input: image-to-image generators DIR of images; in-painting generators (exgan) "
        "DIR/images/NAME.png, DIR/masks/NAME.png (white = region to fill) and DIR/exemplars/NAME.png with matching "
        "names. An existing output file is kept unless overwrite=true, and nothing is ever written inside a run "
        "directory (its checkpoints, config.yaml, logs): both are checked before anything is generated.",
        epilog="examples: ganzoo sample checkpoint=runs/dcgan-… n=64 out=grid.png | ganzoo sample checkpoint=runs/dcgan-… "
        "n=50000 out=samples/ | ganzoo sample checkpoint=runs/cgan-… n=50000 out=samples.npz | ganzoo sample "
        "checkpoint=runs/cgan-… n=100 label=3 out=threes.png | ganzoo sample checkpoint=runs/pix2pix-… input=edges/ "
        "out=digits/ | ganzoo sample checkpoint=runs/exgan-… input=faces/ out=filled/",
    )
    sample.add_argument("settings", nargs="*", metavar="KEY=VALUE", help="checkpoint=PATH (required), n=64, out=FILE.png|.jpg|.npz|.npy "
                        "or DIR/ (default samples.png, or translated/ with input=), label=K, seed=0, input=DIR, generator=NAME, "
                        "batch_size=256 (16 with input=), overwrite=false")
    sample.add_argument("--force", action="store_true", help="replace existing output files (the same as overwrite=true)")
    sample.set_defaults(handler=_sample)

    evaluate = commands.add_parser(
        "eval",
        help="measure a trained generator, or any images (FID, KID, precision, recall, …)",
        description=(
            "Measure the generator a checkpoint holds: FID and KID of generated images against the training "
            "images, beside the held-out test images' own figures as a baseline; for image-to-image runs, its "
            "outputs on the test split against their targets, with L1, PSNR and SSIM. Or measure any images with "
            "fake= and real= instead of checkpoint=: each a folder of images (one size, all grey or all colour), an "
            ".npz or .npy file of uint8 pixels (N, H, W, C), or a data set part with its parameters as words "
            "(real=digits real.split=test, real=image_folder real.root=DIR); the same features, resizing and sample "
            "sizes apply (up to 50,000 real images, and all generated ones up to n). Digits features are shipped; "
            "Inception weights are downloaded only with features.download=true."
        ),
        epilog=(
            "examples: ganzoo eval checkpoint=runs/dcgan | ganzoo eval checkpoint=runs/dcgan/checkpoints/best.pt metric=fid,kid n=2000 "
            "| ganzoo eval checkpoint=runs/dcgan features=inception features.download=true | ganzoo eval fake=samples.npz "
            "real=digits metric=fid,precision,recall,density,coverage | ganzoo eval fake=samples/ real=image_folder "
            "real.root=photos/ features=inception"
        ),
    )
    evaluate.add_argument(
        "settings", nargs="*", metavar="KEY=VALUE",
        help="checkpoint=PATH, or fake=FOLDER|FILE and real=FOLDER|FILE|DATASET (with fake.PARAM=V, real.PARAM=V); "
        "metric=fid[,kid,is,classes,precision,recall,density,coverage,l1,psnr,ssim], n=1000 (all with fake=), "
        "features=digits|inception, features.PARAM=V, device=auto|cpu|cuda (default: the run's, or auto), seed=0",
    )
    evaluate.set_defaults(handler=_eval)
