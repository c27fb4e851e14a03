"""Command-line words and YAML merged into configurations (the selector/parameter order trap included)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ganzoo.config import apply_words, load_yaml, split_words, to_yaml
from ganzoo.errors import ConfigError

BASE = {
    "image_size": None,
    "train": {"steps": 10, "batch_size": 4},
    "generator": {"name": "dcgan", "ngf": 64},
    "discriminator": {"name": "dcgan"},
}


@pytest.mark.parametrize(
    "words",
    [["generator=unet", "generator.ngf=32"], ["generator.ngf=32", "generator=unet"]],
    ids=["selector-first", "parameter-first"],
)
def test_selector_and_parameter_survive_in_either_order(words: list[str]) -> None:
    config = apply_words(BASE, words)
    assert config["generator"] == {"name": "unet", "ngf": 32}


def test_changing_a_part_drops_the_parameters_of_the_part_it_replaces() -> None:
    assert apply_words(BASE, ["generator=unet"])["generator"] == {"name": "unet"}
    assert apply_words(BASE, ["generator=dcgan"])["generator"] == {"name": "dcgan", "ngf": 64}


def test_values_are_typed_and_nested_keys_set() -> None:
    config = apply_words(BASE, ["image_size=128", "train.steps=5", "discriminator.spectral_norm=true"])
    assert config["image_size"] == 128
    assert config["train"] == {"steps": 5, "batch_size": 4}
    assert config["discriminator"]["spectral_norm"] is True
    assert BASE["train"]["steps"] == 10  # the base is not modified


def test_unknown_keys_are_refused_with_a_suggestion() -> None:
    with pytest.raises(ConfigError, match="unknown setting 'image_sise'; did you mean 'image_size'"):
        apply_words(BASE, ["image_sise=3"])
    with pytest.raises(ConfigError, match="'step' is not a key of train; did you mean 'steps'"):
        apply_words(BASE, ["train.step=3"])
    with pytest.raises(ConfigError, match="not a setting; write key=value"):
        apply_words(BASE, ["generator"])


def test_split_words() -> None:
    assert split_words(["a=1", "b.c=2"]) == ({"a": "1"}, ["b.c=2"])


def test_yaml_is_read_as_data_only(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(to_yaml(apply_words(BASE, ["generator=unet"])))
    assert load_yaml(spec)["generator"] == {"name": "unet"}
    hostile = tmp_path / "hostile.yaml"
    hostile.write_text("a: !!python/object/apply:os.system ['echo hi']\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_yaml(hostile)
    with pytest.raises(ConfigError, match="cannot read config file"):
        load_yaml(tmp_path / "missing.yaml")
    listing = tmp_path / "list.yaml"
    listing.write_text("- 1\n")
    with pytest.raises(ConfigError, match="must hold a mapping"):
        load_yaml(listing)


def test_a_dotted_key_naming_a_slot_selects_a_part() -> None:
    base = {"loss": {"adversarial": {"name": "nonsaturating", "d_scale": 0.5}, "l1": {"name": "l1", "weight": 100.0}}}
    config = apply_words(base, ["loss.adversarial=hinge", "loss.l1.weight=50"])
    assert config["loss"] == {"adversarial": {"name": "hinge"}, "l1": {"name": "l1", "weight": 50}}
    with pytest.raises(ConfigError, match="'l2' is not a key of loss; did you mean 'l1'"):
        apply_words(base, ["loss.l2.weight=3"])


@pytest.mark.parametrize(
    "words",
    [["schedule.ema=ema", "schedule.ema.decay=0.9"], ["schedule.ema.decay=0.9", "schedule.ema=ema"]],
    ids=["selector-first", "parameter-first"],
)
def test_a_new_key_of_loss_or_schedule_adds_a_part(words: list[str]) -> None:
    base = {"schedule": {"order": {"name": "alternating"}}, "loss": {"adversarial": {"name": "bce"}}}
    config = apply_words(base, [*words, "loss.r1=r1"])
    assert config["schedule"] == {"order": {"name": "alternating"}, "ema": {"name": "ema", "decay": 0.9}}
    assert config["loss"]["r1"] == {"name": "r1"}
    with pytest.raises(ConfigError, match=r"'emma' is not a key of schedule .*add one with schedule.emma=NAME"):
        apply_words(base, ["schedule.emma.decay=0.9"])
    with pytest.raises(ConfigError, match="unknown setting 'train.ema'"):  # only loss and schedule take new parts
        apply_words({"train": {"steps": 1}}, ["train.ema=ema"])


def test_none_removes_a_part_from_loss_or_schedule() -> None:
    base = {"schedule": {"order": {"name": "alternating"}, "decay": {"name": "linear_decay", "n_epochs": 3}}, "loss": {"r1": {"name": "r1"}}}
    config = apply_words(base, ["schedule.decay=none", "loss.r1=none"])
    assert config["schedule"] == {"order": {"name": "alternating"}} and config["loss"] == {}
    assert base["schedule"]["decay"] == {"name": "linear_decay", "n_epochs": 3}  # the base is left alone
    with pytest.raises(ConfigError, match=r"schedule.decy=none: schedule has no part 'decy' to remove \(it has order, decay\); did you mean 'decay'"):
        apply_words(base, ["schedule.decy=none"])
    with pytest.raises(ConfigError, match="'decay' is not a key of schedule"):  # its parameters go with it
        apply_words(base, ["schedule.decay=none", "schedule.decay.n_epochs=5"])


def test_interpolations_are_kept_as_text_not_resolved() -> None:
    config = apply_words({"train": {"note": "x"}}, ["train.note=${oc.env:HOME}"])
    assert config["train"]["note"] == "${oc.env:HOME}"
