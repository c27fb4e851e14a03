"""Precision, recall, density and coverage: generated images among the neighbourhoods of real ones.

These measures judge fidelity and diversity apart, where FID mixes them in one figure. Each feature
vector of a set has a *neighbourhood*: the ball around it that reaches its ``k``-th nearest neighbour
in the same set (itself not counted). Then, for real features ``R`` and generated features ``G``:

- **precision** (Kynkäänniemi et al. 2019): the fraction of ``G`` inside at least one ball of ``R``;
- **recall**: the fraction of ``R`` inside at least one ball of ``G``;
- **density** (Naeem et al. 2020): the number of balls of ``R`` holding each point of ``G``, averaged
  and divided by ``k``;
- **coverage**: the fraction of balls of ``R`` holding at least one point of ``G``.

A point on a ball's surface is inside it for precision and recall (``<=``, as the authors' code and
torch-fidelity count it) and outside for density and coverage (``<``, as the authors' ``prdc`` code
counts it). Distances are Euclidean, computed with ``torch.cdist`` in blocks of at most
:data:`BLOCK_VALUES` distances, so 50,000 images take a few hundred megabytes beyond their features,
never the 10-gigabyte matrix of all pairs. Each selected measure keeps the features of its real and
generated images (50,000 Inception features take 400 MB per set).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar

import torch

from ganzoo.contracts.metrics import FeatureExtractor, Measure
from ganzoo.errors import GanzooError

if TYPE_CHECKING:
    from torchmetrics import Metric

__all__ = [
    "BLOCK_VALUES",
    "Coverage",
    "Density",
    "Precision",
    "Recall",
    "coverage",
    "density",
    "kth_neighbour_distances",
    "precision",
    "recall",
]

#: The most pairwise distances held at once (64 MB of float32).
BLOCK_VALUES = 2**24


def _rows(columns: int) -> int:
    return max(1, BLOCK_VALUES // max(1, columns))


def kth_neighbour_distances(features: torch.Tensor, k: int) -> torch.Tensor:
    """The distance from each row of ``features`` to its ``k``-th nearest other row.

    Args:
        features: ``(N, D)`` feature vectors, ``N > k``.
        k: Which neighbour (1 = the nearest).

    Returns:
        ``(N,)`` distances.
    """
    if len(features) <= k:
        raise GanzooError(f"needs more than k={k} images of each set for neighbourhoods of {k} neighbours; got {len(features)}")
    rows = _rows(len(features))
    # Each row's distance to itself (0) comes first, so the (k + 1)-th smallest is the k-th neighbour.
    return torch.cat([torch.cdist(block, features).kthvalue(k + 1, dim=1).values for block in features.split(rows)])


def _inside(points: torch.Tensor, centres: torch.Tensor, radii: torch.Tensor, *, strict: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """For each point, how many balls ``(centres, radii)`` hold it; for each centre, its nearest point's distance."""
    counts, nearest = [], torch.full((len(centres),), float("inf"), device=centres.device)
    for block in points.split(_rows(len(centres))):
        distances = torch.cdist(block, centres)
        counts.append(((distances < radii) if strict else (distances <= radii)).sum(dim=1))
        nearest = torch.minimum(nearest, distances.min(dim=0).values)
    return torch.cat(counts), nearest


def precision(real: torch.Tensor, fake: torch.Tensor, k: int = 3) -> float:
    """The fraction of generated features inside the ``k``-neighbourhood of some real feature."""
    counts, _ = _inside(fake, real, kth_neighbour_distances(real, k), strict=False)
    return float((counts > 0).float().mean())


def recall(real: torch.Tensor, fake: torch.Tensor, k: int = 3) -> float:
    """The fraction of real features inside the ``k``-neighbourhood of some generated feature."""
    return precision(fake, real, k)


def density(real: torch.Tensor, fake: torch.Tensor, k: int = 5) -> float:
    """Real ``k``-neighbourhoods holding each generated feature, averaged over them and divided by ``k``."""
    counts, _ = _inside(fake, real, kth_neighbour_distances(real, k), strict=True)
    return float(counts.float().sum() / (k * len(fake)))


def coverage(real: torch.Tensor, fake: torch.Tensor, k: int = 5) -> float:
    """The fraction of real ``k``-neighbourhoods holding at least one generated feature."""
    radii = kth_neighbour_distances(real, k)
    _, nearest = _inside(fake, real, radii, strict=True)
    return float((nearest < radii).float().mean())


@functools.cache
def _neighbourhood_metric() -> type[Metric]:
    """The torchmetrics metric keeping both sets of features, defined on first use (torchmetrics imports slowly)."""
    from torchmetrics import Metric
    from torchmetrics.utilities import dim_zero_cat

    class NeighbourhoodMetric(Metric):
        """Keeps the features of real and generated images; ``reset()`` forgets the generated ones only."""

        full_state_update = False

        def __init__(self, features: FeatureExtractor, figure: Callable[[torch.Tensor, torch.Tensor, int], float], k: int) -> None:
            super().__init__(sync_on_compute=False)
            self.features = features
            self.figure = figure
            self.k = k
            self.add_state("real_features", default=[], dist_reduce_fx="cat")
            self.add_state("fake_features", default=[], dist_reduce_fx="cat")

        def update(self, images: torch.Tensor, real: bool) -> None:
            with torch.no_grad():
                found = self.features(images).float().reshape(len(images), -1)
            (self.real_features if real else self.fake_features).append(found)  # type: ignore[union-attr]

        def reset(self) -> None:
            kept = list(self.real_features)  # type: ignore[arg-type]
            super().reset()
            self.real_features = kept

        def compute(self) -> torch.Tensor:
            if not self.real_features or not self.fake_features:
                raise GanzooError("needs real and generated images")
            real, fake = dim_zero_cat(self.real_features), dim_zero_cat(self.fake_features)
            return torch.tensor(self.figure(real, fake, self.k))

    return NeighbourhoodMetric


class _Neighbourhoods(Measure):
    """A measure of generated images among the real ones' neighbourhoods (see the module notes)."""

    higher_is_better: ClassVar[bool] = True
    figure: ClassVar[Callable[[torch.Tensor, torch.Tensor, int], float]]

    def __init__(self, *, k: int) -> None:
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise ValueError(f"k must be a whole number of 1 or more, got {k!r}")
        self.k = k

    def make(self, features: FeatureExtractor | None = None) -> Metric:
        if features is None:
            raise GanzooError("needs a feature extractor (features=digits or features=inception)")
        return _neighbourhood_metric()(features, type(self).figure, self.k)


class Precision(_Neighbourhoods):
    """Improved precision: the fraction of generated images that fall among real ones (fidelity).

    Kynkäänniemi, Karras, Laine, Lehtinen and Aila, "Improved Precision and Recall Metric for Assessing
    Generative Models", NeurIPS 2019, arXiv:1904.06991.

    A generated image counts when its features lie inside the ball around some real image's features
    that reaches that image's ``k``-th nearest real neighbour. From 0 to 1; higher is better. It says
    nothing about diversity: a generator repeating one good image scores 1 (see ``recall``).

    Sample sizes: the paper, and StyleGAN2's ``pr50k3``, use k = 3 and 50,000 real and 50,000
    generated images, with VGG-16 features (4,096 values); ganzoo measures with its own feature
    extractors (``inception``: 2,048 values, or ``digits``), so compare only figures measured with the
    same features, ``k`` and image counts (``ganzoo eval … metric=precision,recall n=50000``). With
    fewer images the balls grow and the figure rises.

    Args:
        k: The neighbour each real image's ball reaches.
    """

    figure = staticmethod(precision)

    def __init__(self, *, k: int = 3) -> None:
        super().__init__(k=k)


class Recall(_Neighbourhoods):
    """Improved recall: the fraction of real images the generated ones reach (diversity).

    Kynkäänniemi, Karras, Laine, Lehtinen and Aila, "Improved Precision and Recall Metric for Assessing
    Generative Models", NeurIPS 2019, arXiv:1904.06991.

    A real image counts when its features lie inside the ball around some generated image's features
    that reaches that image's ``k``-th nearest generated neighbour. From 0 to 1; higher is better; a
    collapsed generator scores near 0 whatever its precision.

    Sample sizes: k = 3 with 50,000 real and 50,000 generated images in the paper (VGG-16 features);
    compare only figures measured with the same features, ``k`` and image counts. Generated outliers
    make large balls that inflate recall; ``coverage`` is robust to them.

    Args:
        k: The neighbour each generated image's ball reaches.
    """

    figure = staticmethod(recall)

    def __init__(self, *, k: int = 3) -> None:
        super().__init__(k=k)


class Density(_Neighbourhoods):
    """Density: how many real neighbourhoods hold each generated image, relative to ``k`` (fidelity).

    Naeem, Oh, Uh, Choi and Yoo, "Reliable Fidelity and Diversity Metrics for Generative Models", ICML
    2020, arXiv:2002.09797.

    Counts, for each generated image, the balls around real images' features (each reaching that
    image's ``k``-th nearest real neighbour) that hold its features, averages over the generated images
    and divides by ``k``: about 1 when generated images are spread like the real ones, above 1 when
    they crowd where real images are dense, below 1 when they stray. Unbounded; unlike precision,
    robust to real outliers.

    Sample sizes: the paper recommends k = 5 with 10,000 real and 10,000 generated images (its figures
    use VGG-16 features); compare only figures measured with the same features, ``k`` and image
    counts (``ganzoo eval … metric=density,coverage n=10000``).

    Args:
        k: The neighbour each real image's ball reaches.
    """

    figure = staticmethod(density)

    def __init__(self, *, k: int = 5) -> None:
        super().__init__(k=k)


class Coverage(_Neighbourhoods):
    """Coverage: the fraction of real neighbourhoods that hold at least one generated image (diversity).

    Naeem, Oh, Uh, Choi and Yoo, "Reliable Fidelity and Diversity Metrics for Generative Models", ICML
    2020, arXiv:2002.09797.

    A real image counts when some generated image's features lie inside the ball around its features
    that reaches its ``k``-th nearest real neighbour. From 0 to 1; higher is better. Built on the real
    images' neighbourhoods only, it is robust to generated outliers, unlike recall.

    Sample sizes: k = 5 with 10,000 real and 10,000 generated images in the paper; with as many
    generated images as real ones, matching distributions score about 1 - (1/2)^k = 0.97. Compare only
    figures measured with the same features, ``k`` and image counts.

    Args:
        k: The neighbour each real image's ball reaches.
    """

    figure = staticmethod(coverage)

    def __init__(self, *, k: int = 5) -> None:
        super().__init__(k=k)
