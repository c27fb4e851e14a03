"""``ganzoo export``: each format loads without ganzoo's training code and reproduces the generator."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest
import torch

from ganzoo import __version__
from ganzoo.assembly import Context, build_network
from ganzoo.cli import main
from ganzoo.errors import ConfigError
from ganzoo.export import ExportError, export_generator, load_generator
from ganzoo.plugins import get_registry
from ganzoo.training.sampling import load_generators

TINY = ["generator.ngf=4", "discriminator.ndf=4", "train.steps=2", "train.batch_size=4", "train.progress=false", "train.sample_every=0", "eval.every=0"]


def _train(tmp_path_factory: pytest.TempPathFactory, recipe: str, *extra: str) -> Path:
    out = tmp_path_factory.mktemp("runs") / recipe
    assert main(["-q", "train", f"recipe={recipe}", *TINY, *extra, f"out={out}"]) == 0
    return out


@pytest.fixture(scope="module")
def dcgan_ema(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A DCGAN whose weight average normalises with each batch's statistics."""
    return _train(tmp_path_factory, "dcgan", "schedule.ema=ema")


@pytest.fixture(scope="module")
def cgan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _train(tmp_path_factory, "cgan")


@pytest.fixture(scope="module")
def exgan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _train(tmp_path_factory, "exgan")


def _inputs(network: torch.nn.Module, batch: int) -> tuple[torch.Tensor, ...]:
    torch.manual_seed(100 + batch)
    return tuple(network.example_inputs(batch))


def _assert_reproduces(run: Path, loaded, batches=(3, 5)) -> None:
    eager = load_generators(run)[0]["G"]  # the weight average where the run kept one, in eval mode
    for batch in batches:  # 5: a batch size the export was not traced at
        inputs = _inputs(eager, batch)
        with torch.no_grad():
            expected, got = eager(*inputs), loaded(*inputs)
        assert got.shape == expected.shape and float((got - expected).abs().max()) <= 1e-4


def _torchscript(path: Path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # torch deprecates TorchScript in favour of torch.export
        return torch.jit.load(str(path))


@pytest.mark.parametrize("run_name", ["dcgan_ema", "cgan", "exgan"])
def test_torchscript_reproduces_the_generator_at_any_batch_size(run_name: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    run = request.getfixturevalue(run_name)
    path, spec = export_generator(run, "torchscript", tmp_path / "g.pt")
    assert spec["checked"] is not None and spec["checked"] <= 1e-4
    _assert_reproduces(run, _torchscript(path))


@pytest.mark.parametrize("run_name", ["dcgan_ema", "cgan", "exgan"])
def test_onnx_reproduces_the_generator_at_any_batch_size(run_name: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    pytest.importorskip("onnxscript", reason="the export extra is not installed: pip install 'ganzoo[export]'")
    onnxruntime = pytest.importorskip("onnxruntime")
    run = request.getfixturevalue(run_name)
    path, spec = export_generator(run, out=tmp_path / "g.onnx")  # the format follows the suffix
    assert spec["export_format"] == "onnx" and spec["checked"] <= 1e-4
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == [entry["name"] for entry in spec["inputs"]]
    assert all(i.shape[0] == "batch" for i in session.get_inputs())

    def run_onnx(*tensors: torch.Tensor) -> torch.Tensor:
        return torch.from_numpy(session.run(None, {i.name: t.numpy() for i, t in zip(session.get_inputs(), tensors)})[0])

    _assert_reproduces(run, run_onnx)
    assert json.loads(session.get_modelmeta().custom_metadata_map["ganzoo"])["part"] == spec["part"]


def test_safetensors_weights_load_into_the_network_ganzoo_builds(cgan: Path, dcgan_ema: Path, tmp_path: Path) -> None:
    safetensors = pytest.importorskip("safetensors.torch", reason="the export extra is not installed: pip install 'ganzoo[export]'")
    path, spec = export_generator(cgan, "safetensors", tmp_path / "g.safetensors")
    # From the recorded instance alone: the part and its parameters.
    network = build_network(get_registry(), "generator", {"name": spec["part"], **spec["parameters"]}, Context()).module
    network.load_state_dict(safetensors.load_file(str(path)))
    _assert_reproduces(cgan, network.eval())
    # A weight average with batch normalisation keeps no running statistics; load_generator rebuilds it as sampled.
    path, spec = export_generator(dcgan_ema, "safetensors", tmp_path / "ema.safetensors")
    assert spec["weights"] == "ema" and spec["batch_statistics"] is True
    _assert_reproduces(dcgan_ema, load_generator(path))


def test_the_description_says_what_the_generator_takes_and_makes(cgan: Path, tmp_path: Path) -> None:
    path, spec = export_generator(cgan, "torchscript", tmp_path / "cgan.pt")
    written = json.loads((tmp_path / "cgan.pt.json").read_text(encoding="utf-8"))
    assert written == spec
    config = load_generators(cgan)[1]
    recorded = dict(config["instances"]["G"])
    assert {"part": written["part"], **written["parameters"]} == {"part": recorded.pop("name"), **recorded}
    assert written["inputs"] == [
        {"name": "z", "shape": ["batch", 100], "dtype": "float32", "meaning": "standard normal noise, N(0, 1)"},
        {"name": "label", "shape": ["batch"], "dtype": "int64", "meaning": "class index", "range": [0, 9]},
    ]
    assert written["output"] == {"name": "image", "shape": ["batch", 1, 32, 32], "dtype": "float32"}
    facts = {key: written[key] for key in ("latent_dim", "num_classes", "image_size", "channels", "value_range", "ganzoo_version", "weights", "step")}
    assert facts == {"latent_dim": 100, "num_classes": 10, "image_size": 32, "channels": 1, "value_range": [-1, 1],
                     "ganzoo_version": __version__, "weights": "trained", "step": 2}
    extra = {"ganzoo.json": ""}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        torch.jit.load(str(path), _extra_files=extra)
    assert {k: v for k, v in json.loads(extra["ganzoo.json"]).items() if k != "checked"} == {k: v for k, v in spec.items() if k != "checked"}


def test_the_command_exports_and_replaces_its_own_files_only_when_asked(exgan: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "exgan.pt"
    assert main(["export", f"checkpoint={exgan}", f"out={out}"]) == 0
    printed = capsys.readouterr().out
    assert "takes source (batch, 1, 32, 32), mask (batch, 1, 32, 32), exemplar (batch, 1, 32, 32)" in printed
    assert "checked: it reproduces the trained generator" in printed and (tmp_path / "exgan.pt.json").is_file()
    assert main(["export", f"checkpoint={exgan}", f"out={out}"]) == 2
    assert "exists; choose another out= or add overwrite=true" in capsys.readouterr().err
    assert main(["export", f"checkpoint={exgan}", f"out={out}", "overwrite=true"]) == 0  # an export is no checkpoint
    checkpoint_copy = tmp_path / "copy.pt"
    checkpoint_copy.write_bytes(next((exgan / "checkpoints").glob("step_*.pt")).read_bytes())
    assert main(["export", f"checkpoint={exgan}", f"out={checkpoint_copy}", "overwrite=true"]) == 2
    assert "never replaces one" in capsys.readouterr().err


def test_a_missing_package_is_named_with_its_extra_and_nothing_is_written(
    cgan: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import importlib.util

    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name in ("onnxscript", "safetensors") else real_find_spec(name, *a))
    for format, package in (("onnx", "onnxscript"), ("safetensors", "safetensors")):
        assert main(["export", f"checkpoint={cgan}", f"format={format}", f"out={tmp_path / ('g.' + format)}"]) == 2
        err = capsys.readouterr().err
        assert f"format={format} needs the {package} package" in err and "pip install 'ganzoo[export]'" in err
        assert len(err.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_an_export_that_does_not_reproduce_the_generator_is_not_written(cgan: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ganzoo import export

    monkeypatch.setattr(export, "TOLERANCE", -1.0)
    with pytest.raises(ExportError, match="differs from the trained generator by .*nothing written"):
        export_generator(cgan, "torchscript", tmp_path / "g.pt")
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ConfigError, match="name the format"):
        export_generator(cgan, None, tmp_path / "g.bin")
