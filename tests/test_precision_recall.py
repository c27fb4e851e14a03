"""Precision, recall, density and coverage: figures derived by hand, a library's figures, bounded memory."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from ganzoo.errors import GanzooError
from ganzoo.metrics import manifold
from ganzoo.metrics.manifold import (
    Coverage,
    Density,
    Precision,
    Recall,
    coverage,
    density,
    kth_neighbour_distances,
    precision,
    recall,
)
from ganzoo.plugins import get_registry


def points(*values: float) -> torch.Tensor:
    """1-D feature vectors, where every neighbourhood can be read off a number line."""
    return torch.tensor(values, dtype=torch.float32)[:, None]


# Real points 0, 1, 2, 3 and an outlier at 10; with k = 1 their balls have radii 1, 1, 1, 1 and 7.
REAL = points(0, 1, 2, 3, 10)
# Generated points: one among the real ones, one on the surface of 3's ball (and inside 10's), one far out.
FAKE = points(0.5, 4, 20)


def test_kth_neighbour_distances_leave_the_point_itself_out() -> None:
    assert kth_neighbour_distances(REAL, 1).tolist() == [1, 1, 1, 1, 7]
    assert kth_neighbour_distances(REAL, 2).tolist() == [2, 1, 1, 2, 8]
    with pytest.raises(GanzooError, match="needs more than k=5 images"):
        kth_neighbour_distances(REAL, 5)


def test_precision_and_recall_by_hand() -> None:
    # 0.5 is inside 0's ball, 4 lies on 3's ball (counted: <=) and inside 10's; 20 is 10 away from 10 (radius 7).
    assert precision(REAL, FAKE, k=1) == pytest.approx(2 / 3)
    assert precision(REAL, FAKE, k=2) == pytest.approx(2 / 3)  # radii 2, 1, 1, 2, 8: still not 20
    # Generated radii (k = 1): 3.5, 3.5 and 16 (the outlier's ball reaches the real outlier at 10).
    assert recall(REAL, FAKE, k=1) == 1.0
    # Three generated points 1 apart: balls of radius 1 reach 0, 1, 2 and 3, not 10.
    assert recall(REAL, points(0.5, 1.5, 2.5), k=1) == pytest.approx(4 / 5)
    assert recall(REAL, FAKE, k=1) == precision(FAKE, REAL, k=1)  # the same measure with the roles swapped


def test_density_and_coverage_by_hand() -> None:
    # Balls holding each generated point (strictly inside): 0.5 in 0's and 1's, 4 in 10's only (on 3's
    # surface, which counts as outside), 20 in none: (2 + 1 + 0) / (k = 1 × 3 points).
    assert density(REAL, FAKE, k=1) == pytest.approx(1.0)
    # Real balls holding a generated point: 0's and 1's (0.5), 10's (4, at 6 < 7); 2's nearest is 1.5 away,
    # 3's exactly 1 (its surface): 3 of 5.
    assert coverage(REAL, FAKE, k=1) == pytest.approx(3 / 5)
    # Identical sets: every generated point lies in k real balls (its own twin's and k - 1 others'), or more.
    assert coverage(REAL, REAL.clone(), k=1) == 1.0 and density(REAL, REAL.clone(), k=1) >= 1.0


def _prdc_reference(real: np.ndarray, fake: np.ndarray, k: int) -> tuple[float, float, float, float]:
    """The authors' formulas (the ``prdc`` package), on full distance matrices."""

    def pairwise(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(-1))

    real_radii = np.sort(pairwise(real, real), axis=1)[:, k]
    fake_radii = np.sort(pairwise(fake, fake), axis=1)[:, k]
    between = pairwise(real, fake)
    precision_ = (between <= real_radii[:, None]).any(axis=0).mean()
    recall_ = (between <= fake_radii[None, :]).any(axis=1).mean()
    density_ = (1.0 / k) * (between < real_radii[:, None]).sum(axis=0).mean()
    coverage_ = (between.min(axis=1) < real_radii).mean()
    return float(precision_), float(recall_), float(density_), float(coverage_)


@pytest.mark.parametrize("k", [3, 5])
def test_the_figures_follow_the_authors_formulas_in_blocks_of_any_size(k: int, monkeypatch: pytest.MonkeyPatch) -> None:
    random = np.random.default_rng(k)
    real = random.normal(size=(120, 6)).astype(np.float64)
    fake = (random.normal(size=(90, 6)) * 1.3 + 0.4).astype(np.float64)
    expected = _prdc_reference(real, fake, k)
    real_t, fake_t = torch.from_numpy(real).float(), torch.from_numpy(fake).float()
    for block in (2**24, 97, 7):  # one block, a few, many
        monkeypatch.setattr(manifold, "BLOCK_VALUES", block)
        found = (precision(real_t, fake_t, k), recall(real_t, fake_t, k), density(real_t, fake_t, k), coverage(real_t, fake_t, k))
        assert found == pytest.approx(expected, abs=1e-6), block


def test_precision_and_recall_agree_with_torch_fidelity() -> None:
    prc = pytest.importorskip("torch_fidelity.metric_prc")
    generator = torch.Generator().manual_seed(0)
    real = torch.randn(300, 16, generator=generator)
    fake = torch.randn(200, 16, generator=generator) * 0.8 + 0.3
    theirs = prc.prc_features_to_metric(fake, real, prc_neighborhood=3, prc_batch_size=64, save_cpu_ram=True, verbose=False)
    assert precision(real, fake, 3) == pytest.approx(theirs["precision"], abs=1e-6)
    assert recall(real, fake, 3) == pytest.approx(theirs["recall"], abs=1e-6)


class _Identity(torch.nn.Module):
    """Features that are the images' pixels, flattened."""

    num_features = 4
    key = "identity"

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return images.flatten(1)


def test_the_measures_feed_like_fid_and_keep_their_real_features_on_reset() -> None:
    generator = torch.Generator().manual_seed(1)
    real, fake = torch.rand(40, 1, 2, 2, generator=generator), torch.rand(30, 1, 2, 2, generator=generator)
    for measure, figure, k in ((Precision(), precision, 3), (Recall(), recall, 3), (Density(), density, 5), (Coverage(), coverage, 5)):
        metric = measure.make(_Identity())
        for start in range(0, 40, 16):
            metric.update(real[start : start + 16], real=True)
        metric.update(fake, real=False)
        expected = figure(real.flatten(1), fake.flatten(1), k)
        assert measure.values(metric, "x") == {"x": pytest.approx(expected)}
        metric.reset()  # a new evaluation: the generated features go, the real ones stay
        metric.update(fake[:12], real=False)
        assert measure.values(metric, "x") == {"x": pytest.approx(figure(real.flatten(1), fake[:12].flatten(1), k))}
    with pytest.raises(ValueError, match="k must be a whole number"):
        Precision(k=0)


def test_the_zoo_registers_the_four_measures_with_their_papers_defaults() -> None:
    registry = get_registry()
    defaults = {name: registry.get("metric", name).defaults() for name in ("precision", "recall", "density", "coverage")}
    assert defaults == {"precision": {"k": 3}, "recall": {"k": 3}, "density": {"k": 5}, "coverage": {"k": 5}}
    for name in defaults:
        measure = registry.get("metric", name).build()
        assert measure.family == "distribution" and measure.higher_is_better
        doc = " ".join((type(measure).__doc__ or "").lower().split())
        assert "sample sizes" in doc and "compare only figures measured with the same features" in doc


def test_held_out_digits_score_high_and_noise_scores_nothing(tmp_path: Path) -> None:
    from ganzoo.metrics.compare import evaluate_images
    from ganzoo.metrics.image_sets import ArrayImages, open_image_set

    metrics = ["precision", "recall", "density", "coverage"]
    held_out = evaluate_images(open_image_set("digits", {"split": "test"}, side="fake"), open_image_set("digits", {}, side="real"), metrics=metrics)
    values = held_out.values
    assert values["precision"] > 0.7 and values["recall"] > 0.7 and 0.7 < values["density"] < 1.3
    assert 0 < values["coverage"] < 1  # 500 generated images cannot reach all 4,500 real neighbourhoods
    np.save(tmp_path / "noise.npy", np.random.default_rng(0).integers(0, 256, size=(200, 28, 28, 1), dtype=np.uint8))
    noise = evaluate_images(ArrayImages(tmp_path / "noise.npy"), open_image_set("digits", {}, side="real"), metrics=metrics).values
    assert noise["precision"] < 0.05 and noise["density"] < 0.05 and noise["coverage"] < 0.05
