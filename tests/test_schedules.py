"""Tests of the built-in training schedules."""

import inspect
import io
from pathlib import Path

import pytest
import torch
from torch import nn

from ganzoo import hookimpl
from ganzoo.cli import main
from ganzoo.contracts import Schedule, StepControls
from ganzoo.errors import ConfigError
from ganzoo.plugins import PluginHost, set_host
from ganzoo.training import Trainer, resolve_run_config
from ganzoo.training.checkpoint import load_checkpoint
from ganzoo.training.outputs import read_metrics
from ganzoo.training.schedule_set import CombinedSchedule
from ganzoo.zoo.schedules import (
    AlternatingSchedule,
    CosineSchedule,
    EMASchedule,
    LinearDecaySchedule,
    TTURSchedule,
    WarmupSchedule,
)

#: The built-in schedules by the names they are registered under.
SCHEDULES = {part.name: part.factory for part in PluginHost(third_party=False).registry.list("schedule")}

BASE_LR = {"generator": 2e-4, "discriminator": 2e-4}


# --- metadata and defaults ----------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_parts_document_themselves(name: str) -> None:
    part = SCHEDULES[name]
    for parameter in inspect.signature(part).parameters.values():
        assert parameter.kind is inspect.Parameter.KEYWORD_ONLY
        assert parameter.default is not inspect.Parameter.empty
        assert parameter.annotation in (float, int, bool, str)
    doc = inspect.getdoc(part)
    assert doc and "arXiv:" in doc and "Args:" in doc
    assert part.role == "schedule" and issubclass(part, Schedule)


def test_names() -> None:
    assert SCHEDULES == {
        "alternating": AlternatingSchedule,
        "cosine": CosineSchedule,
        "ema": EMASchedule,
        "linear_decay": LinearDecaySchedule,
        "ttur": TTURSchedule,
        "warmup": WarmupSchedule,
    }


def test_base_schedule_changes_nothing() -> None:
    schedule = Schedule()
    assert schedule.update_discriminator(0) and schedule.update_generator(7)
    assert schedule.discriminator_first is True
    assert schedule.learning_rates(BASE_LR) == BASE_LR
    assert schedule.learning_rates(BASE_LR) is not BASE_LR
    assert schedule.lr_factor(123) == 1.0
    assert schedule.averaged("generator") is None
    schedule.after_generator_step({"generator": nn.Linear(2, 2)})
    assert schedule.state_dict() == {}


# --- alternating --------------------------------------------------------------------------------


def test_alternating_default_updates_both_every_step() -> None:
    schedule = AlternatingSchedule()
    assert all(schedule.update_discriminator(s) and schedule.update_generator(s) for s in range(10))
    assert schedule.discriminator_first is True


def test_alternating_n_critic() -> None:
    schedule = AlternatingSchedule(n_critic=5)
    assert all(schedule.update_discriminator(s) for s in range(20))
    assert [s for s in range(20) if schedule.update_generator(s)] == [4, 9, 14, 19]


def test_alternating_generator_first() -> None:
    assert AlternatingSchedule(d_first=False).discriminator_first is False


def test_alternating_rejects_zero_critic_steps() -> None:
    with pytest.raises(ValueError, match="n_critic"):
        AlternatingSchedule(n_critic=0)


# --- ttur ---------------------------------------------------------------------------------------


def test_ttur_learning_rates() -> None:
    assert TTURSchedule().learning_rates(BASE_LR) == {"generator": 1e-4, "discriminator": 4e-4}
    custom = TTURSchedule(generator_lr=5e-5, discriminator_lr=2e-4)
    assert custom.learning_rates({"generator": 1.0, "discriminator": 1.0, "encoder": 0.3}) == {
        "generator": 5e-5,
        "discriminator": 2e-4,
        "encoder": 0.3,
    }


def test_ttur_rejects_non_positive_rates() -> None:
    with pytest.raises(ValueError, match="discriminator_lr"):
        TTURSchedule(discriminator_lr=0.0)


# --- linear decay -------------------------------------------------------------------------------


def reference_lambda_rule(epoch: int, n_epochs: int = 100, n_epochs_decay: int = 100) -> float:
    """``lambda_rule`` of the pix2pix/CycleGAN reference code, with its default epoch_count = 1."""
    epoch_count = 1
    return 1.0 - max(0, epoch + epoch_count - n_epochs) / float(n_epochs_decay + 1)


@pytest.mark.parametrize(
    ("epoch", "expected"),
    [(0, 1.0), (99, 1.0), (100, 100 / 101), (150, 50 / 101), (199, 1 / 101)],
)
def test_linear_decay_matches_reference(epoch: int, expected: float) -> None:
    factor = LinearDecaySchedule().lr_factor(epoch)
    assert factor == pytest.approx(reference_lambda_rule(epoch), abs=1e-12)
    assert factor == pytest.approx(expected, abs=1e-12)


def test_linear_decay_custom_lengths_and_end() -> None:
    schedule = LinearDecaySchedule(n_epochs=3, n_epochs_decay=4)
    assert [schedule.lr_factor(e) for e in range(7)] == pytest.approx(
        [reference_lambda_rule(e, 3, 4) for e in range(7)]
    )
    assert [schedule.lr_factor(e) for e in range(7)] == pytest.approx([1.0, 1.0, 1.0, 0.8, 0.6, 0.4, 0.2])
    # The reference formula turns negative past the end; the schedule stays at 0.
    assert schedule.lr_factor(7) == 0.0 and schedule.lr_factor(50) == 0.0


def test_linear_decay_drives_lambda_lr() -> None:
    parameter = nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([parameter], lr=2e-4)
    schedule = LinearDecaySchedule(n_epochs=2, n_epochs_decay=2)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, schedule.lr_factor)
    seen = []
    for _ in range(4):
        seen.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    assert seen == pytest.approx([2e-4, 2e-4, 2e-4 * 2 / 3, 2e-4 * 1 / 3])


# --- ema ----------------------------------------------------------------------------------------


def small_generator(seed: int) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))


def set_weights(module: nn.Module, value: float) -> None:
    with torch.no_grad():
        for parameter in module.parameters():
            parameter.fill_(value)


def test_ema_hand_computed_updates() -> None:
    generator = nn.Linear(1, 1, bias=False)
    ema = EMASchedule(decay=0.5)
    weights = [2.0, 4.0, 8.0]
    averages = []
    for value in weights:
        set_weights(generator, value)
        ema.after_generator_step({"g": generator})
        averages.append(ema.averaged("g").weight.item())
    # Update 0 starts the average at the weights; then avg = 0.5 avg + 0.5 w.
    assert averages == pytest.approx([2.0, 3.0, 5.5])
    assert ema.step == 3


def test_ema_start_step_copies_until_then() -> None:
    generator = nn.Linear(1, 1, bias=False)
    ema = EMASchedule(decay=0.5, start_step=2)
    averages = []
    for value in [1.0, 2.0, 4.0, 8.0]:
        set_weights(generator, value)
        ema.after_generator_step({"g": generator})
        averages.append(ema.averaged("g").weight.item())
    assert averages == pytest.approx([1.0, 2.0, 4.0, 6.0])


def test_ema_converges_to_fixed_weights_and_normalises_with_batch_statistics() -> None:
    generator = small_generator(0)
    ema = EMASchedule(decay=0.9)
    ema.attach({"g": generator})
    set_weights(generator, 0.25)
    with torch.no_grad():
        generator[1].running_mean.fill_(3.0)  # statistics of the live weights: not to be used by the average
    for _ in range(300):
        ema.after_generator_step({"g": generator})
    average = ema.averaged("g")
    assert average is not generator
    for parameter in average.parameters():
        torch.testing.assert_close(parameter, torch.full_like(parameter, 0.25))
        assert not parameter.requires_grad
    assert average[1].running_mean is None and "1.running_mean" not in average.state_dict()
    inputs = torch.randn(8, 3)
    average.eval()  # sampling mode, yet the batch's own statistics, as the live network in training mode
    with torch.no_grad():
        torch.testing.assert_close(average(inputs), generator.train()(inputs))
        assert not torch.allclose(average(inputs), generator.eval()(inputs))


def test_an_average_saved_with_running_statistics_still_loads() -> None:
    generator = small_generator(0)
    saved = {"step": 3, "averages": {"g": generator.state_dict()}}  # running_mean, running_var, …
    ema = EMASchedule(decay=0.9)
    ema.load_state_dict(saved)
    ema.attach({"g": generator})
    torch.testing.assert_close(ema.averaged("g")[0].weight, generator[0].weight)
    ema.load_state_dict(saved)  # and into an attached average
    assert ema.step == 3


def test_ema_does_not_touch_the_generator_or_its_graph() -> None:
    generator = small_generator(0)
    before = [p.detach().clone() for p in generator.parameters()]
    ema = EMASchedule(decay=0.9)
    ema.after_generator_step({"g": generator})
    set_weights(ema.averaged("g"), 7.0)
    for parameter, original in zip(generator.parameters(), before):
        torch.testing.assert_close(parameter.detach(), original)
        assert parameter.requires_grad


def test_ema_keeps_one_average_per_generator() -> None:
    generators = {"G_A": small_generator(0), "G_B": small_generator(1)}
    ema = EMASchedule()
    ema.after_generator_step(generators)
    assert ema.averaged("G_A") is not ema.averaged("G_B")
    assert ema.averaged("missing") is None
    torch.testing.assert_close(ema.averaged("G_B")[0].weight, generators["G_B"][0].weight)


def train_a_little(ema: EMASchedule, generator: nn.Module, steps: int, seed: int) -> None:
    torch.manual_seed(seed)
    optimizer = torch.optim.SGD(generator.parameters(), lr=0.1)
    for _ in range(steps):
        generator.train()
        loss = generator(torch.randn(8, 3)).pow(2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        ema.after_generator_step({"g": generator})


def save_and_load(state: dict) -> dict:
    buffer = io.BytesIO()
    torch.save(state, buffer)
    buffer.seek(0)
    return torch.load(buffer, weights_only=True)


@pytest.mark.parametrize("attach_first", [True, False], ids=["attach-then-load", "load-then-attach"])
def test_ema_resume_continues_exactly(attach_first: bool) -> None:
    # One run of 10 updates against a run saved after 6 and resumed for 4 more.
    straight_generator = small_generator(0)
    straight = EMASchedule(decay=0.8, start_step=1)
    train_a_little(straight, straight_generator, 6, seed=1)
    saved_generator = save_and_load(straight_generator.state_dict())
    saved_ema = save_and_load(straight.state_dict())
    train_a_little(straight, straight_generator, 4, seed=2)

    resumed_generator = small_generator(5)  # different initial weights, overwritten by the checkpoint
    resumed_generator.load_state_dict(saved_generator)
    resumed = EMASchedule(decay=0.8, start_step=1)
    if attach_first:
        resumed.attach({"g": resumed_generator})
        resumed.load_state_dict(saved_ema)
    else:
        resumed.load_state_dict(saved_ema)
        assert resumed.state_dict()["averages"].keys() == {"g"}  # a pending state still saves
        resumed.attach({"g": resumed_generator})
    assert resumed.step == 6
    torch.testing.assert_close(resumed.averaged("g").state_dict(), saved_ema["averages"]["g"])
    train_a_little(resumed, resumed_generator, 4, seed=2)

    assert resumed.step == straight.step == 10
    torch.testing.assert_close(resumed.averaged("g").state_dict(), straight.averaged("g").state_dict())


def test_ema_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="decay"):
        EMASchedule(decay=1.5)
    with pytest.raises(ValueError, match="start_step"):
        EMASchedule(start_step=-1)


# --- combining ----------------------------------------------------------------------------------


def test_combined_schedule() -> None:
    ema = EMASchedule(decay=0.5)
    decay = LinearDecaySchedule(n_epochs=1, n_epochs_decay=1)
    combined = CombinedSchedule([AlternatingSchedule(n_critic=2, d_first=False), TTURSchedule(), decay, ema])
    assert [combined.update_generator(s) for s in range(4)] == [False, True, False, True]
    assert all(combined.update_discriminator(s) for s in range(4))
    assert combined.discriminator_first is False
    assert combined.learning_rates(BASE_LR) == {"generator": 1e-4, "discriminator": 4e-4}
    assert [combined.lr_factor(e) for e in range(3)] == pytest.approx([1.0, 0.5, 0.0])

    generator = nn.Linear(1, 1, bias=False)
    set_weights(generator, 2.0)
    combined.after_generator_step({"g": generator})
    assert combined.averaged("g") is ema.averaged("g")
    state = save_and_load(combined.state_dict())
    assert state["schedules"][3]["step"] == 1

    other_ema = EMASchedule(decay=0.5)
    other = CombinedSchedule([AlternatingSchedule(), TTURSchedule(), LinearDecaySchedule(), other_ema])
    other.load_state_dict(state)
    other.attach({"g": nn.Linear(1, 1, bias=False)})
    assert other_ema.step == 1 and other.averaged("g").weight.item() == 2.0
    with pytest.raises(ValueError, match="schedule"):
        CombinedSchedule([ema]).load_state_dict(state)


def test_empty_combination_changes_nothing() -> None:
    combined = CombinedSchedule()
    assert combined.update_generator(0) and combined.update_discriminator(0) and combined.discriminator_first
    assert combined.learning_rates(BASE_LR) == BASE_LR and combined.lr_factor(5) == 1.0


# --- per-step controls and the warm-up ----------------------------------------------------------

ROLES = {"G_AB": "generator", "G_BA": "generator", "D_A": "discriminator", "D_B": "discriminator"}


def controls() -> StepControls:
    return StepControls(ROLES, {name: (0.5, 0.999) for name in ROLES}, {"r1": 10.0, "cycle_A": 10.0})


def test_step_controls_start_from_the_configured_values_and_name_targets() -> None:
    c = controls()
    assert all(c.lr_factor(name) == 1.0 and c.betas(name) == (0.5, 0.999) for name in ROLES)
    assert c.weights == {"r1": 10.0, "cycle_A": 10.0}
    assert c.select() == list(ROLES) and c.select("discriminator") == ["D_A", "D_B"] and c.select("G_BA") == ["G_BA"]
    c.scale_lr(0.5, "generator")
    c.scale_lr(0.5, "G_AB")  # factors accumulate
    c.set_betas((0.0, 0.99), "D_B")
    c.set_weight("r1", 0.1)
    assert [c.lr_factor(name) for name in ROLES] == [0.25, 0.5, 1.0, 1.0]
    assert c.betas("D_B") == (0.0, 0.99) and c.betas("D_A") == (0.5, 0.999)
    assert c.weight("r1") == 0.1
    with pytest.raises(ConfigError, match=r"network 'D_C'.*did you mean 'D_B' or 'D_A'.*networks: G_AB, G_BA, D_A, D_B"):
        c.scale_lr(0.5, "D_C")
    with pytest.raises(ConfigError, match="did you mean 'r1'"):
        c.set_weight("r2", 1.0)
    with pytest.raises(ValueError, match="betas"):
        c.set_betas((0.5, 1.0))
    with pytest.raises(ValueError, match="factor"):
        c.scale_lr(float("nan"))


def test_warmup_factors_for_one_role_and_for_every_network() -> None:
    factors = []
    for step in range(6):
        c = controls()
        WarmupSchedule(steps=4, role="generator").before_step(step, 0.0, c)
        factors.append((c.lr_factor("G_AB"), c.lr_factor("D_A")))
    assert factors == [(0.25, 1.0), (0.5, 1.0), (0.75, 1.0), (1.0, 1.0), (1.0, 1.0), (1.0, 1.0)]
    c = controls()
    CombinedSchedule([WarmupSchedule(steps=2), WarmupSchedule(steps=4, role="D_B")]).before_step(0, 0.0, c)
    assert [c.lr_factor(name) for name in ROLES] == [0.5, 0.5, 0.5, 0.125]
    with pytest.raises(ConfigError, match="'Gen'"):  # checked after the warm-up too
        WarmupSchedule(steps=1, role="Gen").before_step(10, 0.0, controls())
    with pytest.raises(ValueError, match="steps"):
        WarmupSchedule(steps=-1)


def test_cosine_decays_learning_rates_beta2_and_loss_weights_like_r3gan() -> None:
    schedule = CosineSchedule(steps=4, lr_to=0.25, beta2_to=0.99, weight_to=0.1, losses="r1")
    seen = []
    for step in (0, 1, 2, 4, 9):
        c = controls()
        schedule.before_step(step, 0.0, c)
        seen.append((c.lr_factor("G_AB"), c.betas("D_A"), c.weight("r1"), c.weight("cycle_A")))
    # (1 + cos(pi * s / 4)) / 2 at s = 0, 1, 2, 4 and after the end: 1, (1 + 1/√2) / 2, 1/2, 0, 0.
    for (lr, (beta1, beta2), r1, cycle), c in zip(seen, (1.0, (1 + 2**-0.5) / 2, 0.5, 0.0, 0.0), strict=True):
        assert lr == pytest.approx(0.25 + 0.75 * c)
        assert beta1 == 0.5 and beta2 == pytest.approx(0.99 + (0.999 - 0.99) * c)
        assert r1 == pytest.approx(10.0 * (0.1 + 0.9 * c)) and cycle == 10.0
    c = controls()
    CosineSchedule(steps=0, lr_to=0.0).before_step(5, 0.0, c)  # off: nothing changes
    assert c.lr_factor("G_AB") == 1.0 and c.betas("D_A") == (0.5, 0.999)
    with pytest.raises(ConfigError, match="did you mean 'r1'"):
        CosineSchedule(steps=2, losses="r2").before_step(0, 0.0, controls())
    with pytest.raises(ValueError, match="beta2_to must be below 1"):
        CosineSchedule(beta2_to=1.0)


def test_only_schedules_that_override_before_step_are_asked() -> None:
    assert not CombinedSchedule([AlternatingSchedule(), LinearDecaySchedule(), EMASchedule()]).controls_steps
    assert CombinedSchedule([AlternatingSchedule(), WarmupSchedule()]).controls_steps


WARMUP = [
    "recipe=dcgan", "generator.ngf=4", "discriminator.ndf=4", "train.batch_size=4", "train.log_every=1",
    "train.sample_every=0", "train.progress=false", "eval.every=0", "schedule.warmup=warmup",
    "schedule.warmup.steps=4", "schedule.warmup.role=generator",
]


def test_a_warmup_sets_the_learning_rate_of_each_step_and_resumes_exactly(tmp_path: Path) -> None:
    straight, resumed = tmp_path / "straight", tmp_path / "resumed"
    assert main(["-q", "train", *WARMUP, "train.steps=6", f"out={straight}"]) == 0
    records = read_metrics(straight / "metrics.jsonl")
    # Logged after each step: the rate that step used. dcgan's epoch decay keeps 1.0 this early.
    rate_g, rate_d = records[-1]["lr/G"], records[-1]["lr/D"]
    assert [r["lr/G"] for r in records] == pytest.approx([rate_g * f for f in (0.25, 0.5, 0.75, 1.0, 1.0, 1.0)])
    assert [r["lr/D"] for r in records] == pytest.approx([rate_d] * 6)
    assert main(["-q", "train", *WARMUP, "train.steps=2", "train.checkpoint_every=2", f"out={resumed}"]) == 0
    assert main(["-q", "train", f"resume={resumed}", "train.steps=6"]) == 0
    assert read_metrics(resumed / "metrics.jsonl") == records
    a, b = load_checkpoint(straight), load_checkpoint(resumed)
    for name in a["networks"]:
        for key, value in a["networks"][name].items():
            assert torch.equal(value, b["networks"][name][key]), (name, key)


class _BetasAndGamma(Schedule):
    """Sets the discriminator's betas and the R1 weight from the step, as R3GAN's schedules do.

    Huang et al., arXiv:2501.05441.

    Args:
        gamma: R1 weight at step 0, halved every step.
    """

    def __init__(self, *, gamma: float = 1.0) -> None:
        self.gamma = gamma

    def before_step(self, step: int, epoch: float, controls: StepControls) -> None:
        controls.set_betas((0.0, 0.99), "discriminator")
        controls.set_weight("r1", self.gamma / 2**step)


class _BetasPlugin:
    @hookimpl
    def ganzoo_register_parts(self, register):
        register("schedule", "betas_and_gamma", _BetasAndGamma)


def test_a_plugin_schedule_sets_betas_and_penalty_weights_per_step(tmp_path: Path) -> None:
    host = PluginHost(third_party=False)
    host.add_plugin(_BetasPlugin(), "betas")
    previous = set_host(host)
    try:
        words = [*WARMUP[:8], "schedule.r3=betas_and_gamma", "schedule.r3.gamma=4.0", "train.steps=3", f"out={tmp_path / 'run'}"]
        trainer = Trainer.create(resolve_run_config(words))
        assert trainer.built.losses["r1"].weight == 4.0  # set up for step 0 already (dcgan configures 1.0)
        weights = []
        for _ in range(3):
            trainer.train_step(trainer.feed.next()[0])
            weights.append(trainer.built.losses["r1"].weight)
            trainer.step += 1
        assert weights == [4.0, 2.0, 1.0]
        assert trainer.updates.optimizers["D"].param_groups[0]["betas"] == (0.0, 0.99)
        assert trainer.updates.optimizers["G"].param_groups[0]["betas"] == (0.5, 0.999)  # the configured ones
    finally:
        set_host(previous)


def test_a_schedule_naming_a_missing_network_stops_the_run_before_anything_is_written(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["-q", "train", *WARMUP, "schedule.warmup.role=D_A", "train.steps=1", f"out={tmp_path / 'run'}"]) == 2
    assert "network 'D_A'" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()
