"""Exporting a trained generator alone, in the forms other tools read: TorchScript, ONNX or safetensors.

``ganzoo export checkpoint=RUN format=onnx out=generator.onnx`` writes one generator of a run, without
its discriminators, losses, optimisers or data set:

================  ==============================  ===================================================
``format=``       ``out=`` ends with              holds, and is read by
================  ==============================  ===================================================
``torchscript``   ``.pt``, ``.pth``, ``.ts``      the traced network: ``torch.jit.load`` (Python) or
                                                  ``torch::jit::load`` (C++), no ganzoo needed
``onnx``          ``.onnx``                       the network as an ONNX graph (torch's exporter),
                                                  weights inside: onnxruntime, TensorRT, OpenVINO, …
``safetensors``   ``.safetensors``                the weights alone: load them into the network
                                                  :func:`load_generator` (or ``ganzoo build``) makes
================  ==============================  ===================================================

The exported network is the run's weight average (EMA) when the run kept one, in evaluation mode,
with a dynamic batch dimension. Beside it, ``OUT.json`` describes it (:func:`describe_generator`): its
inputs' names, shapes and types, the latent size, the classes, the image size and channels, the value
range ``[-1, 1]`` of the images, the part and parameters it was built with and the ganzoo version;
TorchScript and safetensors files embed the same description (under ``ganzoo.json`` and ``ganzoo``),
ONNX files as the ``ganzoo`` metadata property.

Before the files replace anything, the export is loaded back and run on batches of 3 and 5 examples,
and refused unless it agrees with the trained generator within :data:`TOLERANCE` (ONNX files are
checked when onnxruntime is installed). ONNX and safetensors need packages of the ``export`` extra:
``pip install 'ganzoo[export]'``.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import logging
import warnings
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ganzoo import __version__
from ganzoo import vocabulary as names
from ganzoo.atomic import atomic_path
from ganzoo.config import NAME_KEY
from ganzoo.contracts import GanNetwork
from ganzoo.errors import ConfigError, GanzooError, did_you_mean
from ganzoo.output_paths import check_new_output

__all__ = ["FORMATS", "SPEC_FORMAT", "TOLERANCE", "ExportError", "describe_generator", "export_generator", "load_generator"]

#: Each format and the file name endings it is written under (the first is the usual one).
FORMATS: dict[str, tuple[str, ...]] = {"torchscript": (".pt", ".pth", ".ts"), "onnx": (".onnx",), "safetensors": (".safetensors",)}
#: The packages each format needs beyond torch, all in the ``export`` extra.
PACKAGES: dict[str, tuple[str, ...]] = {"onnx": ("onnx", "onnxscript"), "safetensors": ("safetensors",)}
#: The marker of the description written beside an export.
SPEC_FORMAT = "ganzoo-generator"
#: The largest difference allowed between an export's images and the trained generator's.
TOLERANCE = 1e-4
#: The batch sizes an export is checked at: the one it is traced at, and another.
CHECK_BATCHES = (3, 5)

_MEANINGS = {
    names.NOISE: "standard normal noise, N(0, 1)",
    names.LABEL: "class index",
    names.SOURCE: "input image in [-1, 1]",
    names.MASK: "1 inside the region to fill, 0 elsewhere",
    names.EXEMPLAR: "another image of the same identity, in [-1, 1]",
}


class ExportError(GanzooError):
    """A generator that could not be exported, or an export that does not reproduce it."""


def export_format(format: str | None, out: str | Path | None, generator: str = "generator") -> tuple[str, Path]:
    """The format and output path of an export, from ``format=`` or the suffix of ``out=`` (or both).

    Raises:
        ConfigError: For an unknown format, a suffix that is not the format's, or neither given.
    """
    if format is None:
        suffix = Path(out).suffix.lower() if out is not None else ""
        format = next((name for name, suffixes in FORMATS.items() if suffix in suffixes), None)
        if format is None:
            raise ConfigError(f"name the format: format={'|'.join(FORMATS)} (or an out= ending {', '.join(s for f in FORMATS.values() for s in f)})")
    if format not in FORMATS:
        raise ConfigError(f"format={format}: unknown export format{did_you_mean(format, FORMATS)}; use {', '.join(FORMATS)}")
    path = Path(out) if out is not None else Path(f"{generator}{FORMATS[format][0]}")
    if path.suffix.lower() not in FORMATS[format]:
        raise ConfigError(f"out={out}: {'an' if format[0] in 'aeiou' else 'a'} {format} export is written to a file ending {' or '.join(FORMATS[format])}, e.g. out={path.with_suffix(FORMATS[format][0])}")
    return format, path


def check_packages(format: str) -> None:
    """Refuse a format whose packages are missing, naming the pip extra that brings them.

    Raises:
        ConfigError: If a package the format needs is not installed.
    """
    missing = [package for package in PACKAGES.get(format, ()) if importlib.util.find_spec(package) is None]
    if missing:
        raise ConfigError(
            f"format={format} needs the {' and '.join(missing)} package{'s' if len(missing) > 1 else ''}, not installed here: "
            "pip install 'ganzoo[export]'"
        )


def _spec_path(path: Path) -> Path:
    return path.with_name(f"{path.name}.json")


def _example_inputs(network: GanNetwork, batch: int) -> tuple[torch.Tensor, ...]:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(batch)
        return tuple(t.cpu() for t in network.example_inputs(batch))


def _uses_batch_statistics(network: nn.Module) -> bool:
    return any(isinstance(m, nn.modules.batchnorm._BatchNorm) and not m.track_running_stats for m in network.modules())


def describe_generator(network: GanNetwork, name: str, config: Mapping[str, Any], **facts: Any) -> dict[str, Any]:
    """The description of an exported generator: what it takes and makes, and how it was built.

    Args:
        network: The generator (in evaluation mode).
        name: Its instance name in the run.
        config: The run's configuration (its ``instances`` record the part and parameters).
        **facts: More entries (``export_format``, ``weights``, ``step``, …).

    Returns:
        A JSON-ready mapping.
    """
    from ganzoo.training.build import instance_params

    examples = _example_inputs(network, 2)
    with torch.no_grad():
        output = network(*examples)
    classes = int(config["num_classes"]) if names.LABEL in network.inputs and config.get("num_classes") else None
    inputs = []
    for input_name, tensor in zip(network.inputs, examples):
        entry: dict[str, Any] = {"name": input_name, "shape": ["batch", *tensor.shape[1:]], "dtype": str(tensor.dtype).removeprefix("torch.")}
        entry["meaning"] = _MEANINGS.get(input_name, "")
        if input_name == names.LABEL and classes:
            entry["range"] = [0, classes - 1]
        inputs.append(entry)
    params = instance_params(config, name)
    return {
        "format": SPEC_FORMAT,
        "version": 1,
        "ganzoo_version": __version__,
        "generator": name,
        "part": params.pop(NAME_KEY),
        "parameters": params,
        "recipe": config.get("recipe"),
        "inputs": inputs,
        "output": {"name": "image", "shape": ["batch", *output.shape[1:]], "dtype": str(output.dtype).removeprefix("torch.")},
        "latent_dim": int(network.latent_dim) if names.NOISE in network.inputs else None,
        "num_classes": classes,
        "image_size": int(output.shape[-1]),
        "channels": int(output.shape[1]),
        "value_range": [-1, 1],
        "batch_statistics": _uses_batch_statistics(network),
        **facts,
    }


# --- the three formats -----------------------------------------------------------------------------


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Silence the exporters' chatter: progress lines, log records, deprecation and tracer warnings."""
    previous = logging.root.manager.disable
    logging.disable(logging.WARNING)
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            yield
    finally:
        logging.disable(previous)


def _torchscript(network: GanNetwork, spec: dict[str, Any]) -> tuple[bytes, Callable[..., torch.Tensor]]:
    with _quiet():
        traced = torch.jit.trace(network, _example_inputs(network, CHECK_BATCHES[0]), check_trace=False)
        buffer = io.BytesIO()
        torch.jit.save(traced, buffer, _extra_files={"ganzoo.json": json.dumps(spec)})
        loaded = torch.jit.load(io.BytesIO(buffer.getvalue()))
    return buffer.getvalue(), loaded


def _onnx(network: GanNetwork, spec: dict[str, Any]) -> tuple[bytes, Callable[..., torch.Tensor] | None]:
    batch = torch.export.Dim("batch", min=1)
    try:
        with _quiet():
            program = torch.onnx.export(
                network, _example_inputs(network, CHECK_BATCHES[0]), None, dynamo=True, input_names=list(network.inputs),
                output_names=["image"], dynamic_shapes=tuple({0: batch} for _ in network.inputs),
            )
    except Exception as error:  # the exporter's many failure types all mean "this network cannot be exported"
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ExportError(f"torch could not export generator '{spec['generator']}' to ONNX: {first}") from error
    model = program.model_proto
    spec["opset"] = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), None)
    entry = model.metadata_props.add()
    entry.key, entry.value = "ganzoo", json.dumps(spec)
    if model.ByteSize() >= 2**31:
        raise ExportError(f"generator '{spec['generator']}' is larger than the 2 GB an ONNX file holds; export it as safetensors")
    data = model.SerializeToString()
    if importlib.util.find_spec("onnxruntime") is None:
        return data, None
    import onnxruntime

    session = onnxruntime.InferenceSession(data, providers=["CPUExecutionProvider"])

    def run(*tensors: torch.Tensor) -> torch.Tensor:
        feeds = {input_name: tensor.numpy() for input_name, tensor in zip(network.inputs, tensors)}
        return torch.from_numpy(session.run(None, feeds)[0])

    return data, run


def _safetensors(network: GanNetwork, spec: dict[str, Any]) -> tuple[bytes, Callable[..., torch.Tensor]]:
    from safetensors.torch import save

    weights = {key: value.detach().cpu().contiguous().clone() for key, value in network.state_dict().items()}
    data = save(weights, metadata={"ganzoo": json.dumps(spec)})
    return data, load_generator_bytes(data)


def load_generator(path: str | Path) -> GanNetwork:
    """Rebuild an exported generator from its safetensors weights, as ganzoo built it for training.

    The part and parameters recorded in the file make the network (with
    :func:`ganzoo.assembly.build_network`); weight averages of generators with batch normalisation
    normalise with each batch's statistics, as the run sampled them.

    Args:
        path: A ``.safetensors`` file written by :func:`export_generator`.

    Returns:
        The generator, in evaluation mode, on the CPU.

    Raises:
        ExportError: If the file is not a ganzoo export or its weights do not fit the network.
    """
    return load_generator_bytes(Path(path).read_bytes(), str(path))


def load_generator_bytes(data: bytes, source: str = "the export") -> GanNetwork:
    """:func:`load_generator` from the bytes of a safetensors file."""
    from safetensors import SafetensorError
    from safetensors.torch import load

    from ganzoo.assembly import Context, build_network
    from ganzoo.plugins import get_registry

    try:
        weights = load(data)
        header_length = int.from_bytes(data[:8], "little")
        metadata = json.loads(data[8 : 8 + header_length]).get("__metadata__") or {}
        spec = json.loads(metadata["ganzoo"])
    except (SafetensorError, KeyError, ValueError) as error:
        raise ExportError(f"{source} is not a generator exported by ganzoo ({error})") from error
    network = build_network(get_registry(), "generator", {NAME_KEY: spec["part"], **spec["parameters"]}, Context()).module
    if spec.get("batch_statistics"):
        for layer in network.modules():
            if isinstance(layer, nn.modules.batchnorm._BatchNorm):
                layer.track_running_stats = False
                layer.running_mean = layer.running_var = layer.num_batches_tracked = None
    try:
        network.load_state_dict(weights)
    except RuntimeError as error:
        raise ExportError(f"the weights in {source} do not fit generator part '{spec['part']}': {error}") from error
    return network.eval()  # type: ignore[return-value]


_WRITERS = {"torchscript": _torchscript, "onnx": _onnx, "safetensors": _safetensors}


def _compare(network: GanNetwork, run: Callable[..., torch.Tensor], name: str, format: str) -> float:
    worst = 0.0
    for batch in CHECK_BATCHES:
        inputs = _example_inputs(network, batch)
        with torch.no_grad():
            expected, got = network(*inputs), run(*inputs)
        if tuple(got.shape) != tuple(expected.shape):
            raise ExportError(f"the {format} export of '{name}' makes {tuple(got.shape)} for a batch of {batch}, not {tuple(expected.shape)}")
        worst = max(worst, float((got.float() - expected.float()).abs().max()))
    if worst > TOLERANCE:
        raise ExportError(f"the {format} export of '{name}' differs from the trained generator by {worst:.3g} (more than {TOLERANCE:g}); nothing written")
    return worst


def export_generator(
    checkpoint: str | Path,
    format: str | None = None,
    out: str | Path | None = None,
    *,
    generator: str | None = None,
    overwrite: bool = False,
) -> tuple[Path, dict[str, Any]]:
    """Export one generator of a run, with its description beside it (``OUT.json``).

    Args:
        checkpoint: A checkpoint file or a run directory.
        format: ``"torchscript"``, ``"onnx"`` or ``"safetensors"`` (default: from the suffix of ``out``).
        out: The file to write (default: ``GENERATOR.pt``, ``.onnx`` or ``.safetensors``).
        generator: Which of the run's generators (default: its first).
        overwrite: Replace the files if they exist (a run's files are never replaced).

    Returns:
        The path written and its description, with ``checked`` (the largest difference found, or
        ``None`` where no runtime was at hand to check).

    Raises:
        ConfigError: For an unknown format or suffix, a missing package, an output that may not be
            written, or a generator the run does not have; before anything is exported.
        ExportError: If the network cannot be exported or the export does not reproduce it; nothing
            is written then.
    """
    from ganzoo.plugins import get_registry
    from ganzoo.training import checkpoint as ckpt
    from ganzoo.training.build import restore_run
    from ganzoo.training.sampling import pick_generator

    format, path = export_format(format, out, generator or "generator")
    check_packages(format)
    for target in (path, _spec_path(path)):
        check_new_output(target, overwrite=overwrite, kind="file")
    state = ckpt.load_checkpoint(checkpoint, require=ckpt.GENERATOR_SECTIONS)
    built = restore_run(state, get_registry(), torch.device("cpu"), data=False)
    name, trained = pick_generator(built.generators, generator)
    average = built.schedule.averaged(name)
    network: GanNetwork = (average or trained).eval()  # type: ignore[assignment]
    spec = describe_generator(
        network, name, built.config, export_format=format, file=path.name,
        weights="ema" if average is not None else "trained", step=int(state["step"]),
    )
    data, run = _WRITERS[format](network, spec)
    spec["checked"] = None if run is None else _compare(network, run, name, format)
    with atomic_path(path) as model_file, atomic_path(_spec_path(path)) as spec_file:
        model_file.write_bytes(data)
        spec_file.write_text(json.dumps(spec, indent=2) + "\n", encoding="utf-8")
    return path, spec
