"""Quality measures: the parts of kind ``metric``.

Every measure is computed by torchmetrics; this module only chooses its settings and feeds it. There
are three families, told apart by :attr:`~ganzoo.contracts.Measure.family`:

- ``"distribution"`` (``fid``, ``kid``): compare the features of generated images with those of real
  images, through a feature extractor (:mod:`ganzoo.metrics.features`). Lower is better. The
  neighbourhood measures ``precision``, ``recall``, ``density`` and ``coverage`` are of this family
  too (:mod:`ganzoo.metrics.manifold`); higher is better for them.
- ``"samples"`` (``is``, ``classes``): generated images alone, through a classifier's logits: the
  Inception score, and the classes the images fall in. Higher is better.
- ``"paired"`` (``l1``, ``psnr``, ``ssim``): compare each output of an image-to-image generator with
  its own target, on images mapped to ``[0, 1]``. Lower is better for ``l1``, higher for the others.

:mod:`ganzoo.zoo` registers each measure under the name its figures are reported under. The base class,
:class:`~ganzoo.contracts.Measure`, is defined in :mod:`ganzoo.contracts.metrics`.
"""

from __future__ import annotations

import functools
import warnings
from typing import TYPE_CHECKING, Any

import torch

from ganzoo.contracts.metrics import FeatureExtractor, Measure
from ganzoo.errors import GanzooError

if TYPE_CHECKING:
    from torchmetrics import Metric

__all__ = [
    "ClassCoverage",
    "FrechetDistance",
    "InceptionScore",
    "KernelDistance",
    "L1Distance",
    "PeakSignalToNoise",
    "StructuralSimilarity",
]

#: Passed to every torchmetrics metric: in a multi-process run only the main process measures, so a
#: metric must never wait for the others to gather its state.
LOCAL: dict[str, Any] = {"sync_on_compute": False}


def _quiet(factory: Any, *args: Any, **kwargs: Any) -> Any:
    # torchmetrics warns on construction that KID and IS keep every feature; the counts are small here.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*will save all extracted features.*")
        return factory(*args, **kwargs)


def _needs_features(features: FeatureExtractor | None) -> FeatureExtractor:
    if features is None:
        raise GanzooError("needs a feature extractor (features=digits or features=inception)")
    return features


class FrechetDistance(Measure):
    """Fréchet distance between the feature distributions of generated and real images (FID).

    Heusel, Ramsauer, Unterthiner, Nessler and Hochreiter, "GANs Trained by a Two Time-Scale Update
    Rule Converge to a Local Nash Equilibrium", NeurIPS 2017, arXiv:1706.08500.

    Computed by torchmetrics' ``FrechetInceptionDistance`` with the chosen feature extractor: the
    "Inception" distance with ``features=inception``, a digits-specific distance with
    ``features=digits``. Lower is better.

    Sample sizes: papers report FID of 50,000 generated images against the training set's statistics
    ("FID50k"); FID is biased upwards for fewer images, markedly below 10,000, so compare only
    figures measured with the same counts and features. ganzoo's ``inception`` features resize as
    clean-fid does ("clean" FID, Parmar et al. 2022): to compare with a paper, use
    ``ganzoo eval … features=inception n=50000`` and a clean-fid figure, or expect a difference of a
    few percent from the TensorFlow reference's ("legacy") figures. ``digits`` figures compare
    between ganzoo runs only.
    """

    def make(self, features: FeatureExtractor | None = None) -> Metric:
        from torchmetrics.image.fid import FrechetInceptionDistance

        # normalize=True: a custom extractor then receives the float images unchanged.
        return FrechetInceptionDistance(feature=_needs_features(features), reset_real_features=False, normalize=True, **LOCAL)


class KernelDistance(Measure):
    """Kernel distance (squared MMD, polynomial kernel) between generated and real features (KID).

    Bińkowski, Sutherland, Arbel and Gretton, "Demystifying MMD GANs", ICLR 2018, arXiv:1801.01401.

    Computed by torchmetrics' ``KernelInceptionDistance``: the mean (``kid``) and standard deviation
    (``kid_std``) over random subsets. Lower is better.

    Sample sizes: unbiased, so figures from a few thousand images already compare fairly with figures
    from more; papers usually report it ×10³ from 50,000 generated images in 100 subsets of 1,000 (the
    defaults here; a subset is cut to the image count when there are fewer). Compare only figures
    measured with the same features (``inception`` for published ones).

    Args:
        subsets: Number of random subsets.
        subset_size: Images per subset; lowered to the number of images when there are fewer.
        degree: Degree of the polynomial kernel.
    """

    def __init__(self, *, subsets: int = 100, subset_size: int = 1000, degree: int = 3) -> None:
        if subsets < 1 or subset_size < 2 or degree < 1:
            raise ValueError("subsets and degree must be at least 1 and subset_size at least 2")
        self.subsets = subsets
        self.subset_size = subset_size
        self.degree = degree

    def make(self, features: FeatureExtractor | None = None) -> Metric:
        from torchmetrics.image.kid import KernelInceptionDistance

        return _quiet(
            KernelInceptionDistance,
            feature=_needs_features(features),
            subsets=self.subsets,
            subset_size=self.subset_size,
            degree=self.degree,
            reset_real_features=False,
            normalize=True,
            **LOCAL,
        )

    def values(self, metric: Metric, name: str) -> dict[str, float]:
        real = sum(len(f) for f in metric.real_features)  # type: ignore[attr-defined]
        fake = sum(len(f) for f in metric.fake_features)  # type: ignore[attr-defined]
        metric.subset_size = min(self.subset_size, real, fake)  # type: ignore[attr-defined]
        mean, std = metric.compute()
        return {name: float(mean), f"{name}_std": float(std)}


class InceptionScore(Measure):
    """Inception score: how confidently and how evenly a classifier recognises the generated images.

    Salimans, Goodfellow, Zaremba, Cheung, Radford and Chen, "Improved Techniques for Training GANs",
    NeurIPS 2016, arXiv:1606.03498.

    Computed by torchmetrics' ``InceptionScore`` from the logits of the feature extractor's
    classifier: the Inception network's with ``features=inception`` (the published score), the digit
    classifier's with ``features=digits`` (at most 10, the number of classes). Higher is better.

    Sample sizes: papers report the mean over 10 splits of 50,000 generated images, on ImageNet-like
    data (it says little about faces or digits, whose images are not ImageNet classes); the score
    grows with the image count per split, so compare only figures with the same count and splits.

    Args:
        splits: The images are split into this many groups; the result is the mean over groups
            (``is``) and their standard deviation (``is_std``).
    """

    family = "samples"
    higher_is_better = True

    def __init__(self, *, splits: int = 10) -> None:
        if splits < 1:
            raise ValueError("splits must be at least 1")
        self.splits = splits

    def make(self, features: FeatureExtractor | None = None) -> Metric:
        from torchmetrics.image.inception import InceptionScore as TorchmetricsInceptionScore

        classifier = _needs_features(features).classifier
        if classifier is None:
            raise GanzooError(f"needs a classifier, which features '{features.key}' lacks; use features=inception")
        return _quiet(TorchmetricsInceptionScore, feature=classifier, splits=self.splits, normalize=False, **LOCAL)

    def values(self, metric: Metric, name: str) -> dict[str, float]:
        mean, std = metric.compute()
        return {name: float(mean), f"{name}_std": float(std)}


class ClassCoverage(Measure):
    """Which classes the generated images fall in, by the feature extractor's classifier.

    Each generated image counts for the class its classifier ranks first. ``classes`` is the number of
    classes that received at least one image (10 when every digit is present, with
    ``features=digits``), and ``classes_balance`` the smallest class's count divided by an even share
    of the images: 1.0 for perfectly even classes, 0 when a class is missing. A generator that has
    collapsed onto a few modes scores low on both even where its FID looks good. Higher is better.
    Counted with a torchmetrics ``Metric`` holding the per-class totals.

    Sample sizes: a ganzoo measure with no published counterpart. With ``n`` images of ``C`` even
    classes, chance alone keeps the balance below 1 (about ``1 - 1.5 / sqrt(n / C)`` for ten classes:
    0.85 for 1,000 digits, 0.95 for 10,000), so compare balances measured with the same ``n``.
    """

    family = "samples"
    higher_is_better = True

    def make(self, features: FeatureExtractor | None = None) -> Metric:
        classifier = _needs_features(features).classifier
        if classifier is None:
            raise GanzooError(f"needs a classifier, which features '{features.key}' lacks; use features=digits")
        return _class_counts_metric()(classifier)

    def values(self, metric: Metric, name: str) -> dict[str, float]:
        counts = metric.compute()
        if counts.numel() == 0 or counts.sum() == 0:
            return {name: 0.0, f"{name}_balance": 0.0}
        even = counts.sum() / counts.numel()
        return {name: float((counts > 0).sum()), f"{name}_balance": float(counts.min() / even)}


@functools.cache
def _class_counts_metric() -> type[Metric]:
    """The torchmetrics metric behind ``classes``, defined on first use (torchmetrics imports slowly)."""
    from torchmetrics import Metric

    class ClassCounts(Metric):
        """Images per top-ranked class of a classifier, summed over updates."""

        full_state_update = False

        def __init__(self, classifier: torch.nn.Module) -> None:
            super().__init__(**LOCAL)
            self.classifier = classifier
            self.add_state("counts", default=torch.zeros(0, dtype=torch.long), dist_reduce_fx="sum")

        def update(self, images: torch.Tensor) -> None:
            with torch.no_grad():
                logits = self.classifier(images)
            found = torch.bincount(logits.argmax(dim=1), minlength=logits.shape[1])
            self.counts = found if self.counts.numel() == 0 else self.counts + found

        def compute(self) -> torch.Tensor:
            return self.counts

    return ClassCounts


class L1Distance(Measure):
    """Mean absolute difference between each output and its target, on images in ``[0, 1]``.

    Computed by torchmetrics' ``MeanAbsoluteError``. Lower is better.

    Sample sizes: an average over the test split's items (up to ``n``), stable from a few hundred.
    Papers often report it on ``[-1, 1]`` or ``[0, 255]`` images: halve or divide by 255 to compare.
    """

    family = "paired"

    def make(self, features: FeatureExtractor | None = None) -> Metric:
        from torchmetrics.regression import MeanAbsoluteError

        return MeanAbsoluteError(**LOCAL)


class PeakSignalToNoise(Measure):
    """Peak signal-to-noise ratio of each output against its target, in dB, averaged over images.

    Computed by torchmetrics' ``PeakSignalNoiseRatio`` on images in ``[0, 1]`` (data range 1), per
    image and then averaged, as image-to-image papers report it. Higher is better.

    Sample sizes: an average over the test split's items (up to ``n``); papers that pool the squared
    error over the whole set first report slightly different figures.
    """

    family = "paired"
    higher_is_better = True

    def make(self, features: FeatureExtractor | None = None) -> Metric:
        from torchmetrics.image import PeakSignalNoiseRatio

        return PeakSignalNoiseRatio(data_range=1.0, reduction="elementwise_mean", dim=(1, 2, 3), **LOCAL)


class StructuralSimilarity(Measure):
    """Structural similarity (SSIM) of each output with its target, averaged over images.

    Wang, Bovik, Sheikh and Simoncelli, "Image Quality Assessment: From Error Visibility to Structural
    Similarity", IEEE TIP 2004.

    Computed by torchmetrics' ``StructuralSimilarityIndexMeasure`` on images in ``[0, 1]`` with its
    default 11 × 11 Gaussian window (images need at least 11 pixels a side). Higher is better.

    Sample sizes: an average over the test split's items (up to ``n``). Published figures compute it
    on 8-bit images, often in greyscale or on the luma channel only; compare with figures computed in
    the same channels and resolution.
    """

    family = "paired"
    higher_is_better = True

    def make(self, features: FeatureExtractor | None = None) -> Metric:
        from torchmetrics.image import StructuralSimilarityIndexMeasure

        return StructuralSimilarityIndexMeasure(data_range=1.0, **LOCAL)


