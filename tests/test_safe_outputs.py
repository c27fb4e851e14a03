"""What commands write: never over a file unasked, never into a run, whole files with the usual permissions."""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from ganzoo.atomic import OutputError, atomic_write_text
from ganzoo.cli import main
from ganzoo.errors import ConfigError
from ganzoo.output_paths import check_new_output
from ganzoo.training import Trainer
from ganzoo.training import checkpoint as ckpt
from ganzoo.training.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from ganzoo.training.outputs import GridCanvas, image_grid, save_png
from ganzoo.training.run_directory import MARKER as RUN_MARKER
from ganzoo.training.sampling import sample_grid, translate_folder

TINY = ["train.batch_size=8", "train.progress=false", "train.sample_every=0", "train.checkpoint_every=1"]


@pytest.fixture(scope="module")
def vanilla(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished two-step run with a checkpoint after each step."""
    out = tmp_path_factory.mktemp("runs") / "vanilla"
    assert main(["-q", "train", "recipe=vanilla", "train.steps=2", *TINY, f"out={out}"]) == 0
    return out


@pytest.fixture(scope="module")
def pix2pix(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("runs") / "pix2pix"
    words = ["recipe=pix2pix", "train.steps=1", "train.batch_size=2", "generator.ngf=8", "discriminator.ndf=8", *TINY]
    assert main(["-q", "train", *words, f"out={out}"]) == 0
    return out


def _copy(run: Path, tmp: Path) -> Path:
    copy = tmp / "copy"
    shutil.copytree(run, copy)
    return copy


def _checkpoints(run: Path) -> list[Path]:
    return sorted((run / "checkpoints").glob("step_*.pt"))


def _ganzoo(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    status = main(list(argv))
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) <= 2
    return status, err


# --- never into a run, never over a file unasked -------------------------------------------------


@pytest.mark.parametrize("force", [[], ["overwrite=true"], ["--force"]])
def test_sampling_over_a_checkpoint_is_refused_even_when_asked(
    force: list[str], vanilla: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = _checkpoints(vanilla)[-1]
    before = target.read_bytes()
    status, err = _ganzoo(capsys, "sample", f"checkpoint={vanilla}", f"out={target}", *force)
    assert status == 2 and "is inside run directory" in err and "ganzoo never writes into a run" in err
    assert target.read_bytes() == before
    assert load_checkpoint(vanilla)["step"] == 2  # the run still resumes from it


@pytest.mark.parametrize("inside", ["grid.png", "samples/new.png", "checkpoints/latest", "config.yaml", "metrics.jsonl"])
def test_nothing_is_written_anywhere_inside_a_run(inside: str, vanilla: Path, capsys: pytest.CaptureFixture[str]) -> None:
    listing = sorted(vanilla.rglob("*"))
    status, err = _ganzoo(capsys, "sample", f"checkpoint={vanilla}", f"out={vanilla / inside}", "--force")
    assert status == 2 and f"inside run directory '{vanilla}'" in err
    assert sorted(vanilla.rglob("*")) == listing


def test_a_marked_run_directory_is_recognised_without_checkpoints(tmp_path: Path) -> None:
    run = tmp_path / "starting-run"
    run.mkdir()
    (run / RUN_MARKER).write_text("")
    with pytest.raises(ConfigError, match="ganzoo never writes into a run"):
        check_new_output(run / "grid.png", overwrite=True)
    with pytest.raises(ConfigError, match="is run directory"):
        check_new_output(run, overwrite=True, kind="folder")
    # A folder merely named like a run's is not one.
    (tmp_path / "other" / "checkpoints").mkdir(parents=True)
    check_new_output(tmp_path / "other" / "grid.png", overwrite=False)


def test_a_link_into_a_run_is_refused(vanilla: Path, tmp_path: Path) -> None:
    link = tmp_path / "link.png"
    link.symlink_to(_checkpoints(vanilla)[-1])
    with pytest.raises(ConfigError, match="ganzoo never writes into a run"):
        check_new_output(link, overwrite=True)


@pytest.mark.parametrize("name", ["old.pt", "latest", "best.json", "config.yaml"])
def test_a_runs_file_outside_its_run_is_never_replaced(name: str, tmp_path: Path) -> None:
    path = tmp_path / name
    path.write_bytes(b"precious")
    with pytest.raises(ConfigError, match="looks like a file of a ganzoo run"):
        check_new_output(path, overwrite=True)
    assert path.read_bytes() == b"precious"


def test_an_existing_grid_is_replaced_only_when_asked(vanilla: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "grid.png"
    out.write_bytes(b"mine")
    status, err = _ganzoo(capsys, "sample", f"checkpoint={vanilla}", "n=4", f"out={out}")
    assert status == 2 and f"'{out}' exists; choose another out= or add overwrite=true" in err
    assert out.read_bytes() == b"mine"
    assert main(["sample", f"checkpoint={vanilla}", "n=4", f"out={out}", "overwrite=true"]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    out.write_bytes(b"mine")
    assert main(["sample", "--force", f"checkpoint={vanilla}", "n=4", f"out={out}"]) == 0  # words after the flag too
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["grid.png"]  # no temporary file left


def test_a_folder_where_the_grid_goes_is_refused(vanilla: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "grid.png").mkdir()
    status, err = _ganzoo(capsys, "sample", f"checkpoint={vanilla}", f"out={tmp_path / 'grid.png'}", "--force")
    assert status == 2 and "is a folder" in err
    (tmp_path / "a-file").write_text("x")
    status, err = _ganzoo(capsys, "sample", f"checkpoint={vanilla}", f"out={tmp_path / 'a-file' / 'sub' / 'grid.png'}")
    assert status == 2 and "is a file, not a folder" in err


def test_a_spec_is_replaced_only_when_asked(vanilla: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text("mine: 1\n")
    pair = ["build", "generator=mlp", "discriminator=mlp", "--out", str(spec)]
    status, err = _ganzoo(capsys, *pair)
    assert status == 2 and "exists; choose another --out or add overwrite=true" in err and spec.read_text() == "mine: 1\n"
    assert main([*pair, "overwrite=true"]) == 0 and "generator:" in spec.read_text()
    spec.write_text("mine: 1\n")
    assert main([*pair, "--force"]) == 0 and "generator:" in spec.read_text()
    config = vanilla / "config.yaml"
    before = config.read_bytes()
    status, err = _ganzoo(capsys, "build", "generator=mlp", "discriminator=mlp", "--out", str(config), "--force")
    assert status == 2 and "ganzoo never writes into a run" in err and config.read_bytes() == before


def _inputs(folder: Path, names: list[str]) -> Path:
    from PIL import Image

    folder.mkdir()
    for index, name in enumerate(names):
        Image.new("RGB", (40, 40), (index * 60, 0, 0)).save(folder / name)
    return folder


def test_translating_checks_every_output_before_generating_any(pix2pix: Path, tmp_path: Path) -> None:
    inputs = _inputs(tmp_path / "inputs", ["a.png", "b.png", "c.png"])
    out = tmp_path / "out"
    out.mkdir()
    (out / "b.png").write_bytes(b"mine")
    with pytest.raises(ConfigError, match="b.png' exists; choose another out= or add overwrite=true"):
        translate_folder(pix2pix, inputs, out)
    assert sorted(p.name for p in out.iterdir()) == ["b.png"] and (out / "b.png").read_bytes() == b"mine"
    assert [p.name for p in translate_folder(pix2pix, inputs, out, overwrite=True)] == ["a.png", "b.png", "c.png"]
    assert (out / "b.png").read_bytes()[:4] == b"\x89PNG"


def test_translating_into_a_file_a_run_or_twice_to_one_name_is_refused(pix2pix: Path, vanilla: Path, tmp_path: Path) -> None:
    inputs = _inputs(tmp_path / "inputs", ["a.png", "a.jpg"])
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    with pytest.raises(ConfigError, match="is a file; out= names the folder"):
        translate_folder(pix2pix, inputs, blocker, overwrite=True)
    with pytest.raises(ConfigError, match="ganzoo never writes into a run"):
        translate_folder(pix2pix, inputs, vanilla / "translated", overwrite=True)
    with pytest.raises(ConfigError, match="would both be written to"):
        translate_folder(pix2pix, inputs, tmp_path / "out")
    assert not (tmp_path / "out").exists()


# --- large grids ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("count", "channels", "per_row"), [(10, 3, None), (10, 1, None), (7, 3, 3), (1, 1, None), (2, 3, None)])
def test_a_grid_filled_batch_by_batch_is_the_same_png(count: int, channels: int, per_row: int | None, tmp_path: Path) -> None:
    images = torch.rand(count, channels, 6, 5, generator=torch.Generator().manual_seed(count)) * 2.4 - 1.2  # some outside [-1, 1]
    save_png(tmp_path / "whole.png", image_grid([images], per_row=per_row))
    canvas = GridCanvas(count, per_row=per_row)
    for start in range(0, count, 3):
        canvas.add(images[start : start + 3])
    canvas.save(tmp_path / "batched.png")
    assert (tmp_path / "batched.png").read_bytes() == (tmp_path / "whole.png").read_bytes()


def test_samples_do_not_depend_on_the_batch_size(vanilla: Path, tmp_path: Path) -> None:
    from PIL import Image

    from ganzoo.training.sampling import load_generators

    sample_grid(vanilla, tmp_path / "batched.png", n=10, seed=3, batch_size=3)
    sample_grid(vanilla, tmp_path / "whole.png", n=10, seed=3, batch_size=256)
    # The grid of all samples drawn and generated at once, as a single batch.
    network = load_generators(vanilla)[0]["G"]
    with torch.no_grad():
        images = network(torch.randn(10, network.latent_dim, generator=torch.Generator().manual_seed(3)))
    save_png(tmp_path / "reference.png", image_grid([images]))
    reference = np.asarray(Image.open(tmp_path / "reference.png"), dtype=int)
    for name in ("batched.png", "whole.png"):
        pixels = np.asarray(Image.open(tmp_path / name), dtype=int)
        assert pixels.shape == reference.shape and np.abs(pixels - reference).max() <= 1  # float sums may round apart


def test_a_grid_too_large_is_refused_before_generating(vanilla: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ganzoo.training import image_writers

    monkeypatch.setattr(image_writers, "GridCanvas", None)  # generating anything would fail on it
    with pytest.raises(ConfigError, match=r"30002×30002 pixels.*use n=99225 or fewer"):
        sample_grid(vanilla, tmp_path / "grid.png", n=1_000_000)
    assert not (tmp_path / "grid.png").exists()


# --- permissions, full disks ---------------------------------------------------------------------


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_atomic_writes_keep_the_umask(umask: int, mode: int, tmp_path: Path) -> None:
    previous = os.umask(umask)
    try:
        atomic_write_text(tmp_path / "written.txt", "x")
        (tmp_path / "plain.txt").write_text("x")
    finally:
        os.umask(previous)
    assert (tmp_path / "written.txt").stat().st_mode & 0o777 == mode
    assert (tmp_path / "plain.txt").stat().st_mode & 0o777 == mode  # as any other new file


def test_the_umask_is_read_without_proc_too(monkeypatch: pytest.MonkeyPatch) -> None:
    import ganzoo.atomic

    def no_proc(*args: object, **kwargs: object) -> None:
        raise OSError("no /proc here")

    previous = os.umask(0o027)
    try:
        assert ganzoo.atomic.current_umask() == 0o027
        monkeypatch.setattr(ganzoo.atomic, "open", no_proc, raising=False)
        assert ganzoo.atomic.current_umask() == 0o027
        assert os.umask(0o022) == 0o027  # and left as it was
    finally:
        os.umask(previous)


def _full_disk(obj: object, path: Path, *args: object, **kwargs: object) -> None:
    with open(path, "wb") as stream:
        stream.write(b"PK partial")
    raise RuntimeError(
        "[enforce fail at inline_container.cc:603] . PytorchStreamWriter failed writing file data/3: file write failed"
    )


def test_a_full_disk_in_torch_save_is_an_output_error(vanilla: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run = _copy(vanilla, tmp_path)
    path = _checkpoints(run)[-1]
    before = path.read_bytes()
    state = {key: value for key, value in load_checkpoint(run).items() if key not in ("format", "version")}
    monkeypatch.setattr(ckpt.torch, "save", _full_disk)
    with pytest.raises(OutputError, match="no space left") as caught:
        save_checkpoint(path, state)
    assert str(path) in str(caught.value) and "PytorchStreamWriter failed writing file data/3" in str(caught.value)
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == ["latest", "step_00000001.pt", "step_00000002.pt"]


def test_other_errors_of_torch_save_are_not_disguised(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("something else")

    monkeypatch.setattr(ckpt.torch, "save", broken)
    with pytest.raises(RuntimeError, match="something else"):
        save_checkpoint(tmp_path / "step_00000001.pt", {})
    assert list(tmp_path.iterdir()) == []


def test_a_full_disk_while_training_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(ckpt.torch, "save", _full_disk)
    status, err = _ganzoo(capsys, "train", "recipe=vanilla", "train.steps=1", *TINY, f"out={tmp_path / 'run'}")
    assert status == 2 and "no space left?" in err
    assert not (tmp_path / "run").exists()  # it failed before any checkpoint: nothing was left behind


# --- damaged checkpoints -------------------------------------------------------------------------


def _damage(run: Path, tmp: Path, change) -> Path:
    copy = _copy(run, tmp)
    for path in _checkpoints(copy):
        state = torch.load(path, weights_only=True)
        change(state)
        torch.save(state, path)
    return copy


def test_a_checkpoint_without_weights_is_named(vanilla: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = _damage(vanilla, tmp_path, lambda state: state.pop("networks"))
    status, err = _ganzoo(capsys, "sample", f"checkpoint={_checkpoints(run)[-1]}", f"out={tmp_path / 'grid.png'}")
    assert status == 2 and "is a damaged ganzoo checkpoint: it lacks networks" in err and _checkpoints(run)[-1].name in err
    assert not (tmp_path / "grid.png").exists()


def test_sampling_needs_less_than_resuming(vanilla: Path, tmp_path: Path) -> None:
    def change(state: dict) -> None:
        del state["config"]["train"], state["optimizers"]
        state["step"] = "2"

    run = _damage(vanilla, tmp_path, change)
    sample_grid(run, tmp_path / "grid.png", n=4)  # the generator's sections are whole
    with pytest.raises(CheckpointError, match=r"lacks config\.train, optimizers and has ill-typed step \(str\)"):
        Trainer.resume(_checkpoints(run)[-1])


def test_resuming_skips_a_checkpoint_that_was_overwritten(vanilla: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    run = _copy(vanilla, tmp_path)
    newest = _checkpoints(run)[-1]
    newest.write_bytes((run / "loss_curves.png").read_bytes())  # as an older ganzoo's `sample out=` left it
    with caplog.at_level(logging.WARNING, logger="ganzoo.training.checkpoint"):
        trainer = Trainer.resume(run)
    assert trainer.step == 1 and trainer.directory == run
    assert newest.name in caplog.text and "step_00000001.pt" in caplog.text
    # A file named explicitly is not replaced by another; its message does not speak of code.
    with pytest.raises(CheckpointError, match="not a readable checkpoint") as caught:
        load_checkpoint(newest)
    assert "run code" not in str(caught.value)


def test_a_run_whose_every_checkpoint_is_damaged_names_the_newest(vanilla: Path, tmp_path: Path) -> None:
    run = _copy(vanilla, tmp_path)
    for path in _checkpoints(run):
        path.write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="step_00000002.pt"):
        load_checkpoint(run)
