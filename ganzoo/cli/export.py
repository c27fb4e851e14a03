"""``ganzoo export``: one trained generator, alone, as TorchScript, ONNX or safetensors."""

from __future__ import annotations

import argparse

from ganzoo.errors import ConfigError


def _export(args: argparse.Namespace) -> int:
    from ganzoo.config import split_words
    from ganzoo.export import TOLERANCE, export_generator
    from ganzoo.output_paths import parse_overwrite

    plain, dotted = split_words(args.settings)
    allowed = {"checkpoint", "format", "out", "generator", "overwrite"}
    unknown = sorted(set(plain) - allowed) + dotted
    if unknown:
        raise ConfigError(f"ganzoo export takes {', '.join(sorted(allowed))}, not {', '.join(unknown)}")
    if "checkpoint" not in plain:
        raise ConfigError("name the checkpoint: checkpoint=RUN_DIR or checkpoint=RUN_DIR/checkpoints/step_N.pt")
    overwrite = args.force or parse_overwrite(plain.get("overwrite", "false"))
    path, spec = export_generator(
        plain["checkpoint"], plain.get("format"), plain.get("out"), generator=plain.get("generator"), overwrite=overwrite
    )
    def shape(entry: dict) -> str:
        return f"({', '.join(str(size) for size in entry['shape'])})"

    inputs = ", ".join(f"{entry['name']} {shape(entry)}" for entry in spec["inputs"])
    weights = "its weight average (EMA)" if spec["weights"] == "ema" else "its weights"
    print(
        f"generator '{spec['generator']}' ({spec['part']}, {weights} at step {spec['step']}) written to {path} as "
        f"{spec['export_format']}: it takes {inputs} and makes images {shape(spec['output'])} in [-1, 1]"
    )
    if spec["checked"] is None:
        print("not checked against the trained generator: install onnxruntime to check ONNX exports (pip install 'ganzoo[export]')")
    else:
        print(f"checked: it reproduces the trained generator within {spec['checked']:.2g} (at most {TOLERANCE:g} is accepted)")
    print(f"its inputs, outputs and parameters are described in {path}.json")
    return 0


def add_parsers(commands: argparse._SubParsersAction) -> None:
    """Add ``export`` to the command line."""
    export = commands.add_parser(
        "export",
        help="write a trained generator alone as TorchScript, ONNX or safetensors",
        description="Write one generator of a run, without its training code or data set: TorchScript (torch.jit.load, "
        "C++), ONNX (onnxruntime, TensorRT, …) or safetensors weights. The run's weight average is exported when it kept "
        "one, in evaluation mode, with a dynamic batch dimension; OUT.json beside it describes its inputs (names, shapes, "
        "types), latent size, classes, image size, channels, value range [-1, 1], part and parameters. The export is run "
        "against the trained generator before anything is written. ONNX and safetensors need pip install 'ganzoo[export]'.",
        epilog="examples: ganzoo export checkpoint=runs/dcgan format=onnx out=dcgan.onnx | ganzoo export checkpoint=runs/dcgan "
        "out=dcgan.pt | ganzoo export checkpoint=runs/cyclegan generator=G_BA format=safetensors out=b2a.safetensors",
    )
    export.add_argument(
        "settings", nargs="*", metavar="KEY=VALUE",
        help="checkpoint=PATH (required), format=torchscript|onnx|safetensors (or implied by out=), out=FILE (default "
        "GENERATOR.pt, .onnx or .safetensors), generator=NAME (default: the run's first), overwrite=false",
    )
    export.add_argument("--force", action="store_true", help="replace existing output files (the same as overwrite=true)")
    export.set_defaults(handler=_export)
