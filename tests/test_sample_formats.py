"""``ganzoo sample``: the output's form follows ``out``; classes, in-painting folders, bounded memory."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from ganzoo.cli import main
from ganzoo.errors import ConfigError
from ganzoo.training import image_writers
from ganzoo.training.image_writers import output_form, to_pixels
from ganzoo.training.sampling import load_generators, sample_images, translate_folder

TINY = ["generator.ngf=4", "discriminator.ndf=4", "train.steps=2", "train.batch_size=4", "train.progress=false", "train.sample_every=0", "eval.every=0"]


def _train(tmp_path_factory: pytest.TempPathFactory, recipe: str, *extra: str) -> Path:
    out = tmp_path_factory.mktemp("runs") / recipe
    assert main(["-q", "train", f"recipe={recipe}", *TINY, *extra, f"out={out}"]) == 0
    return out


@pytest.fixture(scope="module")
def dcgan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _train(tmp_path_factory, "dcgan")


@pytest.fixture(scope="module")
def cgan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _train(tmp_path_factory, "cgan")


@pytest.fixture(scope="module")
def exgan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _train(tmp_path_factory, "exgan")


@pytest.mark.parametrize(
    ("out", "kind"),
    [("g.png", "grid"), ("g.JPG", "grid"), ("g.jpeg", "grid"), ("s.npz", "npz"), ("s.npy", "npy"), ("samples/", "folder"), ("samples", "folder")],
)
def test_the_form_follows_the_name(out: str, kind: str, tmp_path: Path) -> None:
    assert output_form(str(tmp_path / out) + ("/" if out.endswith("/") else "")).kind == kind


def test_other_suffixes_are_refused_unless_the_folder_exists(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"'\.gif' is not an output form.*out=.*samples/\)"):
        output_form(tmp_path / "samples.gif")
    (tmp_path / "run.v2").mkdir()
    assert output_form(tmp_path / "run.v2").kind == "folder"
    assert output_form(f"{tmp_path / 'run.v3'}/").kind == "folder"


def _noise_images(run: Path, n: int, seed: int = 0) -> torch.Tensor:
    network = load_generators(run)[0]["G"]
    with torch.no_grad():
        return network(torch.randn(n, network.latent_dim, generator=torch.Generator().manual_seed(seed)))


def test_folders_and_arrays_hold_the_same_pixels(dcgan: Path, tmp_path: Path) -> None:
    for name in ("s.npz", "s.npy", "folder/"):
        sample_images(dcgan, f"{tmp_path / name}", n=10, seed=4, batch_size=3)
    archive = np.load(tmp_path / "s.npz")
    assert archive.files == ["arr_0"]  # no classes for an unconditional generator
    pixels = archive["arr_0"]
    assert pixels.dtype == np.uint8 and pixels.shape == (10, 32, 32, 1)
    assert np.array_equal(np.load(tmp_path / "s.npy"), pixels)
    files = sorted((tmp_path / "folder").iterdir())
    assert [f.name for f in files] == [f"{i:06d}.png" for i in range(10)]
    assert np.array_equal(np.stack([np.asarray(Image.open(f)) for f in files])[..., None], pixels)
    reference = to_pixels(_noise_images(dcgan, 10, seed=4))  # all at once, as one batch
    assert np.abs(pixels.astype(int) - reference.astype(int)).max() <= 1  # float sums may round apart


def test_a_jpeg_grid_is_a_jpeg(dcgan: Path, tmp_path: Path) -> None:
    assert main(["sample", f"checkpoint={dcgan}", "n=9", f"out={tmp_path / 'grid.jpg'}"]) == 0
    with Image.open(tmp_path / "grid.jpg") as image:
        assert image.format == "JPEG" and image.size == (2 + 3 * 34, 2 + 3 * 34)
    assert main(["sample", f"checkpoint={dcgan}", "n=9", f"out={tmp_path / 'grid.png'}"]) == 0
    with Image.open(tmp_path / "grid.png") as image:
        assert image.format == "PNG"


def test_class_conditional_samples_carry_their_labels(cgan: Path, tmp_path: Path) -> None:
    sample_images(cgan, tmp_path / "all.npz", n=25)
    assert np.load(tmp_path / "all.npz")["labels"].tolist() == [i % 10 for i in range(25)]
    sample_images(cgan, tmp_path / "three.npz", n=6, label=3, seed=1)
    archive = np.load(tmp_path / "three.npz")
    assert archive["labels"].tolist() == [3] * 6 and archive["arr_0"].shape == (6, 32, 32, 1)
    network = load_generators(cgan)[0]["G"]
    with torch.no_grad():
        expected = network(torch.randn(6, network.latent_dim, generator=torch.Generator().manual_seed(1)), torch.full((6,), 3))
    assert np.abs(archive["arr_0"].astype(int) - to_pixels(expected).astype(int)).max() <= 1
    with pytest.raises(ConfigError, match="label=10: generator 'G' makes classes 0 to 9"):
        sample_images(cgan, tmp_path / "ten.npz", n=2, label=10)


def test_large_samples_are_streamed_a_batch_at_a_time(dcgan: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sizes: list[int] = []
    original = image_writers.PixelWriter.add

    def spy(self: image_writers.PixelWriter, images: torch.Tensor, labels: torch.Tensor | None = None) -> None:
        sizes.append(len(images))
        original(self, images, labels)

    monkeypatch.setattr(image_writers.PixelWriter, "add", spy)
    sample_images(dcgan, tmp_path / "many.npy", n=600, batch_size=64)
    assert max(sizes) == 64 and sum(sizes) == 600
    array = np.load(tmp_path / "many.npy", mmap_mode="r")
    assert array.shape == (600, 32, 32, 1) and (tmp_path / "many.npy").stat().st_size < 600 * 32 * 32 + 256


def test_a_failure_midway_leaves_no_array_and_no_temporary_file(dcgan: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    original = image_writers.ArrayWriter._add

    def failing(self: image_writers.ArrayWriter, pixels: np.ndarray, labels: np.ndarray | None) -> None:
        calls.append(len(pixels))
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        original(self, pixels, labels)

    monkeypatch.setattr(image_writers.ArrayWriter, "_add", failing)
    (tmp_path / "out").mkdir()
    for name in ("s.npz", "s.npy"):
        calls.clear()
        with pytest.raises(OSError, match="No space left"):
            sample_images(dcgan, tmp_path / "out" / name, n=50, batch_size=10)
    assert list((tmp_path / "out").iterdir()) == []


def test_existing_outputs_are_replaced_only_when_asked(dcgan: Path, tmp_path: Path) -> None:
    (tmp_path / "s.npz").write_bytes(b"mine")
    with pytest.raises(ConfigError, match="exists; choose another out= or add overwrite=true"):
        sample_images(dcgan, tmp_path / "s.npz", n=2)
    assert (tmp_path / "s.npz").read_bytes() == b"mine"
    sample_images(dcgan, tmp_path / "s.npz", n=2, overwrite=True)
    assert np.load(tmp_path / "s.npz")["arr_0"].shape == (2, 32, 32, 1)
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "000001.png").write_bytes(b"mine")
    with pytest.raises(ConfigError, match="000001.png' exists"):
        sample_images(dcgan, folder, n=3)
    assert sorted(p.name for p in folder.iterdir()) == ["000001.png"]
    sample_images(dcgan, folder, n=3, overwrite=True)
    assert sorted(p.name for p in folder.iterdir()) == ["000000.png", "000001.png", "000002.png"]


def _inpainting_folder(root: Path, names: list[str], *, mask_size: tuple[int, int] = (40, 40)) -> Path:
    random = np.random.default_rng(0)
    for sub in ("images", "masks", "exemplars"):
        (root / sub).mkdir(parents=True)
    for name in names:
        Image.fromarray(random.integers(0, 256, (40, 40), dtype=np.uint8)).save(root / "images" / f"{name}.png")
        mask = np.zeros(mask_size[::-1], np.uint8)
        mask[10:30, 10:30] = 255
        Image.fromarray(mask).save(root / "masks" / f"{name}.png")
        Image.fromarray(random.integers(0, 256, (32, 32), dtype=np.uint8)).save(root / "exemplars" / f"{name}.jpg")
    return root


def test_the_inpainting_generator_fills_the_masked_region_of_each_image(exgan: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    inputs = _inpainting_folder(tmp_path / "inputs", ["a", "b", "c"])
    assert main(["sample", f"checkpoint={exgan}", f"input={inputs}", f"out={tmp_path / 'filled'}/"]) == 0
    assert "3 images written" in capsys.readouterr().out
    assert sorted(p.name for p in (tmp_path / "filled").iterdir()) == ["a.png", "b.png", "c.png"]
    filled = np.asarray(Image.open(tmp_path / "filled" / "a.png"), dtype=int)
    # Outside the mask the image is kept, as training prepared it (bicubic to 32 pixels); inside, the generator's.
    kept = np.asarray(Image.open(inputs / "images" / "a.png").resize((32, 32), Image.Resampling.BICUBIC), dtype=int)
    mask = np.asarray(Image.open(inputs / "masks" / "a.png").resize((32, 32), Image.Resampling.NEAREST)) > 127
    assert filled.shape == (32, 32) and np.abs(filled - kept)[~mask].max() <= 1 and np.abs(filled - kept)[mask].mean() > 5
    translate_folder(exgan, inputs, tmp_path / "filled.npz")
    assert np.load(tmp_path / "filled.npz")["arr_0"].shape == (3, 32, 32, 1)


def test_inpainting_inputs_are_checked_before_anything_is_generated(exgan: Path, tmp_path: Path) -> None:
    inputs = _inpainting_folder(tmp_path / "inputs", ["a", "b"])
    (inputs / "exemplars" / "b.jpg").unlink()
    with pytest.raises(ConfigError, match=r"b.png' has no exemplar: add .*exemplars/b.png; expected .*images/NAME.png"):
        translate_folder(exgan, inputs, tmp_path / "out")
    wrong = _inpainting_folder(tmp_path / "wrong", ["a"], mask_size=(20, 40))
    with pytest.raises(ConfigError, match="is 20x40 but its image is 40x40; a mask must have its image's size"):
        translate_folder(exgan, wrong, tmp_path / "out")
    with pytest.raises(ConfigError, match="has no images/ folder; expected"):  # a flat folder of images
        translate_folder(exgan, tmp_path / "wrong" / "images", tmp_path / "out")
    with pytest.raises(ConfigError, match="not noise; give it images: .* input=DIR .*masks/NAME.png"):
        sample_images(exgan, tmp_path / "out.png", n=4)
    assert not (tmp_path / "out").exists() and not (tmp_path / "out.png").exists()
