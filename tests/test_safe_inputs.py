"""Input read safely: images of every mode, bounded YAML, typos at any depth, and the run settings' schema."""

from __future__ import annotations

import math
import time
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from PIL import Image

from ganzoo.config import apply_words, is_slot, load_yaml
from ganzoo.data import DataError, ImageFolder, to_tensor
from ganzoo.data.images import decode, load_image
from ganzoo.errors import ConfigError
from ganzoo.safe_yaml import MAX_BYTES, MAX_DEPTH, MAX_NODES, parse_yaml
from ganzoo.settings import SCHEMA, check_run_settings
from ganzoo.training.recipes import REPLACED_SECTIONS, RUN_DEFAULTS, recipe_names, resolve_run_config

# ------------------------------------------------------------------------------------------- images


def test_a_16_bit_png_is_scaled_not_clipped(tmp_path: Path) -> None:
    level = round(0.015 * 65535)  # a 1.5% grey: clipping to 8 bits made it white
    path = tmp_path / "grey16.png"
    Image.fromarray(np.full((8, 8), level, dtype=np.uint16)).save(path)
    with Image.open(path) as image:
        assert image.mode == "I;16"  # a real 16-bit file, as Pillow opens it
    expected = 0.015 * 2 - 1
    for channels in (1, 3):
        tensor = to_tensor(load_image(path, channels))
        assert tensor.shape == (channels, 8, 8)
        assert torch.allclose(tensor, torch.full_like(tensor, expected), atol=1 / 127.5)
    (tmp_path / "folder").mkdir()
    path.rename(tmp_path / "folder" / "grey16.png")
    item = ImageFolder(root=str(tmp_path / "folder"), image_size=8, channels=1)[0]
    assert abs(float(item["image"].mean()) - expected) <= 1 / 127.5


def _image(mode: str, value: Any, palette: list[int] | None = None, **info: Any) -> Image.Image:
    image = Image.new(mode, (2, 2), value)
    if palette is not None:
        image.putpalette(palette)
    image.info.update(info)
    return image


#: mode, pixel value, expected greyscale value, expected RGB value (each within 1 of the truth).
MODES: list[tuple[str, Any, int, tuple[int, int, int]]] = [
    ("1", 1, 255, (255, 255, 255)),
    ("L", 100, 100, (100, 100, 100)),
    ("I;16", 25700, 100, (100, 100, 100)),  # 25700 / 257 = 100
    ("I;16B", 25700, 100, (100, 100, 100)),
    ("I;16L", 983, 4, (4, 4, 4)),
    ("I", 25700, 100, (100, 100, 100)),  # read as 16-bit
    ("F", 0.5, 128, (128, 128, 128)),  # [0, 1] scaled to [0, 255]
    ("RGB", (200, 100, 50), 124, (200, 100, 50)),
    ("RGBX", (200, 100, 50, 0), 124, (200, 100, 50)),
    ("RGBA", (200, 100, 50, 255), 124, (200, 100, 50)),
    ("RGBA", (255, 255, 255, 0), 0, (0, 0, 0)),  # the hidden colour of a transparent pixel never shows
    ("RGBA", (200, 100, 50, 128), 62, (100, 50, 25)),  # half opaque: composited onto black
    ("RGBa", (100, 50, 25, 128), 62, (100, 50, 25)),  # premultiplied already
    ("LA", (200, 128), 100, (100, 100, 100)),
    ("La", (100, 128), 100, (100, 100, 100)),
    ("P", 1, 124, (200, 100, 50)),
    ("CMYK", (0, 0, 0, 0), 255, (255, 255, 255)),
    ("YCbCr", (255, 128, 128), 255, (255, 255, 255)),
    ("HSV", (0, 255, 255), 76, (255, 0, 0)),
]


@pytest.mark.parametrize(("mode", "value", "grey", "rgb"), MODES, ids=[f"{m}-{i}" for i, (m, *_) in enumerate(MODES)])
def test_every_mode_maps_to_its_8_bit_meaning(mode: str, value: Any, grey: int, rgb: tuple[int, int, int]) -> None:
    palette = [0, 0, 0, 200, 100, 50] if mode == "P" else None
    image = _image(mode, value, palette)
    as_grey, as_rgb = decode(image, 1), decode(image, 3)
    assert (as_grey.mode, as_rgb.mode) == ("L", "RGB")
    assert abs(int(np.asarray(as_grey)[0, 0]) - grey) <= 1
    assert np.abs(np.asarray(as_rgb)[0, 0].astype(int) - rgb).max() <= 1


def test_transparency_keys_and_palettes_are_composited(tmp_path: Path) -> None:
    palette = _image("P", 0, [255, 0, 0, 0, 255, 0])
    palette.putpixel((1, 1), 1)
    palette.save(tmp_path / "p.png", transparency=0)  # palette entry 0 is transparent
    rgb = np.asarray(load_image(tmp_path / "p.png", 3))
    assert rgb[0, 0].tolist() == [0, 0, 0] and rgb[1, 1].tolist() == [0, 255, 0]
    grey = _image("L", 200)
    grey.save(tmp_path / "l.png", transparency=200)  # a tRNS grey level
    assert int(np.asarray(load_image(tmp_path / "l.png", 1)).max()) == 0
    _image("LA", (200, 0)).save(tmp_path / "la.png")
    assert int(np.asarray(load_image(tmp_path / "la.png", 1)).max()) == 0


@pytest.mark.parametrize(
    ("mode", "value", "message"),
    [("F", 2.0, "only finite values from 0 to 1"), ("F", math.nan, "only finite values"), ("I", 70000, "0 to 65535"), ("I", -5, "0 to 65535")],
)
def test_values_without_a_known_range_are_refused(tmp_path: Path, mode: str, value: Any, message: str) -> None:
    path = tmp_path / "odd.png"
    _image(mode, value).save(path, format="TIFF")  # the name does not make it a PNG: the content decides
    with pytest.raises(DataError, match=message) as error:
        load_image(path)
    assert str(path) in str(error.value) and f"mode {mode}" in str(error.value)


# --------------------------------------------------------------------------------------------- YAML


def _bomb() -> str:
    lines = ["a: &a [" + ", ".join(["lol"] * 9) + "]"]
    for previous, name in zip("abcdefgh", "bcdefghi"):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]")
    return "\n".join(lines) + "\n"  # 9**9 = 387 million strings in 350 bytes


def test_a_yaml_bomb_is_refused_fast_and_small(tmp_path: Path) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text(_bomb())
    assert path.stat().st_size < 400
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(ConfigError, match=f"more than {MAX_NODES:,} values") as error:
            load_yaml(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - started < 2.0 and peak < 20 * 2**20
    assert str(path) in str(error.value)
    items = ["&a [" + ", ".join(["lol"] * 9) + "]"]
    items += [f"&{name} [" + ", ".join([f"*{previous}"] * 9) + "]" for previous, name in zip("abcdefgh", "bcdefghi")]
    with pytest.raises(ConfigError, match="more than"):  # in a word's value too, before OmegaConf expands it
        apply_words({"generator": {"name": "dcgan"}}, ["generator.x=[" + ", ".join(items) + "]"])


@pytest.mark.parametrize(
    "text",
    [
        "a: " + "[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5),
        "a: " + "[" * 5000 + "]" * 5000,
        "a:\n" + "".join("  " * depth + "b:\n" for depth in range(1, 400)),
        "a: &a " + "[" * 40 + "1" + "]" * 40 + "\nb: " + "[" * 40 + "*a" + "]" * 40,  # deep only once expanded
    ],
    ids=["flow", "very deep flow", "block", "through an alias"],
)
def test_deep_nesting_is_refused(tmp_path: Path, text: str) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text(text)
    started = time.perf_counter()
    with pytest.raises(ConfigError, match="deeper than|nesting depth") as error:
        load_yaml(path)
    assert time.perf_counter() - started < 2.0 and str(path) in str(error.value)
    assert "\n" not in str(error.value)


def test_bounded_yaml_still_reads_ordinary_configurations(tmp_path: Path) -> None:
    assert parse_yaml("a: " + "[" * 60 + "]" * 60, "x") == {"a": _nested(59)}
    assert parse_yaml("x: &x {a: 1}\ny:\n  <<: *x\n  b: 2", "x") == {"x": {"a": 1}, "y": {"a": 1, "b": 2}}
    values = parse_yaml("lr: 1e-3\nwhen: 2001-01-01\nsteps: 100\nsmall: .5", "x")
    assert values == {"lr": 0.001, "when": "2001-01-01", "steps": 100, "small": 0.5}  # as words read them
    assert parse_yaml("", "x") is None
    with pytest.raises(ConfigError, match="refers to the anchor it is inside"):
        parse_yaml("a: &a [1, *a]", "x")
    with pytest.raises(ConfigError, match="could not determine a constructor"):
        parse_yaml("!!python/object/apply:os.system ['echo pwned']", "x")


def _nested(depth: int) -> list[Any]:
    value: list[Any] = []
    for _ in range(depth):
        value = [value]
    return value


def test_files_that_are_not_configurations_are_refused(tmp_path: Path) -> None:
    (tmp_path / "binary.yaml").write_bytes(b"\xff\xfe\x00\x01")
    with pytest.raises(ConfigError, match="not UTF-8 text"):
        load_yaml(tmp_path / "binary.yaml")
    (tmp_path / "huge.yaml").write_text("a: " + "x" * MAX_BYTES)
    with pytest.raises(ConfigError, match="larger than"):
        load_yaml(tmp_path / "huge.yaml")
    (tmp_path / "keys.yaml").write_text("generator: {name: mlp, 1: 2}\n")
    with pytest.raises(ConfigError, match="the key 1 is not a name"):
        load_yaml(tmp_path / "keys.yaml")
    (tmp_path / "two.yaml").write_text("a: 1\n---\nb: 2\n")
    with pytest.raises(ConfigError, match="single document") as error:
        load_yaml(tmp_path / "two.yaml")
    assert "\n" not in str(error.value)


# -------------------------------------------------------------------------------- typos in files


@pytest.mark.parametrize(
    ("text", "path", "hint"),
    [
        ("train: {step: 2, batchsize: 8}", "train.batchsize", "did you mean 'batch_size'"),
        ("optim: {generator: {learning_rate: 1e-3}}", "optim.generator.learning_rate", "settings: lr, betas, weight_decay"),
        ("eval: {evry: 100}", "eval.evry", "did you mean 'every'"),
        ("samples: {cout: 8}", "samples.cout", "did you mean 'count'"),
        ("trian: {steps: 2}", "trian", "did you mean 'train'"),
    ],
)
def test_a_typo_in_a_file_is_refused_at_any_depth(tmp_path: Path, text: str, path: str, hint: str) -> None:
    for flag in ("config", "recipe"):
        file = tmp_path / f"{flag}.yaml"
        file.write_text(text + "\n")
        with pytest.raises(ConfigError) as error:
            if flag == "config":
                resolve_run_config(["recipe=vanilla"], str(file))
            else:
                file.write_text("recipe: mine\n" + text + "\n")
                resolve_run_config([f"recipe={file}"])
        message = str(error.value)
        assert str(file) in message and f"'{path}'" in message and hint in message, message


def test_slots_and_named_sections_take_any_key(tmp_path: Path) -> None:
    file = tmp_path / "run.yaml"
    file.write_text(
        "generator: {name: mlp, hidden: [64]}\n"  # a part's parameters: checked against its signature later
        "loss: {adversarial: {name: hinge}, mine: {name: l1, weight: 2.0}}\n"  # names, replaced whole
        "objective: {mine: {output: fake, target: image}}\n"
    )
    config = resolve_run_config(["recipe=vanilla"], str(file))
    assert config["generator"] == {"name": "mlp", "hidden": [64]}
    assert set(config["loss"]) == {"adversarial", "mine"}


# ------------------------------------------------------------------------------ the settings schema


@pytest.mark.parametrize("recipe", recipe_names())
def test_every_shipped_recipe_fits_the_schema(recipe: str) -> None:
    config = resolve_run_config([f"recipe={recipe}"])
    assert check_run_settings(config) == config


def _settings(section: dict[str, Any], prefix: str = "") -> list[str]:
    """The dotted keys of a run's settings: sections, and what is in them except inside slots."""
    keys = []
    for name, value in section.items():
        key = f"{prefix}{name}"
        keys.append(key)
        if isinstance(value, dict) and value and not is_slot(value) and key not in REPLACED_SECTIONS:
            keys += _settings(value, f"{key}.")
    return keys


def test_the_schema_covers_every_setting_a_run_has() -> None:
    assert set(_settings(RUN_DEFAULTS)) - {"out"} == set(SCHEMA)  # out= is a path, checked when the run starts


@pytest.mark.parametrize(
    ("word", "message"),
    [
        ("train.steps=2.5", "train.steps=2.5: expected a whole number of steps (an integer ≥ 0"),
        ("train.steps=2.0", "train.steps=2.0: expected a whole number of steps"),
        ("train.epochs=1.5", "train.epochs=1.5: expected a whole number of epochs"),
        ("train.batch_size=0", "train.batch_size=0: expected"),
        ("train.log_every=0", "train.log_every=0: expected a whole number of steps between log lines (an integer ≥ 1)"),
        ("train.sample_every=-1", "train.sample_every=-1"),
        ("train.checkpoint_every=2.5", "train.checkpoint_every=2.5"),
        ("train.keep_checkpoints=-1", "train.keep_checkpoints=-1"),
        ("train.seed=-1", "train.seed=-1"),
        ("train.seed=1.5", "train.seed=1.5"),
        ("train.num_workers=-1", "train.num_workers=-1: expected a whole number of data-loading processes (an integer ≥ 0"),
        ("train.progress=maybe", "train.progress=maybe: expected true or false"),
        ("train.device=3", "train.device=3: expected a device name"),
        ("train.on_nonfinite=ignore", "train.on_nonfinite=ignore: expected stop"),
        ("samples.count=0", "samples.count=0: expected the number of images in a sample grid (an integer ≥ 1)"),
        ("samples.show=[]", "samples.show=[]: expected a non-empty list"),
        ("optim.generator.lr=nan", "optim.generator.lr=nan: expected a learning rate (a finite number ≥ 0)"),
        ("optim.generator.lr=.inf", "optim.generator.lr=inf: expected a learning rate"),
        ("optim.discriminator.lr=-1", "optim.discriminator.lr=-1: expected a learning rate"),
        ("optim.generator.lr=fast", "optim.generator.lr=fast: expected a learning rate"),
        ("optim.generator.betas=[0.5]", "optim.generator.betas=[0.5]: expected two numbers in [0, 1)"),
        ("optim.generator.betas=0.5", "optim.generator.betas=0.5: expected two numbers"),
        ("optim.generator.betas=[0.5,1.0]", "optim.generator.betas=[0.5, 1.0]: expected two numbers in [0, 1)"),
        ("optim.discriminator.weight_decay=-0.1", "optim.discriminator.weight_decay=-0.1: expected a weight decay"),
        ("latent_dim=0", "latent_dim=0: expected the size of the generator's noise vector (an integer ≥ 1)"),
        ("image_size=-3", "image_size=-3: expected the images' side in pixels"),
        ("pool_size=-1", "pool_size=-1: expected the number of generated images kept"),
        ("conditional=2", "conditional=2: expected true or false"),
        ("eval.every=-1", "eval.every=-1"),
        ("train=3", "train=3: expected a mapping"),
        ("optim.generator=3", "optim.generator=3: expected a mapping of Adam's settings"),
        ("networks=[]", "networks=[]: expected a non-empty mapping"),
    ],
)
def test_a_value_that_does_not_fit_its_setting_is_refused(word: str, message: str) -> None:
    with pytest.raises(ConfigError) as error:
        resolve_run_config(["recipe=vanilla", word])
    assert message in str(error.value) and "\n" not in str(error.value), str(error.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("networks: {}", "networks={}: expected a non-empty mapping"),
        ("adversarial: {discriminator: D}", "adversarial={\"discriminator\": \"D\"}: expected a list of games"),
        ("adversarial: [D]", "adversarial[0]=D: expected a mapping"),
        ("forward: [fake]", "forward=[\"fake\"]: expected a mapping of tensor names"),
        ("loss: {adversarial: hinge}", "loss.adversarial=hinge: expected a part"),
        ("schedule: {order: {n_critic: 5}}", "schedule.order={\"n_critic\": 5}: expected a part"),
        ("objective: {l1: fake}", "objective.l1=fake: expected a mapping"),
        ("data: digits", "data=digits: expected a part"),
        ("train: {steps: 2.5, log_every: 0}", "train.steps=2.5: expected a whole number of steps"),
    ],
)
def test_a_file_with_values_that_do_not_fit_is_refused(tmp_path: Path, text: str, message: str) -> None:
    file = tmp_path / "run.yaml"
    file.write_text(text + "\n")
    with pytest.raises(ConfigError) as error:
        resolve_run_config(["recipe=vanilla"], str(file))
    assert message in str(error.value), str(error.value)


def test_every_problem_is_named_in_one_message() -> None:
    with pytest.raises(ConfigError) as error:
        resolve_run_config(["recipe=vanilla", "train.steps=2.5", "train.log_every=0"])
    assert "train.steps=2.5" in str(error.value) and "train.log_every=0" in str(error.value)


def test_check_run_settings_normalises_without_side_effects() -> None:
    config = resolve_run_config(["recipe=vanilla"])
    config["optim"]["generator"]["lr"] = 1
    config["optim"]["generator"]["betas"] = (0, 1 / 2)
    before = repr(config)
    checked = check_run_settings(config)
    assert repr(config) == before  # the argument is left as it was
    assert checked["optim"]["generator"]["lr"] == 1.0 and isinstance(checked["optim"]["generator"]["lr"], float)
    assert checked["optim"]["generator"]["betas"] == [0.0, 0.5]
    assert isinstance(checked["train"]["steps"], int)
    partial = {"train": {"steps": 3}}  # an older configuration lacking settings: what it has is checked
    assert check_run_settings(partial) == partial
    with pytest.raises(ConfigError, match="train.steps=-3"):
        check_run_settings({"train": {"steps": -3}})
