"""The generic trainer: every recipe end to end at tiny size, exact resume, part swaps, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from ganzoo import hookimpl
from ganzoo.cli import main
from ganzoo.errors import ConfigError, GanzooError, IncompatiblePartsError, UnknownPartError
from ganzoo.plugins import PluginHost
from ganzoo.training import Trainer, recipe_names, resolve_run_config
from ganzoo.training.checkpoint import CheckpointError, load_checkpoint
from ganzoo.training.outputs import read_metrics

#: Settings that make each recipe tiny: a few steps, narrow networks, small batches.
TINY = {
    "vanilla": [],
    "dcgan": ["generator.ngf=8", "discriminator.ndf=8"],
    "cgan": ["generator.ngf=8", "discriminator.ndf=8"],
    "wgan-gp": ["generator.ngf=8", "discriminator.ndf=8", "schedule.order.n_critic=2"],
    "pix2pix": ["generator.ngf=8", "discriminator.ndf=8"],
    "cyclegan": ["generator.ngf=8", "generator.n_blocks=2", "discriminator.ndf=8", "pool_size=3"],
    "exgan": ["generator.ngf=8", "discriminator.ndf=8", "loss.code.weight=1.0"],
    "sngan": ["generator.ngf=8", "discriminator.ndf=8", "schedule.order.n_critic=2"],
    "r3gan": ["generator.widths=8", "generator.cardinality=2", "discriminator.widths=8", "discriminator.cardinality=2"],
}
COMMON = ["train.batch_size=4", "train.log_every=1", "train.sample_every=2", "train.checkpoint_every=2", "train.progress=false"]


def tiny(recipe: str, out: Path, steps: int = 4, extra: list[str] | None = None) -> list[str]:
    return [f"recipe={recipe}", f"out={out}", f"train.steps={steps}", *COMMON, *TINY[recipe], *(extra or [])]


def test_every_shipped_recipe_has_tiny_settings() -> None:
    assert sorted(TINY) == recipe_names(PluginHost(third_party=False).registry)  # ganzoo's own


@pytest.mark.parametrize("recipe", sorted(TINY))
def test_recipe_trains_end_to_end_and_writes_every_output(recipe: str, tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert main(["-q", "train", *tiny(recipe, out)]) == 0
    assert (out / "config.yaml").is_file()
    # dcgan evaluates every 1000 steps: a 4-step run is shorter, so it pays for no evaluation, even
    # at its last step (test_metrics.py measures runs that are long enough).
    assert not (out / "checkpoints" / "best.pt").exists()
    assert not any(key.startswith("eval/") for record in read_metrics(out / "metrics.jsonl") for key in record)
    assert sorted(p.name for p in (out / "checkpoints").glob("step_*.pt")) == ["step_00000002.pt", "step_00000004.pt"]
    assert (out / "checkpoints" / "latest").read_text().strip() == "step_00000004.pt"
    assert sorted(p.name for p in (out / "samples").glob("*.png")) == ["step_00000002.png", "step_00000004.png"]
    assert (out / "loss_curves.png").stat().st_size > 1000
    records = read_metrics(out / "metrics.jsonl")
    assert [r["step"] for r in records] == [1, 2, 3, 4]
    assert any(key.startswith("D/") for key in records[-1]) and any(key.startswith("G/") for key in records[-1])
    assert all(torch.isfinite(torch.tensor(v)) for r in records for v in r.values())
    state = load_checkpoint(out)
    assert state["step"] == 4 and state["config"]["recipe"] == recipe


def test_a_stopped_and_resumed_run_matches_an_uninterrupted_one(tmp_path: Path) -> None:
    # CycleGAN exercises most state: two optimisers per role, history pools, lr decay, random B pairing.
    extra = ["schedule.decay.n_epochs=1", "schedule.decay.n_epochs_decay=1", "train.checkpoint_every=3", "train.sample_every=0"]
    straight, resumed = tmp_path / "straight", tmp_path / "resumed"
    assert main(["-q", "train", *tiny("cyclegan", straight, steps=6, extra=extra)]) == 0
    assert main(["-q", "train", *tiny("cyclegan", resumed, steps=3, extra=extra)]) == 0
    assert main(["-q", "train", f"resume={resumed}", "train.steps=6"]) == 0
    assert read_metrics(straight / "metrics.jsonl") == read_metrics(resumed / "metrics.jsonl")
    a, b = load_checkpoint(straight), load_checkpoint(resumed)
    for name in a["networks"]:
        for key, value in a["networks"][name].items():
            assert torch.equal(value, b["networks"][name][key]), (name, key)


def test_ema_and_pix2pix_resume_exactly_too(tmp_path: Path) -> None:
    extra = ["schedule.ema.name=ema", "train.sample_every=0", "train.checkpoint_every=2"]
    words = lambda out, steps: tiny("pix2pix", out, steps=steps, extra=extra)
    with pytest.raises(ConfigError):  # schedule.ema does not exist yet: a new schedule is added by name
        resolve_run_config(words(tmp_path / "x", 4))
    extra[0] = "schedule.decay.n_epochs=1"
    assert main(["-q", "train", *words(tmp_path / "a", 4)]) == 0
    assert main(["-q", "train", *words(tmp_path / "b", 2)]) == 0
    assert main(["-q", "train", f"resume={tmp_path / 'b'}", "train.steps=4"]) == 0
    assert read_metrics(tmp_path / "a" / "metrics.jsonl") == read_metrics(tmp_path / "b" / "metrics.jsonl")


def test_parts_can_be_swapped_by_name(tmp_path: Path) -> None:
    words = tiny("pix2pix", tmp_path / "run", steps=2, extra=["generator=resnet", "generator.n_blocks=1", "loss.adversarial=hinge"])
    trainer = Trainer.create(resolve_run_config(words))
    assert type(trainer.networks["G"]).__name__ == "ResnetGenerator"
    assert trainer.config["loss"]["adversarial"]["name"] == "hinge"
    assert trainer.fit() == "completed"


def test_a_lazy_penalty_runs_only_on_its_steps(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ganzoo.zoo.losses import R1Penalty

    steps: list[int] = []
    penalty = R1Penalty.penalty

    def counted(self: R1Penalty, *args: object, **kwargs: object) -> torch.Tensor:
        steps.append(trainer.step)
        return penalty(self, *args, **kwargs)

    monkeypatch.setattr(R1Penalty, "penalty", counted)
    trainer = Trainer.create(resolve_run_config(tiny("dcgan", tmp_path / "run", steps=7, extra=["loss.r1=r1", "loss.r1.every=3"])))
    assert trainer.fit() == "completed"
    assert steps == [0, 3, 6]
    # The latest value stays in the log between the steps that compute it.
    logged = [row["D/r1"] for row in read_metrics(tmp_path / "run" / "metrics.jsonl") if "D/r1" in row]
    assert len(logged) == 7 and logged[1] == logged[2] == logged[0] and logged[3] != logged[0]


def test_the_dcgan_papers_training_is_a_few_words_away(tmp_path: Path) -> None:
    paper = ["optim.generator.lr=0.0002", "optim.discriminator.lr=0.0002", "loss.r1=none", "schedule.decay=none"]
    trainer = Trainer.create(resolve_run_config(tiny("dcgan", tmp_path / "run", steps=2, extra=paper)))
    assert trainer.built.penalties == {} and sorted(trainer.config["schedule"]) == ["order"]
    assert {group["lr"] for optimizer in trainer.updates.optimizers.values() for group in optimizer.param_groups} == {0.0002}
    assert "loss.r1=none schedule.decay=none" in " ".join(trainer.config["defaults"].split())


def test_sampling_from_checkpoints(tmp_path: Path) -> None:
    dcgan, pix2pix = tmp_path / "dcgan", tmp_path / "pix2pix"
    assert main(["-q", "train", *tiny("dcgan", dcgan, steps=2)]) == 0
    assert main(["sample", f"checkpoint={dcgan}", "n=16", f"out={tmp_path / 'grid.png'}"]) == 0
    assert (tmp_path / "grid.png").stat().st_size > 100
    assert main(["-q", "train", *tiny("pix2pix", pix2pix, steps=2)]) == 0
    from PIL import Image

    inputs = tmp_path / "inputs"
    inputs.mkdir()
    for index in range(3):
        Image.new("L", (40, 40), color=index * 80).save(inputs / f"edge{index}.png")
    assert main(["sample", f"checkpoint={pix2pix}", f"input={inputs}", f"out={tmp_path / 'outputs'}"]) == 0
    assert sorted(p.name for p in (tmp_path / "outputs").iterdir()) == ["edge0.png", "edge1.png", "edge2.png"]
    assert Image.open(tmp_path / "outputs" / "edge0.png").size == (32, 32)
    assert main(["sample", f"checkpoint={dcgan}", f"input={inputs}"]) == 2  # a noise generator takes no images


@pytest.mark.parametrize(
    ("words", "error", "message"),
    [
        (["recipe=dcgna"], UnknownPartError, "did you mean 'dcgan'"),
        ([], ConfigError, "name a recipe"),
        (["recipe=dcgan", "train.stpes=3"], ConfigError, "did you mean 'steps'"),
        (["recipe=dcgan", "generator=unte"], UnknownPartError, "unknown generator 'unte'; did you mean 'unet'"),
        (["recipe=dcgan", "generator.ngff=3"], GanzooError, "unknown parameter 'ngff'; did you mean 'ngf'"),
        (["recipe=dcgan", "generator.ngf=wide"], GanzooError, "ngf='wide': expected an integer"),
        (["recipe=dcgan", "channels=3"], IncompatiblePartsError, "channels=3 but data set 'digits' has channels=1"),
        (["recipe=dcgan", "data=digits_unpaired"], ConfigError, "reads 'image'"),
        (["recipe=cyclegan", "data=digits"], ConfigError, "reads 'A'"),
        (["recipe=dcgan", "train.batch_size=0"], ConfigError, "batch_size=0"),
        (["recipe=dcgan", "loss.r1=r1", "loss.r1.every=0"], GanzooError, "every must be an integer >= 1"),
        (["recipe=pix2pix", "objective.l1.output=fakee"], ConfigError, "did you mean 'fake'"),
    ],
)
def test_bad_configurations_are_refused_before_anything_is_written(
    words: list[str], error: type[Exception], message: str | None, tmp_path: Path
) -> None:
    out = tmp_path / "run"
    with pytest.raises(error) as caught:
        Trainer.create(resolve_run_config([*words, f"out={out}", "train.steps=1"]))
    if message:
        assert message in str(caught.value)
    assert not out.exists()


def test_cli_reports_errors_in_one_line_with_status_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train", "recipe=dcgan", "generator=unte", f"out={tmp_path / 'x'}"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("ganzoo train: error: unknown generator 'unte'") and "Traceback" not in err
    assert not (tmp_path / "x").exists()


def test_an_existing_run_directory_is_not_overwritten(tmp_path: Path) -> None:
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "keep.txt").write_text("mine")
    with pytest.raises(ConfigError, match="already holds files .it is not a ganzoo run"):
        Trainer.create(resolve_run_config(tiny("dcgan", tmp_path / "run")))
    assert [p.name for p in (tmp_path / "run").iterdir()] == ["keep.txt"]


def test_checkpoints_refuse_pickled_code_and_foreign_files(tmp_path: Path) -> None:
    class Payload:
        def __reduce__(self):
            return (print, ("this ran",))

    hostile = tmp_path / "hostile.pt"
    torch.save({"format": "ganzoo-checkpoint", "version": 1, "x": Payload()}, hostile)
    with pytest.raises(CheckpointError, match="refused"):
        load_checkpoint(hostile)
    foreign = tmp_path / "foreign.pt"
    torch.save({"state_dict": {}}, foreign)
    with pytest.raises(CheckpointError, match="not a ganzoo checkpoint"):
        load_checkpoint(foreign)
    truncated = tmp_path / "truncated.pt"
    torch.save({"format": "ganzoo-checkpoint", "version": 1, "w": torch.zeros(1000)}, truncated)
    truncated.write_bytes(truncated.read_bytes()[:500])
    with pytest.raises(CheckpointError, match="truncated or corrupt"):
        load_checkpoint(truncated)
    with pytest.raises(CheckpointError, match="holds no checkpoint"):
        load_checkpoint(tmp_path)


def test_resume_refuses_configuration_changes(tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert main(["-q", "train", *tiny("dcgan", out, steps=2)]) == 0
    with pytest.raises(ConfigError, match="only train"):
        Trainer.resume(out, ["generator.ngf=16"])


def test_plugin_hooks_see_the_run(tmp_path: Path) -> None:
    from ganzoo.plugins import get_host

    events: list[tuple[str, int]] = []

    class Recorder:
        @hookimpl
        def ganzoo_run_start(self, run):
            events.append(("start", run.step))

        @hookimpl
        def ganzoo_step_end(self, run, step, losses):
            events.append(("step", step))

        @hookimpl
        def ganzoo_samples_written(self, run, step, path):
            events.append(("samples", step))

        @hookimpl
        def ganzoo_checkpoint_saved(self, run, step, path):
            assert path.is_file()
            events.append(("checkpoint", step))

        @hookimpl
        def ganzoo_run_end(self, run, status):
            events.append((status, run.step))

    host = PluginHost(third_party=False)
    host.add_plugin(Recorder(), "recorder")
    assert get_host() is not host
    trainer = Trainer.create(resolve_run_config(tiny("dcgan", tmp_path / "run", steps=2)), host=host)
    trainer.fit()
    assert events == [("start", 0), ("step", 1), ("step", 2), ("samples", 2), ("checkpoint", 2), ("completed", 2)]
    assert json.loads((tmp_path / "run" / "metrics.jsonl").read_text().splitlines()[0])["step"] == 1


class _RecordingRelativistic:
    """A plugin whose relativistic loss records the logits each generator update is given."""

    def __init__(self) -> None:
        from ganzoo.zoo.losses import RelativisticPairingLoss

        calls = self.calls = []

        class Recording(RelativisticPairingLoss):
            """Records ``(fake_logits, real_logits)`` of every generator update."""

            def generator_loss(self, fake_logits, real_logits=None):
                calls.append((fake_logits.detach().clone(), real_logits))
                return super().generator_loss(fake_logits, real_logits)

        self.loss = Recording

    @hookimpl
    def ganzoo_register_parts(self, register):
        register("loss", "recording", self.loss)


@pytest.mark.parametrize(("recipe", "pairs"), [("vanilla", [("D", "image")]), ("cyclegan", [("D_B", "B"), ("D_A", "A")])])
def test_a_relativistic_loss_sees_the_real_logits_of_its_own_discriminator_at_its_current_weights(
    recipe: str, pairs: list[tuple[str, str]], tmp_path: Path
) -> None:
    import copy

    plugin = _RecordingRelativistic()
    host = PluginHost(third_party=False)
    host.add_plugin(plugin, "recording")
    config = resolve_run_config(tiny(recipe, tmp_path / "run", steps=1, extra=["loss.adversarial=recording"]))
    trainer = Trainer.create(config, host=host)
    batch = trainer.feed.next()[0]
    before = {name: copy.deepcopy(trainer.networks[name]) for name, _ in pairs}
    trainer.train_step(batch)
    # vanilla updates D first, so G's update sees D after its update; CycleGAN updates G first.
    current = before if not trainer.built.schedule.discriminator_first else {name: trainer.networks[name] for name, _ in pairs}
    assert len(plugin.calls) == len(pairs)
    for (fake_logits, real_logits), (name, real) in zip(plugin.calls, pairs):
        assert real_logits is not None and not real_logits.requires_grad
        with torch.no_grad():
            expected = current[name](batch[real])
        assert torch.allclose(real_logits, expected, atol=1e-6), name
        assert real_logits.shape == fake_logits.shape
