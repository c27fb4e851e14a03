"""``ganzoo eval fake=… real=…``: images from anywhere, measured as a run's images are."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ganzoo.cli import main
from ganzoo.errors import ConfigError
from ganzoo.metrics import evaluate_run
from ganzoo.metrics.compare import evaluate_images
from ganzoo.metrics.image_sets import ArrayImages, FolderImages, open_image_set
from ganzoo.training.sampling import sample_images

TINY = ["recipe=dcgan", "generator.ngf=4", "discriminator.ndf=4", "train.steps=2", "train.batch_size=4", "train.progress=false",
        "train.sample_every=0", "eval.every=0"]


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny run's 120 samples, as a folder, an .npz and an .npy file."""
    root = tmp_path_factory.mktemp("samples")
    assert main(["-q", "train", *TINY, f"out={root / 'run'}"]) == 0
    for name in ("folder/", "s.npz", "s.npy"):
        sample_images(root / "run", f"{root / name}", n=120, seed=2)
    return root


def test_a_folder_and_both_array_files_give_the_same_figures(samples: Path, capsys: pytest.CaptureFixture[str]) -> None:
    real = open_image_set("digits", {"split": "test"}, side="real")
    figures = [evaluate_images(open_image_set(str(samples / name), {}, side="fake"), real, metrics=["fid", "kid", "precision"]).values
               for name in ("folder", "s.npz", "s.npy")]
    assert figures[0] == figures[1] == figures[2] and figures[0]["fid"] > 100
    assert main(["eval", f"fake={samples / 's.npz'}", "real=digits", "real.split=test", "metric=fid,kid"]) == 0
    printed = capsys.readouterr().out
    rows = [line.split() for line in printed.splitlines()[1:4]]
    assert [row[0] for row in rows] == ["fid", "kid", "kid_std"] and float(rows[0][1]) == pytest.approx(figures[0]["fid"], rel=1e-3)
    assert "120 generated images (32×32 grey) of array" in printed and "against 500 real images (28×28 grey) of data set 'digits' (split=test)" in printed


def test_images_from_anywhere_score_as_the_run_scores_its_held_out_split(tmp_path: Path) -> None:
    """The held-out test digits against the training digits: the run's own baseline, figure for figure."""
    from ganzoo.training import Trainer, resolve_run_config

    trainer = Trainer.create(resolve_run_config([*TINY, f"out={tmp_path / 'run'}"]))
    baseline = evaluate_run(trainer.built, metrics=["fid", "kid"], n=20)
    comparison = evaluate_images(open_image_set("digits", {"split": "test"}, side="fake"), open_image_set("digits", {}, side="real"), metrics=["fid", "kid"])
    assert comparison.fake_count == 500 and comparison.real_count == 4500
    assert comparison.values["fid"] == pytest.approx(baseline["baseline/fid"], rel=1e-6)
    assert comparison.values["kid"] == pytest.approx(baseline["baseline/kid"], rel=1e-6)


def test_n_takes_images_spread_over_the_set_and_arrays_are_read_in_pieces(samples: Path) -> None:
    images = ArrayImages(samples / "s.npz")
    pixels = np.load(samples / "s.npz")["arr_0"]
    indices = [0, 7, 8, 119]
    (batch,) = list(images.batches(indices, 1))
    assert np.array_equal(((batch.permute(0, 2, 3, 1).numpy() + 1) * 127.5).round().astype(np.uint8), pixels[indices])
    real = open_image_set("digits", {"split": "test"}, side="real")
    assert evaluate_images(images, real, n=30).fake_count == 30


def test_grey_images_are_compared_with_colour_ones_in_colour(samples: Path, tmp_path: Path) -> None:
    colour = tmp_path / "colour"
    colour.mkdir()
    for index, file in enumerate(sorted((samples / "folder").iterdir())[:20]):
        Image.open(file).convert("RGB").save(colour / f"{index}.png")
    grey, rgb = FolderImages(samples / "folder"), FolderImages(colour)
    assert (grey.channels, rgb.channels) == (1, 3)
    comparison = evaluate_images(grey, rgb, metrics=["fid"])
    assert comparison.channels == 3 and comparison.values["fid"] >= 0


def test_a_set_is_checked_before_anything_is_measured(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="real.split= sets a data set's parameter, but real=.* is a folder"):
        open_image_set(str(tmp_path), {"split": "test"}, side="real")
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(ConfigError, match=r"is a file, but not an \.npz or \.npy array"):
        open_image_set(str(tmp_path / "notes.txt"), {}, side="fake")
    np.savez(tmp_path / "two.npz", images=np.zeros((2, 4, 4, 3), np.uint8), other=np.zeros(3))
    with pytest.raises(ConfigError, match="holds arrays images, other but no arr_0"):
        open_image_set(str(tmp_path / "two.npz"), {}, side="fake")
    np.savez(tmp_path / "one.npz", images=np.zeros((2, 4, 4), np.uint8))
    assert open_image_set(str(tmp_path / "one.npz"), {}, side="fake").channels == 1  # its only array, grey
    with pytest.raises(ConfigError, match="data set 'digits_unpaired' has no 'image' tensor"):
        open_image_set("digits_unpaired", {}, side="real")
