"""Quality measures: the shipped digits features, FID/KID/IS, Inception weights, and evaluation of runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from ganzoo import build_part, get_part, hookimpl
from ganzoo.cli import main
from ganzoo.data.digits import digits_split
from ganzoo.errors import ConfigError
from ganzoo.metrics import FeaturesError, build_features, evaluate_run
from ganzoo.metrics.features import DigitsFeatures, InceptionFeatures, inception_cache_path
from ganzoo.plugins import PluginHost, set_host
from ganzoo.training import Trainer, resolve_run_config
from ganzoo.training.checkpoint import load_checkpoint
from ganzoo.training.outputs import read_metrics

#: The held-out accuracy scripts/train_digits_features.py printed for the shipped weights.
DIGITS_TEST_ACCURACY = 0.980
TINY_DCGAN = ["recipe=dcgan", "generator.ngf=8", "discriminator.ndf=8", "train.batch_size=4", "train.log_every=1", "train.sample_every=0", "train.progress=false"]


def _split(split: str, size: int = 32) -> tuple[torch.Tensor, torch.Tensor]:
    images, labels = digits_split(split, size)
    return images * 2 - 1, labels


@pytest.fixture(scope="module")
def digits() -> DigitsFeatures:
    return build_features("digits")  # type: ignore[return-value]


def test_shipped_digits_features_classify_the_held_out_digits(digits: DigitsFeatures) -> None:
    from importlib import resources

    assert (resources.files("ganzoo.metrics") / "digits_features.pt").stat().st_size < 1_000_000  # type: ignore[attr-defined]
    assert digits.num_features == 128 and not digits.training
    assert digits.test_accuracy == pytest.approx(DIGITS_TEST_ACCURACY, abs=1e-6)
    with torch.no_grad():
        for size in (32, 28):  # 28 is padded to the 32 frame, as the data sets pad
            images, labels = _split("test", size)
            accuracy = float((digits.logits(images).argmax(1) == labels).float().mean())
            assert accuracy == pytest.approx(DIGITS_TEST_ACCURACY, abs=0.01), size
            assert digits(images).shape == (500, 128)


def test_fid_is_small_for_held_out_digits_and_large_for_noise_and_kid_agrees(digits: DigitsFeatures) -> None:
    train, _ = _split("train")
    train = train[::3]  # 1,500 of each class in turn: enough, and quicker
    test, _ = _split("test")
    noise = torch.rand(500, 1, 32, 32, generator=torch.Generator().manual_seed(0)) * 2 - 1
    figures = {}
    for name, params in (("fid", {}), ("kid", {"subsets": 20})):
        measure = build_part("metric", name, **params)
        metric = measure.make(digits)
        metric.update(train, real=True)
        for label, fake in (("test", test), ("noise", noise)):
            metric.reset()  # keeps the real features
            metric.update(fake, real=False)
            torch.manual_seed(0)
            figures[name, label] = measure.values(metric, name)[name]
    assert figures["fid", "test"] < 10 and figures["fid", "noise"] > 1000
    assert abs(figures["kid", "test"]) < 10 and figures["kid", "noise"] > 1000
    assert not get_part("metric", "fid").factory.higher_is_better and get_part("metric", "ssim").factory.higher_is_better


def test_class_coverage_counts_the_digits_the_classifier_sees(digits: DigitsFeatures) -> None:
    test, labels = _split("test")
    measure = build_part("metric", "classes")
    assert measure.family == "samples" and get_part("metric", "classes").factory.higher_is_better

    def coverage(images: torch.Tensor) -> dict[str, float]:
        metric = measure.make(digits)
        for start in range(0, len(images), 128):  # several updates add up
            metric.update(images[start : start + 128])
        return measure.values(metric, "classes")

    every_class = coverage(test)  # 50 of each digit, 98 % classified right
    assert every_class["classes"] == 10 and 0.8 < every_class["classes_balance"] <= 1.0
    ones_and_sevens = coverage(test[(labels == 1) | (labels == 7)])  # a generator stuck on two modes
    assert ones_and_sevens["classes"] < 10 and ones_and_sevens["classes_balance"] == 0.0  # a few misread digits


def test_inception_weights_are_never_downloaded_unasked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    attempts: list[str] = []

    def offline(url: str, *args: object, **kwargs: object) -> None:
        attempts.append(url)
        raise OSError("network is unreachable")

    monkeypatch.setattr(torch.hub, "download_url_to_file", offline)
    assert inception_cache_path().is_relative_to(tmp_path)
    with pytest.raises(FeaturesError, match="downloaded only on request: pass download=True") as caught:
        InceptionFeatures()
    assert str(inception_cache_path()) in str(caught.value) and "weights_path=FILE" in str(caught.value)
    assert attempts == []
    with pytest.raises(FeaturesError, match="could not download .*network is unreachable"):
        InceptionFeatures(download=True)
    assert len(attempts) == 1 and not inception_cache_path().exists()
    with pytest.raises(FeaturesError, match="does not exist"):
        InceptionFeatures(weights_path=str(tmp_path / "missing.pth"))


def test_inception_features_from_a_local_weights_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from torch_fidelity import feature_extractor_inceptionv3 as fidelity

    # Random weights of the right shapes stand in for the real file (no network here).
    with monkeypatch.context() as patch:
        patch.setattr(fidelity, "load_state_dict_from_url", lambda *args, **kwargs: {})
        patch.setattr(fidelity.FeatureExtractorInceptionV3, "load_state_dict", lambda self, *args, **kwargs: None)
        weights = fidelity.FeatureExtractorInceptionV3("inception-v3-compat", ["2048"]).state_dict()
    path = tmp_path / "inception.pth"
    torch.save(weights, path)
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    extractor = InceptionFeatures(weights_path=str(path))
    images = torch.rand(2, 1, 32, 32) * 2 - 1
    with torch.no_grad():
        pool, logits = extractor._both(images)
    assert pool.shape == (2, 2048) and logits.shape == (2, 1008) and extractor.classifier is not None

    class Payload:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            return (print, ("this ran",))

    torch.save({"fc.weight": Payload()}, tmp_path / "hostile.pth")
    with pytest.raises(FeaturesError, match="refused"):
        InceptionFeatures(weights_path=str(tmp_path / "hostile.pth"))


@pytest.mark.parametrize(("height", "width", "channels"), [(32, 32, 3), (28, 28, 1), (40, 57, 3), (299, 299, 3), (512, 300, 3)])
def test_inception_images_are_resized_as_clean_fid_resizes_them(height: int, width: int, channels: int) -> None:
    """Value for value what clean-fid's "clean" mode feeds the network (its resizer only: nothing is downloaded)."""
    import numpy as np

    resize = pytest.importorskip("cleanfid.resize", reason="clean-fid is not installed: pip install clean-fid")
    from ganzoo.metrics.resize import clean_resize

    image = np.random.default_rng(height * width).integers(0, 256, size=(height, width, channels), dtype=np.uint8)
    rgb = np.repeat(image, 3, axis=2) if channels == 1 else image  # clean-fid reads RGB; ganzoo repeats grey so
    theirs = resize.make_resizer("PIL", False, "bicubic", (299, 299))(rgb)
    ours = clean_resize(rgb)
    assert ours.dtype == theirs.dtype == np.float32 and ours.shape == (299, 299, 3)
    assert np.array_equal(ours, theirs)


def test_inception_features_run_torch_fidelitys_network_on_clean_resized_images(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from torch_fidelity import feature_extractor_inceptionv3 as fidelity

    from ganzoo.metrics.features import inception_trunk
    from ganzoo.metrics.resize import clean_resize_batch

    with monkeypatch.context() as patch:  # random weights of the right shapes (no network here)
        patch.setattr(fidelity, "load_state_dict_from_url", lambda *args, **kwargs: {})
        patch.setattr(fidelity.FeatureExtractorInceptionV3, "load_state_dict", lambda self, *args, **kwargs: None)
        net = fidelity.FeatureExtractorInceptionV3("inception-v3-compat", ["2048", "logits_unbiased"])
    # At 299 pixels torch-fidelity's own resize does nothing: its forward and the trunk agree exactly.
    pixels = (torch.rand(2, 3, 299, 299, generator=torch.Generator().manual_seed(0)) * 255).to(torch.uint8)
    with torch.no_grad():
        for theirs, ours in zip(net(pixels), inception_trunk(net, pixels.float())):
            assert torch.equal(theirs, ours)
    torch.save(net.state_dict(), tmp_path / "inception.pth")
    extractor = InceptionFeatures(weights_path=str(tmp_path / "inception.pth"))
    images = torch.rand(2, 1, 32, 32, generator=torch.Generator().manual_seed(1)) * 2 - 1
    quantised = ((images.expand(-1, 3, -1, -1) + 1) * 127.5).round().to(torch.uint8)
    with torch.no_grad():
        expected = inception_trunk(extractor.net, clean_resize_batch(quantised))[0]
        assert torch.equal(extractor(images), expected)


def test_periodic_evaluation_logs_keeps_the_best_and_leaves_training_unchanged(tmp_path: Path) -> None:
    on, off = tmp_path / "on", tmp_path / "off"
    evaluation = ["eval.every=2", "eval.n=100", "eval.metrics=[fid,kid]"]
    assert main(["-q", "train", *TINY_DCGAN, f"out={on}", "train.steps=3", *evaluation]) == 0
    assert main(["-q", "train", *TINY_DCGAN, f"out={off}", "train.steps=3", "eval.every=0"]) == 0
    records = read_metrics(on / "metrics.jsonl")
    assert [r["step"] for r in records] == [1, 2, 3]  # figures join the step's record
    evaluated = {r["step"]: r for r in records if "eval/fid" in r}
    assert sorted(evaluated) == [2, 3]  # every 2 steps, and the last
    assert {"eval/kid", "eval/baseline/fid", "eval/baseline/kid"} <= set(evaluated[2])
    assert evaluated[2]["eval/baseline/fid"] < 10 < evaluated[2]["eval/fid"]
    best = json.loads((on / "checkpoints" / "best.json").read_text())
    assert best["metric"] == "fid" and best["value"] == min(r["eval/fid"] for r in evaluated.values())
    assert load_checkpoint(on / "checkpoints" / "best.pt")["step"] == best["step"]
    assert not (off / "checkpoints" / "best.pt").exists()
    # Evaluation draws from no training stream: the weights and losses match a run without it.
    a, b = load_checkpoint(on), load_checkpoint(off)
    for name in a["networks"]:
        for key, value in a["networks"][name].items():
            assert torch.equal(value, b["networks"][name][key]), (name, key)
    strip = lambda rs: [{k: v for k, v in r.items() if not k.startswith("eval/")} for r in rs]
    assert strip(records) == strip(read_metrics(off / "metrics.jsonl"))


def test_a_resumed_run_with_evaluation_matches_an_uninterrupted_one(tmp_path: Path) -> None:
    straight, resumed = tmp_path / "straight", tmp_path / "resumed"
    evaluation = ["eval.every=2", "eval.n=100", "train.checkpoint_every=2"]
    assert main(["-q", "train", *TINY_DCGAN, f"out={straight}", "train.steps=4", *evaluation]) == 0
    assert main(["-q", "train", *TINY_DCGAN, f"out={resumed}", "train.steps=2", *evaluation]) == 0
    assert main(["-q", "train", f"resume={resumed}", "train.steps=4"]) == 0
    assert read_metrics(straight / "metrics.jsonl") == read_metrics(resumed / "metrics.jsonl")
    assert json.loads((straight / "checkpoints" / "best.json").read_text()) == json.loads((resumed / "checkpoints" / "best.json").read_text())


def test_eval_command_on_a_tiny_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "run"
    assert main(["-q", "train", *TINY_DCGAN, f"out={out}", "train.steps=2", "eval.every=0"]) == 0
    capsys.readouterr()
    assert main(["eval", f"checkpoint={out}", "metric=fid,kid", "n=100"]) == 0
    printed = capsys.readouterr().out
    assert printed.splitlines()[0].split() == ["METRIC", "VALUE", "HELD-OUT", "BASELINE"]
    fid = printed.splitlines()[1].split()
    assert fid[0] == "fid" and float(fid[1]) > 10 * float(fid[2])
    assert "100 generated 'fake' images" in printed and "500 real test images" in printed
    assert main(["eval", f"checkpoint={out}", "metric=classes", "n=50"]) == 0
    rows = [line.split() for line in capsys.readouterr().out.splitlines()[1:3]]
    assert [row[0] for row in rows] == ["classes", "classes_balance"] and 1 <= float(rows[0][1]) <= 10
    assert main(["eval", f"checkpoint={out}", "metric=ssim"]) == 2
    assert "compares each output with its own target" in capsys.readouterr().err
    assert main(["eval", f"checkpoint={out}", "features=inception"]) == 2
    assert "download=True" in capsys.readouterr().err or inception_cache_path().is_file()
    with pytest.raises(ConfigError, match="eval.best=ssim is not measured"):
        Trainer.create(resolve_run_config([*TINY_DCGAN, f"out={tmp_path / 'bad'}", "train.steps=2", "eval.every=1", "eval.best=ssim"]))


class RenamedMeasures:
    """Built-in measure classes registered under names of their own."""

    @hookimpl
    def ganzoo_register_parts(self, register):
        register("metric", "frechet", "ganzoo.metrics.measures:FrechetDistance")
        register("metric", "mmd", "ganzoo.metrics.measures:KernelDistance")


def test_figures_are_reported_under_the_registered_name(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    host = PluginHost(third_party=False)
    host.add_plugin(RenamedMeasures(), "renamed", distribution="renamed-measures")
    previous = set_host(host)
    out = tmp_path / "run"
    try:
        evaluation = ["eval.every=1", "eval.metrics=[frechet]", "eval.best=frechet", "eval.n=20"]
        assert main(["-q", "train", *TINY_DCGAN, f"out={out}", "train.steps=2", *evaluation]) == 0
        capsys.readouterr()
        assert main(["eval", f"checkpoint={out}", "metric=frechet,mmd", "n=20"]) == 0
        printed = capsys.readouterr().out
    finally:
        set_host(previous)
    best = json.loads((out / "checkpoints" / "best.json").read_text())
    assert best["metric"] == "frechet" and set(best["values"]) == {"frechet", "baseline/frechet"}
    evaluated = [r for r in read_metrics(out / "metrics.jsonl") if "eval/frechet" in r]
    assert [r["step"] for r in evaluated] == [1, 2] and best["value"] == min(r["eval/frechet"] for r in evaluated)
    rows = [line.split() for line in printed.splitlines()[1:4]]
    assert [row[0] for row in rows] == ["frechet", "mmd", "mmd_std"] and all(len(row) == 3 for row in rows)


def test_image_to_image_evaluation_on_the_test_split(tmp_path: Path) -> None:
    words = ["recipe=pix2pix", f"out={tmp_path / 'run'}", "train.steps=2", "generator.ngf=8", "discriminator.ndf=8", "train.batch_size=4", "train.progress=false"]
    trainer = Trainer.create(resolve_run_config(words))
    assert trainer.fit() == "completed"
    values = evaluate_run(trainer.built, n=60)
    assert set(values) == {"fid", "l1", "psnr", "ssim"}
    assert values["fid"] > 0 and 0 < values["l1"] < 1 and values["psnr"] > 0 and -1 <= values["ssim"] <= 1
    assert evaluate_run(trainer.built, n=60) == values  # seeded: the same weights give the same figures


def test_a_diverged_generator_is_not_measured_and_its_run_goes_on(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """NaN samples would reach FID's matrix square root, which can abort the process: they are refused first."""
    from ganzoo.errors import MeasurementError

    words = [
        "recipe=dcgan", "generator.ngf=8", "discriminator.ndf=8", "train.batch_size=4", "train.steps=2", "train.progress=false",
        "train.on_nonfinite=skip", "eval.every=1", "eval.n=8", f"out={tmp_path / 'run'}",
    ]
    trainer = Trainer.create(resolve_run_config(words))
    with torch.no_grad():
        for parameter in trainer.built.networks["G"].parameters():
            parameter.fill_(float("nan"))
    with pytest.raises(MeasurementError, match="NaN or infinite values"):
        evaluate_run(trainer.built, metrics=["fid"], n=8, features="digits")
    trainer.step = 1
    with caplog.at_level("WARNING"):
        assert trainer.evaluation.run_if_due() == {}
    assert "evaluation failed: the generated images hold NaN" in caplog.text
