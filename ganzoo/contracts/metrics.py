"""The contracts of the ``features`` and ``metric`` parts: :class:`FeatureExtractor` and :class:`Measure`.

A feature extractor maps a batch of images in ``[-1, 1]`` to one feature vector per image; the
distribution measures compare the distributions of those vectors. A measure chooses and feeds a
torchmetrics metric, in one of three families:

- ``"distribution"``: compares the features of generated images with those of real images;
- ``"samples"``: judges generated images alone, through the feature extractor's classifier;
- ``"paired"``: compares each output of an image-to-image generator with its own target, on images
  mapped to ``[0, 1]``.

A measure has no name of its own: its figures are reported under the name it is registered by
(:meth:`Measure.values` receives it), so a measure class registered twice reports under each name.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, ClassVar, Literal

from torch import nn

if TYPE_CHECKING:
    from torchmetrics import Metric

__all__ = ["Family", "FeatureExtractor", "Measure"]

#: The families of measures (see the module notes).
Family = Literal["distribution", "samples", "paired"]


class FeatureExtractor(nn.Module):
    """Base class of the ``features`` parts: images in ``[-1, 1]`` to feature vectors.

    Subclasses set :attr:`num_features` and :attr:`key` and implement ``forward``, which takes
    ``(N, C, H, W)`` float images in ``[-1, 1]`` and returns ``(N, num_features)`` features. The module
    never leaves evaluation mode and never needs gradients.

    Attributes:
        num_features: The length of each feature vector (read by torchmetrics).
        key: Identifies the extractor and its weights, for caching reference statistics.
    """

    num_features: int = 0
    key: str = ""

    def train(self, mode: bool = True) -> FeatureExtractor:
        """Stay in evaluation mode whatever is asked (a metric's ``train()`` must not change features)."""
        return super().train(False)

    @property
    def classifier(self) -> nn.Module | None:
        """A module mapping the same images to class logits, or ``None`` when there is none."""
        return None


class Measure(ABC):
    """Base class of the ``metric`` parts: a quality measure computed by a torchmetrics metric.

    Subclasses implement :meth:`make`, and :meth:`values` when the metric gives more than one figure.

    Attributes:
        family: ``"distribution"``, ``"samples"`` or ``"paired"`` (see the module notes).
        higher_is_better: Which direction is an improvement.
    """

    family: ClassVar[Family] = "distribution"
    higher_is_better: ClassVar[bool] = False

    @property
    def key(self) -> str:
        """Identifies the measure's class and settings, for caching real-image statistics."""
        settings = ",".join(f"{k}={v}" for k, v in sorted(vars(self).items()))
        return f"{type(self).__module__}.{type(self).__qualname__}({settings})"

    @abstractmethod
    def make(self, features: FeatureExtractor | None = None) -> Metric:
        """A fresh torchmetrics metric; distribution measures keep their real statistics on ``reset()``.

        Args:
            features: The feature extractor (distribution and samples measures).
        """

    def values(self, metric: Metric, name: str) -> dict[str, float]:
        """Compute the figures: the main one under ``name``, any others under ``name`` and a suffix.

        Args:
            metric: A metric from :meth:`make`, fed with images.
            name: The name the measure was selected by, its registry name (``fid``).

        Returns:
            Named floats, e.g. ``{"kid": …, "kid_std": …}`` for ``name="kid"``.
        """
        return {name: float(metric.compute())}
