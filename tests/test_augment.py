"""Augmentations of what the discriminators see: DiffAugment and ADA, their contract, and the trainer's use of them."""

from __future__ import annotations

import math
from pathlib import Path
from typing import ClassVar

import pytest
import torch

from ganzoo import hookimpl
from ganzoo.cli import main
from ganzoo.contracts import KIND_CONTRACTS, Augment, GanNetwork
from ganzoo.errors import ConfigError, IncompatiblePartsError, ParameterError
from ganzoo.plugins import PluginHost, set_host
from ganzoo.training import Trainer, resolve_run_config
from ganzoo.training.checkpoint import load_checkpoint
from ganzoo.training.outputs import read_metrics
from ganzoo.zoo.augment import ops
from ganzoo.zoo.augment.ada import TRANSFORMS, AdaptiveAugment
from ganzoo.zoo.augment.diffaugment import DiffAugment

TINY = ["generator.ngf=4", "discriminator.ndf=4", "train.batch_size=4", "train.progress=false", "train.sample_every=0", "eval.every=0"]


def tiny(out: Path, *words: str, steps: int = 3, recipe: str = "dcgan") -> list[str]:
    return [f"recipe={recipe}", *TINY, f"train.steps={steps}", f"out={out}", *words]


def images(n: int = 4, channels: int = 3, size: int = 16, grad: bool = False) -> torch.Tensor:
    x = (torch.rand(n, channels, size, size, generator=torch.Generator().manual_seed(0)) * 2 - 1)
    return x.requires_grad_(grad)


# --- the parts on their own -----------------------------------------------------------------------


@pytest.mark.parametrize("augment", [DiffAugment(), AdaptiveAugment(p=1.0)], ids=["diffaugment", "ada"])
@pytest.mark.parametrize("channels", [1, 3])
def test_each_part_keeps_shapes_and_lets_gradients_through(augment: Augment, channels: int) -> None:
    assert isinstance(augment, KIND_CONTRACTS["augment"]) and augment.role == "augment"
    x = images(channels=channels, grad=True)
    condition = torch.rand(4, 2, 16, 16)
    out, moved = augment(x, condition)
    assert out.shape == x.shape and moved is not None and moved.shape == condition.shape
    assert augment(x)[1] is None
    out.square().sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0  # a generator's gradient flows back through
    assert not torch.allclose(out, x)
    assert set(augment.state_dict()) >= ({"p"} if isinstance(augment, AdaptiveAugment) else set())


def test_the_contract_refuses_a_condition_of_another_size() -> None:
    with pytest.raises(ValueError, match=r"same size and height and width, \(N, C_cond, 16, 16\)"):
        DiffAugment()(images(), torch.rand(4, 1, 8, 8))
    with pytest.raises(ValueError, match="image batches"):
        DiffAugment()(torch.rand(3, 16, 16))


def test_diffaugment_follows_the_reference_policies() -> None:
    torch.manual_seed(0)
    x = images(n=64, size=32)
    shifted, _ = DiffAugment(policy="translation")(x)
    # Whole-pixel moves of up to 32 // 8 = 4 pixels each way, zero-filled: each sample is a shifted copy.
    for i in range(8):
        found = [(dy, dx) for dy in range(-4, 5) for dx in range(-4, 5) if torch.equal(shifted[i], ops.shift(x[i : i + 1], torch.tensor([dy]), torch.tensor([dx]))[0])]
        assert found, i
    cut, _ = DiffAugment(policy="cutout")(torch.ones(64, 1, 32, 32))
    zeros = (cut == 0).flatten(1).sum(1)
    assert zeros.max() == 16 * 16 and zeros.min() >= 1  # a 16×16 square, clipped at the borders
    coloured, _ = DiffAugment(policy="color")(torch.zeros(256, 1, 4, 4))
    offsets = coloured[:, 0, 0, 0]  # grey images: only the brightness moves them
    assert offsets.min() >= -0.5 and offsets.max() <= 0.5 and offsets.std() > 0.2


def test_diffaugment_moves_the_condition_with_the_image_but_colours_the_image_only() -> None:
    torch.manual_seed(1)
    x = images(n=8)
    out, condition = DiffAugment(policy="translation,cutout")(x, x.clone())
    assert torch.equal(out, condition)  # the same geometry for both
    out, condition = DiffAugment(policy="color")(x, x.clone())
    assert torch.equal(condition, x) and not torch.allclose(out, x)


def test_bad_policy_names_are_refused_with_the_valid_choices() -> None:
    with pytest.raises(ValueError, match=r"unknown policy entry 'colour'; did you mean 'color'.*color, translation, cutout"):
        DiffAugment(policy="colour,cutout")
    with pytest.raises(ValueError, match="empty"):
        DiffAugment(policy=" , ")
    assert DiffAugment(policy=["cutout", "color"]).policy == ("cutout", "color")


def test_ada_transforms_are_exact_where_they_move_whole_pixels() -> None:
    x = images(n=32, size=8)
    torch.manual_seed(2)
    out, _ = AdaptiveAugment(p=1.0, transforms="xflip,rotate90")(x)
    for i in range(32):
        candidates = [x[i].rot90(k, (1, 2)) for k in range(4)] + [x[i].flip(-1).rot90(k, (1, 2)) for k in range(4)]
        assert any(torch.allclose(out[i], c, atol=1e-5) for c in candidates), i
    assert torch.allclose(AdaptiveAugment(p=0.0)(x)[0], x, atol=1e-5)  # p = 0: nothing moves
    assert AdaptiveAugment(transforms="bgc").transforms == TRANSFORMS


def test_ada_applies_each_transform_with_probability_p() -> None:
    torch.manual_seed(3)
    x = images(n=2000, channels=1, size=4)
    out, _ = AdaptiveAugment(p=0.3, transforms="brightness")(x)
    changed = (out - x).abs().flatten(1).amax(1) > 1e-6
    assert abs(changed.float().mean().item() - 0.3) < 0.04


def _observe(augment: AdaptiveAugment, value: float, updates: int, batch: int = 4) -> None:
    for _ in range(updates):
        augment.observe_real_logits(torch.full((batch, 1), value))


def test_ada_raises_p_when_the_discriminator_overfits_and_lowers_it_otherwise() -> None:
    # One step: batch * interval / (speed_kimg * 1000) = 4 * 4 / 1000.
    step = 4 * 4 / 1000
    ada = AdaptiveAugment(speed_kimg=1.0)
    _observe(ada, +1.0, 3)
    assert ada.p.item() == 0.0  # adjusted only every interval (4) updates
    _observe(ada, +1.0, 5)
    assert math.isclose(ada.p.item(), 2 * step, rel_tol=1e-6)  # r_t = 1 > 0.6: up, twice
    _observe(ada, -1.0, 4)
    assert math.isclose(ada.p.item(), step, rel_tol=1e-5)  # r_t = -1 < 0.6: down
    _observe(ada, -1.0, 40)
    assert ada.p.item() == 0.0  # clamped at 0
    fast = AdaptiveAugment(speed_kimg=0.001)
    _observe(fast, +1.0, 4)
    assert fast.p.item() == 1.0  # clamped at 1
    fixed = AdaptiveAugment(p=0.2, target=None)
    _observe(fixed, +1.0, 8)
    assert math.isclose(fixed.p.item(), 0.2, rel_tol=1e-6) and fixed.log_values() == {"p": pytest.approx(0.2)}


def test_ada_refuses_a_target_outside_the_unit_interval_and_losses_without_a_zero() -> None:
    for target in (0.0, 1.0, 1.5):
        with pytest.raises(ValueError, match=r"outside \(0, 1\)"):
            AdaptiveAugment(target=target)
    with pytest.raises(ValueError, match="unknown transforms"):
        AdaptiveAugment(transforms="xflip,rotat")
    from ganzoo.zoo.losses import LSGANLoss, WGANLoss

    with pytest.raises(IncompatiblePartsError, match="no fixed zero; choose augment=diffaugment"):
        AdaptiveAugment().bind("D", WGANLoss())
    AdaptiveAugment(target=None).bind("D", WGANLoss())  # a fixed p needs no sign
    lsgan = AdaptiveAugment()
    lsgan.bind("D", LSGANLoss())
    assert lsgan.threshold == 0.5  # LSGAN's targets are 0 and 1


# --- the trainer ----------------------------------------------------------------------------------


class _Recording(GanNetwork):
    """A discriminator that records every image it judges and calls each real with a fixed logit."""

    inputs = ("image",)
    seen: ClassVar[list[torch.Tensor]] = []

    def __init__(self, *, image_size: int = 32, channels: int = 1, ndf: int = 4, logit: float = 1.0) -> None:
        super().__init__()
        self.logit = logit
        self.weight = torch.nn.Parameter(torch.zeros(1))

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        type(self).seen.append(image.detach().clone())
        return self.weight * image.mean(dim=(1, 2, 3)).unsqueeze(1) + self.logit

    def example_inputs(self, batch_size: int = 2) -> tuple[torch.Tensor, ...]:
        return (torch.zeros(batch_size, 1, 32, 32),)


class _Plugin:
    @hookimpl
    def ganzoo_register_parts(self, register):
        register("discriminator", "recording", _Recording)


@pytest.fixture
def recording_host():
    host = PluginHost(third_party=False)
    host.add_plugin(_Plugin(), "recording")
    previous = set_host(host)
    _Recording.seen = []
    yield host
    set_host(previous)


def test_the_augmentation_reaches_reals_and_fakes_alike(recording_host: PluginHost, tmp_path: Path) -> None:
    words = ["discriminator=recording", "loss.r1=none", "augment=diffaugment", "augment.policy=cutout"]
    trainer = Trainer.create(resolve_run_config(tiny(tmp_path / "run", *words, steps=1)), host=recording_host)
    batch = trainer.feed.next()[0]
    trainer.train_step(batch)
    real, fake, generated = _Recording.seen  # D's update (real, fake), then G's (fake)
    for judged in (real, fake, generated):  # a 16×16 square of each 32×32 image is cut out (8×8 at least, at a corner)
        assert ((judged == 0).flatten(1).sum(1) >= 8 * 8).all()
    kept = real != 0
    assert torch.equal(real[kept], batch["image"][kept]) and not torch.equal(real, batch["image"])


def test_ada_follows_the_discriminator_in_training(recording_host: PluginHost, tmp_path: Path) -> None:
    step = 4 * 4 / 1000  # batch 4, interval 4, speed_kimg 1
    for logit, expected in ((+1.0, 2 * step), (-1.0, 0.0)):
        out = tmp_path / f"run{logit}"
        words = ["discriminator=recording", f"discriminator.logit={logit}", "loss.r1=none", "augment=ada",
                 "augment.speed_kimg=1", "augment.p=0.002", "train.log_every=1"]
        assert main(["-q", "train", *tiny(out, *words, steps=8)]) == 0
        p = [record["augment/p"] for record in read_metrics(out / "metrics.jsonl")]
        assert len(p) == 8 and p[0] == pytest.approx(0.002)
        assert p[-1] == pytest.approx(expected + (0.002 if logit > 0 else 0.0), abs=1e-6)
        assert load_checkpoint(out)["augment"]["D"]["p"].item() == pytest.approx(p[-1])


def test_ada_resumes_exactly(tmp_path: Path) -> None:
    # Interval 3 and a stop at step 4: the resumed run continues mid-interval.
    words = ["augment=ada", "augment.speed_kimg=0.05", "augment.interval=3", "augment.p=0.5", "train.log_every=1", "train.checkpoint_every=4"]
    straight, resumed = tmp_path / "straight", tmp_path / "resumed"
    assert main(["-q", "train", *tiny(straight, *words, steps=8)]) == 0
    assert main(["-q", "train", *tiny(resumed, *words, steps=4)]) == 0
    assert main(["-q", "train", f"resume={resumed}", "train.steps=8"]) == 0
    a, b = load_checkpoint(straight), load_checkpoint(resumed)
    assert len({record["augment/p"] for record in read_metrics(straight / "metrics.jsonl")}) > 1  # p moved
    assert torch.equal(a["augment"]["D"]["p"], b["augment"]["D"]["p"])
    assert read_metrics(straight / "metrics.jsonl") == read_metrics(resumed / "metrics.jsonl")
    for name in a["networks"]:
        for key, value in a["networks"][name].items():
            assert torch.equal(value, b["networks"][name][key]), (name, key)


@pytest.mark.parametrize("words", [["augment=ada"], ["augment=diffaugment", "augment.policy=color,translation,cutout"]])
def test_dcgan_trains_end_to_end_with_each_augmentation(words: list[str], tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert main(["-q", "train", *tiny(out, *words)]) == 0
    records = read_metrics(out / "metrics.jsonl")
    assert records[-1]["step"] == 3 and all(math.isfinite(v) for v in records[-1].values())
    assert ("augment/p" in records[-1]) == (words[0] == "augment=ada")
    assert load_checkpoint(out)["config"]["augment"]["name"] == words[0].split("=")[1]


def test_pix2pix_augments_its_condition_and_cyclegan_gets_one_p_per_discriminator(tmp_path: Path) -> None:
    assert main(["-q", "train", *tiny(tmp_path / "p2p", "augment=ada", "augment.p=0.5", steps=2, recipe="pix2pix")]) == 0
    words = ["generator.n_blocks=1", "augment=ada", "train.log_every=1"]
    assert main(["-q", "train", *tiny(tmp_path / "cycle", *words, steps=1, recipe="cyclegan")]) == 0
    record = read_metrics(tmp_path / "cycle" / "metrics.jsonl")[-1]
    assert {"augment/p/D_A", "augment/p/D_B"} <= set(record)


def test_off_by_default_and_nothing_else_changes(tmp_path: Path) -> None:
    config = resolve_run_config(tiny(tmp_path / "run"))
    assert config["augment"] == {"name": "none"}
    trainer = Trainer.create(config)
    assert trainer.built.augments == {} and "augment" not in trainer.updates.state_dict()
    with pytest.raises(ConfigError, match="no augmentation is chosen; add augment=diffaugment or augment=ada"):
        Trainer.create(resolve_run_config(tiny(tmp_path / "x", "augment.p=0.2")))
    with pytest.raises(ParameterError, match=r"augment 'ada': target=1\.5 is outside \(0, 1\)"):
        Trainer.create(resolve_run_config(tiny(tmp_path / "y", "augment=ada", "augment.target=1.5")))


@pytest.mark.parametrize(("words", "judged"), [
    (["loss.r1.every=1"], 4),  # D: real, fake, R1's pass on the reals; G: fake
    (["loss.r1=none", "loss.adversarial=relativistic"], 4),  # D: real, fake; G: fake, and real for the relativistic loss
])
def test_penalties_and_relativistic_losses_see_augmented_images_too(
    words: list[str], judged: int, recording_host: PluginHost, tmp_path: Path
) -> None:
    words = ["discriminator=recording", "augment=diffaugment", "augment.policy=cutout", *words]
    trainer = Trainer.create(resolve_run_config(tiny(tmp_path / "run", *words, steps=1)), host=recording_host)
    trainer.train_step(trainer.feed.next()[0])
    assert len(_Recording.seen) == judged
    for image in _Recording.seen:
        assert ((image == 0).flatten(1).sum(1) >= 8 * 8).all()


def test_a_condition_that_cannot_move_with_its_image_is_refused() -> None:
    from ganzoo.training.augments import build_augments
    from ganzoo.training.build import AdversarialPair
    from ganzoo.zoo.losses import NonSaturatingGANLoss

    registry = PluginHost(third_party=False).registry
    pair = AdversarialPair("D", "image", "fake", "source", "adversarial", 1.0)
    item = {"image": torch.zeros(1, 32, 32), "source": torch.zeros(1, 16, 16)}
    config = {"augment": {"name": "diffaugment", "policy": ["color", "cutout"]}}
    with pytest.raises(IncompatiblePartsError, match=r"moves discriminator 'D''s condition 'source' with its image"):
        build_augments(config, registry, [pair], {"adversarial": NonSaturatingGANLoss()}, item, torch.device("cpu"))
    item["source"] = torch.zeros(3, 32, 32)
    built = build_augments(config, registry, [pair], {"adversarial": NonSaturatingGANLoss()}, item, torch.device("cpu"))
    assert isinstance(built["D"], DiffAugment) and built["D"].policy == ("color", "cutout")
    assert config["augment"] == {"name": "diffaugment", "policy": ["color", "cutout"]}
