"""Bad input, case by case: each gives one clear message, exit status 2, and writes nothing."""

from __future__ import annotations

import errno
import logging
import os
from collections.abc import Callable
from pathlib import Path

import pytest
import torch

from ganzoo import hookimpl
from ganzoo.cli import main
from ganzoo.plugins import PluginHost, set_host

TINY_RUN = ["recipe=vanilla", "train.batch_size=8", "train.steps=1", "train.progress=false", "train.sample_every=0"]


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("runs") / "vanilla"
    assert main(["-q", "train", *TINY_RUN, f"out={out}"]) == 0
    return out


def _image_folder(root: Path, corrupt: bool = False) -> Path:
    from PIL import Image

    root.mkdir(parents=True)
    if corrupt:
        (root / "a.png").write_bytes(b"\x89PNG\r\n\x1a\n this is not an image")
    for index in range(3):
        Image.new("RGB", (16, 16), (index * 40, 0, 0)).save(root / f"b{index}.png")
    return root


def _checkpoint_from_another_config(finished: Path, tmp: Path) -> Path:
    import shutil

    copy = tmp / "copied-run"
    shutil.copytree(finished, copy)
    path = next((copy / "checkpoints").glob("step_*.pt"))
    state = torch.load(path, weights_only=True)
    state["config"]["instances"]["G"]["latent_dim"] = 64
    torch.save(state, path)
    return copy


Case = Callable[[Path, Path], list[str]]
CASES: dict[str, tuple[Case, str]] = {
    "unknown part name": (lambda t, f: ["train", "recipe=dcgan", "generator=unte", f"out={t / 'out'}"], "did you mean 'unet'"),
    "unknown recipe": (lambda t, f: ["train", "recipe=pix2pics", f"out={t / 'out'}"], "did you mean 'pix2pix'"),
    "unknown setting": (lambda t, f: ["train", "recipe=dcgan", "train.stepz=3", f"out={t / 'out'}"], "did you mean 'steps'"),
    "unknown parameter": (lambda t, f: ["build", "generator=unet", "generator.ngff=8", "--out", str(t / "out")], "did you mean 'ngf'"),
    "ill-typed parameter": (lambda t, f: ["build", "generator=unet", "generator.ngf=big", "--out", str(t / "out")], "expected an integer"),
    "r3gan widths for the wrong size": (
        lambda t, f: ["build", "generator=r3gan", "generator.widths=[8,8]", "image_size=32", "channels=1", "--out", str(t / "out")],
        "needs 4 (4×4 up to 32×32)",
    ),
    "sngan attention without a 16x16 stage": (
        lambda t, f: ["build", "generator=sngan", "discriminator=sngan", "discriminator.attention=true", "image_size=48", "channels=1", "--out", str(t / "out")],
        "needs a 16×16 stage",
    ),
    "lecam decay out of range": (
        lambda t, f: ["train", "recipe=dcgan", "loss.lecam=lecam", "loss.lecam.decay=1.5", f"out={t / 'out'}"],
        "decay must be a number in [0, 1)",
    ),
    "incompatible parts": (
        lambda t, f: ["build", "generator=dcgan", "generator.out_channels=3", "channels=1", "image_size=32", "--out", str(t / "out")],
        "makes images of shape (3, 32, 32)",
    ),
    "wrong channels for the data": (lambda t, f: ["train", "recipe=dcgan", "channels=3", f"out={t / 'out'}"], "has channels=1"),
    "wrong image size for the parts": (lambda t, f: ["train", "recipe=pix2pix", "image_size=30", f"out={t / 'out'}"], "image_size=30"),
    "missing data": (
        lambda t, f: ["train", *TINY_RUN, "data=image_folder", f"data.root={t / 'nowhere'}", f"out={t / 'out'}"],
        "nowhere",
    ),
    "empty data folder": (
        lambda t, f: ["train", *TINY_RUN, "data=image_folder", f"data.root={(t / 'empty').mkdir() or t / 'empty'}", f"out={t / 'out'}"],
        "empty",
    ),
    "corrupt image": (
        lambda t, f: ["train", *TINY_RUN, "data=image_folder", f"data.root={_image_folder(t / 'imgs', corrupt=True)}",
                      "data.image_size=16", "generator.image_size=16", "discriminator.image_size=16", f"out={t / 'out'}"],
        "a.png",
    ),
    "truncated checkpoint": (
        lambda t, f: ["sample", f"checkpoint={_truncated(f, t)}", f"out={t / 'out'}"],
        "truncated or corrupt",
    ),
    "foreign checkpoint": (
        lambda t, f: ["sample", f"checkpoint={_foreign(t)}", f"out={t / 'out'}"],
        "not a ganzoo checkpoint",
    ),
    "checkpoint carrying code": (
        lambda t, f: ["sample", f"checkpoint={_pickled_code(t)}", f"out={t / 'out'}"],
        "refused",
    ),
    "checkpoint from another configuration": (
        lambda t, f: ["train", f"resume={_checkpoint_from_another_config(f, t)}"],
        "does not match this configuration",
    ),
    "unknown augmentation": (lambda t, f: ["train", *TINY_RUN, "augment=diffaugmnt", f"out={t / 'out'}"], "did you mean 'diffaugment'"),
    "unknown augmentation policy": (
        lambda t, f: ["train", *TINY_RUN, "augment=diffaugment", "augment.policy=color,transl", f"out={t / 'out'}"],
        "unknown policy entry 'transl'; did you mean 'translation'? (choose from color, translation, cutout)",
    ),
    "ADA target outside (0, 1)": (
        lambda t, f: ["train", *TINY_RUN, "augment=ada", "augment.target=1.2", f"out={t / 'out'}"],
        "target=1.2 is outside (0, 1)",
    ),
    "augmentation settings without an augmentation": (
        lambda t, f: ["train", *TINY_RUN, "augment.p=0.2", f"out={t / 'out'}"],
        "no augmentation is chosen; add augment=diffaugment or augment=ada",
    ),
    "ADA with a critic that has no zero": (
        lambda t, f: ["train", "recipe=wgan-gp", "augment=ada", "train.steps=1", f"out={t / 'out'}"],
        "augment 'ada' cannot serve discriminator 'D'",
    ),
    "missing checkpoint": (lambda t, f: ["sample", f"checkpoint={t / 'none.pt'}", f"out={t / 'out'}"], "does not exist"),
    "unknown plugin to disable": (lambda t, f: ["--disable-plugin", "no-such-plugin", "list"], "no installed plugin has that name"),
    "disabling the built-in zoo": (lambda t, f: ["--disable-plugin", "ganzoo", "list"], "the built-in zoo cannot be disabled"),
    "unwritable run directory": (
        lambda t, f: ["train", *TINY_RUN, f"out={_file(t) / 'run'}"],
        "cannot create run directory",
    ),
    "existing run directory": (lambda t, f: ["train", *TINY_RUN, f"out={f}"], "already holds files"),
    "no samples": (lambda t, f: ["sample", f"checkpoint={f}", "n=0", f"out={t / 'out'}"], "n= takes a whole number of 1 or more"),
    "negative samples": (lambda t, f: ["sample", f"checkpoint={f}", "n=-5", f"out={t / 'out'}"], "n=-5"),
    "non-numeric samples": (lambda t, f: ["sample", f"checkpoint={f}", "n=abc", f"out={t / 'out'}"], "n=abc"),
    "non-numeric seed": (lambda t, f: ["sample", f"checkpoint={f}", "seed=x", f"out={t / 'out'}"], "seed= takes a whole number"),
    "no batch": (lambda t, f: ["sample", f"checkpoint={f}", "batch_size=0", f"out={t / 'out'}"], "batch_size=0"),
    "a grid too large": (lambda t, f: ["sample", f"checkpoint={f}", "n=1000000", f"out={t / 'out.png'}"], "use n=99225 or fewer"),
    "samples over a checkpoint": (
        lambda t, f: ["sample", f"checkpoint={f}", f"out={next((f / 'checkpoints').glob('step_*.pt'))}", "overwrite=true"],
        "ganzoo never writes into a run",
    ),
    "samples over an existing file": (
        lambda t, f: ["sample", f"checkpoint={f}", f"out={_file(t, 'grid.png')}"],
        "exists; choose another out= or add overwrite=true",
    ),
    "a spec over an existing file": (
        lambda t, f: ["build", "generator=mlp", "discriminator=mlp", "--out", str(_file(t))],
        "exists; choose another --out or add overwrite=true",
    ),
    "a spec over a run's configuration": (
        lambda t, f: ["build", "generator=mlp", "discriminator=mlp", "--force", "--out", str(f / "config.yaml")],
        "ganzoo never writes into a run",
    ),
    "typo inside a config file": (
        lambda t, f: ["train", "--config", _write(t, "run.yaml", "train: {batchsize: 8}"), *TINY_RUN, f"out={t / 'out'}"],
        "unknown setting 'train.batchsize': 'batchsize' is not a key of train; did you mean 'batch_size'?",
    ),
    "typo inside a recipe file": (
        lambda t, f: ["train", f"recipe={_write(t, 'mine.yaml', 'optim: {generator: {learning_rate: 0.001}}')}", f"out={t / 'out'}"],
        "unknown setting 'optim.generator.learning_rate'",
    ),
    "typo inside a build spec": (
        lambda t, f: ["build", "--config", _write(t, "spec.yaml", "generatr: {name: mlp}"), "--out", str(t / "out")],
        "did you mean 'generator'",
    ),
    "yaml bomb": (lambda t, f: ["train", "--config", _write(t, "bomb.yaml", _yaml_bomb()), *TINY_RUN, f"out={t / 'out'}"], "100,000 values"),
    "deeply nested config": (
        lambda t, f: ["train", "--config", _write(t, "deep.yaml", "train: " + "[" * 100 + "]" * 100), *TINY_RUN, f"out={t / 'out'}"],
        "deeper than 64 levels",
    ),
    "a word that is not YAML": (lambda t, f: ["train", *TINY_RUN, "train.device=@gpu", f"out={t / 'out'}"], "is not valid YAML"),
    "non-integer steps": (
        lambda t, f: ["train", *TINY_RUN, "train.steps=2.5", f"out={t / 'out'}"],
        "train.steps=2.5: expected a whole number of steps (an integer ≥ 0",
    ),
    "non-finite learning rate": (
        lambda t, f: ["train", *TINY_RUN, "optim.generator.lr=nan", f"out={t / 'out'}"],
        "optim.generator.lr=nan: expected a learning rate (a finite number ≥ 0)",
    ),
    "betas of the wrong shape": (
        lambda t, f: ["train", *TINY_RUN, "optim.discriminator.betas=[0.5]", f"out={t / 'out'}"],
        "optim.discriminator.betas=[0.5]: expected two numbers in [0, 1)",
    ),
    "log every 0 steps": (lambda t, f: ["train", *TINY_RUN, "train.log_every=0", f"out={t / 'out'}"], "train.log_every=0: expected"),
    "not a boolean": (lambda t, f: ["train", *TINY_RUN, "train.progress=maybe", f"out={t / 'out'}"], "train.progress=maybe: expected true or false"),
    "a list over a mapping": (lambda t, f: ["train", *TINY_RUN, "networks=[]", f"out={t / 'out'}"], "networks=[]: expected a non-empty mapping"),
    "no networks as a word": (lambda t, f: ["train", *TINY_RUN, "networks={}", f"out={t / 'out'}"], "networks={}: expected a non-empty mapping"),
    "no networks in a file": (
        lambda t, f: ["train", "--config", _write(t, "run.yaml", "networks: {}"), *TINY_RUN, f"out={t / 'out'}"],
        "networks={}: expected a non-empty mapping",
    ),
    "a resumed run given a config file": (
        lambda t, f: ["train", "--config", _write(t, "run.yaml", "train: {steps: 5}"), f"resume={f}"],
        "a resumed run keeps its configuration",
    ),
    # Taking a trained generator elsewhere: sample formats, exports, images from anywhere.
    "an output form that does not exist": (
        lambda t, f: ["sample", f"checkpoint={f}", f"out={t / 'samples.gif'}"],
        "'.gif' is not an output form; write a grid (.png, .jpg), an array of 8-bit pixels (.npz, .npy)",
    ),
    "no samples for an array": (lambda t, f: ["sample", f"checkpoint={f}", "n=0", f"out={t / 'out.npz'}"], "n= takes a whole number of 1 or more"),
    "a class of an unconditional generator": (lambda t, f: ["sample", f"checkpoint={f}", "label=3", f"out={t / 'out.npz'}"], "takes no class"),
    "a checkpoint without a generator": (
        lambda t, f: ["sample", f"checkpoint={_checkpoint_without_generator(f, t)}", f"out={t / 'out.npz'}"],
        "holds no weights for G",
    ),
    "an array file where a folder is": (
        lambda t, f: ["sample", f"checkpoint={f}", f"out={_folder(t, 'samples.npz')}", "overwrite=true"],
        "is a folder; out= names the file to write here",
    ),
    "a folder of samples where a file is": (
        lambda t, f: ["sample", f"checkpoint={f}", f"out={_file(t, 'samples')}/", "overwrite=true"],
        "is a file; out= names the folder to write the images into here",
    ),
    "a noise generator given images": (
        lambda t, f: ["sample", f"checkpoint={f}", f"input={_image_folder(t / 'imgs')}", f"out={t / 'out'}/"],
        "input=DIR feeds generators that read images",
    ),
    "an export format that does not exist": (
        lambda t, f: ["export", f"checkpoint={f}", "format=onxx", f"out={t / 'out.onnx'}"],
        "did you mean 'onnx'",
    ),
    "an export under another format's suffix": (
        lambda t, f: ["export", f"checkpoint={f}", "format=onnx", f"out={t / 'out.pt'}"],
        "an onnx export is written to a file ending .onnx",
    ),
    "an export over an existing file": (
        lambda t, f: ["export", f"checkpoint={f}", f"out={_file(t, 'g.safetensors')}"],
        "exists; choose another out= or add overwrite=true",
    ),
    "an export of a checkpoint without a generator": (
        lambda t, f: ["export", f"checkpoint={_checkpoint_without_generator(f, t)}", f"out={t / 'out.pt'}"],
        "holds no weights for G",
    ),
    "an export of a generator the run lacks": (
        lambda t, f: ["export", f"checkpoint={f}", "generator=G_AB", f"out={t / 'out.pt'}"],
        "the run has no generator 'G_AB'",
    ),
    "images measured from an empty folder": (
        lambda t, f: ["eval", f"fake={_folder(t, 'empty')}", "real=digits"],
        "holds no images",
    ),
    "images measured from a folder that does not exist": (lambda t, f: ["eval", f"fake={t / 'nowhere'}/", "real=digits"], "no such folder or file"),
    "images of mixed sizes": (
        lambda t, f: ["eval", f"fake={_mixed_folder(t / 'mixed', sizes=True)}", "real=digits"],
        "holds images of different sizes",
    ),
    "greyscale and colour images mixed": (
        lambda t, f: ["eval", f"fake={_mixed_folder(t / 'mixed', sizes=False)}", "real=digits"],
        "holds both greyscale and colour images",
    ),
    "an array of the wrong shape": (
        lambda t, f: ["eval", f"fake={_array(t, 'a.npy', __import__('numpy').zeros((4, 8, 8, 5), 'uint8'))}", "real=digits"],
        "holds an array of shape (4, 8, 8, 5) and type uint8; expected uint8 pixels (N, H, W, C)",
    ),
    "an array of floats": (
        lambda t, f: ["eval", f"fake={_array(t, 'a.npz', __import__('numpy').zeros((4, 8, 8, 3)))}", "real=digits"],
        "type float64",
    ),
    "real images of an unknown data set": (lambda t, f: ["eval", f"fake={_image_folder(t / 'imgs')}", "real=digitz"], "did you mean 'digits'"),
    "paired measures of image sets": (
        lambda t, f: ["eval", f"fake={_image_folder(t / 'imgs')}", "real=digits", "metric=ssim"],
        "compares each output with its own target",
    ),
    "generated images without real ones": (lambda t, f: ["eval", f"fake={_image_folder(t / 'imgs')}"], "name the real images"),
    "float image out of range": (
        lambda t, f: ["train", *TINY_RUN, "data=image_folder", f"data.root={_float_image_folder(t / 'imgs')}",
                      "data.image_size=16", "generator.image_size=16", "discriminator.image_size=16", f"out={t / 'out'}"],
        "a.png: a mode F image with values from 0 to 2",
    ),
}


def _write(tmp: Path, name: str, text: str) -> str:
    path = tmp / name
    path.write_text(text + "\n", encoding="utf-8")
    return str(path)


def _yaml_bomb() -> str:
    """Some 400 bytes that stand for 9**9 strings, hidden among a slot's parameters (which take any key)."""
    lines = ["generator:", "  name: mlp", "  a: &a [" + ", ".join(["lol"] * 9) + "]"]
    lines += [f"  {n}: &{n} [" + ", ".join([f"*{p}"] * 9) + "]" for p, n in zip("abcdefgh", "bcdefghi")]
    return "\n".join(lines)


def _mixed_folder(root: Path, *, sizes: bool) -> Path:
    from PIL import Image

    _image_folder(root)
    Image.new("RGB" if sizes else "L", (24, 24) if sizes else (16, 16)).save(root / "odd.png")
    return root


def _float_image_folder(root: Path) -> Path:
    from PIL import Image

    _image_folder(root)
    image = Image.new("F", (16, 16), 0.0)
    image.putpixel((0, 0), 2.0)  # a float image whose range is not [0, 1]
    image.save(root / "a.png", format="TIFF")
    return root


def _truncated(finished: Path, tmp: Path) -> Path:
    path = tmp / "truncated.pt"
    path.write_bytes(next((finished / "checkpoints").glob("step_*.pt")).read_bytes()[:4096])
    return path


def _foreign(tmp: Path) -> Path:
    path = tmp / "foreign.pt"
    torch.save({"model": {"w": torch.zeros(2)}}, path)
    return path


class _Payload:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


def _pickled_code(tmp: Path) -> Path:
    path = tmp / "code.pt"
    torch.save({"format": "ganzoo-checkpoint", "version": 1, "payload": _Payload()}, path)
    return path


def _file(tmp: Path, name: str = "a-file") -> Path:
    path = tmp / name
    path.write_text("x")
    return path


def _folder(tmp: Path, name: str) -> Path:
    path = tmp / name
    path.mkdir()
    return path


def _checkpoint_without_generator(finished: Path, tmp: Path) -> Path:
    path = tmp / "no-generator.pt"
    state = torch.load(next((finished / "checkpoints").glob("step_*.pt")), weights_only=True)
    del state["networks"]["G"]
    torch.save(state, path)
    return path


def _array(tmp: Path, name: str, array: object) -> Path:
    import numpy as np

    path = tmp / name
    np.save(path, array) if name.endswith(".npy") else np.savez(path, array)
    return path


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input(case: str, tmp_path: Path, finished_run: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_argv, message = CASES[case]
    argv = make_argv(tmp_path, finished_run)
    before = {p for p in tmp_path.rglob("*")}
    status = main(argv)
    err = capsys.readouterr().err
    assert status == 2, err
    assert message in err, err
    assert "Traceback" not in err and len(err.strip().splitlines()) <= 2
    assert not (tmp_path / "out").exists()  # nothing half-written
    assert {p for p in tmp_path.rglob("*")} == before


def test_a_full_disk_while_writing_a_spec(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    def no_space(descriptor: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", no_space)
    assert main(["build", "generator=mlp", "discriminator=mlp", "--out", str(tmp_path / "spec.yaml")]) == 2
    assert "No space left on device" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []  # neither the spec nor a temporary file


def test_a_name_registered_by_two_plugins(capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture) -> None:
    class One:
        @hookimpl
        def ganzoo_register_parts(self, register):
            register("generator", "twin", _twin)

    class Two:
        @hookimpl
        def ganzoo_register_parts(self, register):
            register("generator", "twin", _twin)

    host = PluginHost(third_party=False)
    host.add_plugin(One(), "one", distribution="plugin-one")
    host.add_plugin(Two(), "two", distribution="plugin-two")
    previous = set_host(host)
    try:
        with caplog.at_level(logging.WARNING, logger="ganzoo.plugins"):
            assert main(["list", "generator"]) == 0  # a clash costs the later plugin its name, not the zoo
        out = capsys.readouterr().out
        (line,) = [line for line in out.splitlines() if line.split()[1] == "twin"]
        assert "plugin-one" in line and "plugin-two" not in line
        assert main(["plugins"]) == 1
        out = capsys.readouterr().out
        assert "CLASH: generator 'twin'" in next(line for line in out.splitlines() if line.startswith("two "))
    finally:
        set_host(previous)
    (warning,) = [r.getMessage() for r in caplog.records if "twin" in r.getMessage()]
    assert "plugin-one" in warning and "plugin-two" in warning and "is kept" in warning
    assert "GANZOO_DISABLE_PLUGINS=one" in warning and "--disable-plugin one" in warning and "uninstall plugin-one" in warning


def _twin(*, size: int = 1) -> int:
    """A part two plugins both claim."""
    return size
