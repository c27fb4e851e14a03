"""Quality measures for generators: FID, KID, IS, precision and recall, density and coverage, L1, PSNR, SSIM.

Two registry kinds, filled by the built-in zoo like any other part:

- ``features``: feature extractors for the distribution measures (:mod:`ganzoo.metrics.features`):
  ``digits``, a small network trained on the built-in digits and shipped with ganzoo, and
  ``inception``, the standard InceptionV3 features, whose weights are downloaded only on request;
- ``metric``: the measures: ``fid``, ``kid``, ``is``, ``classes``, ``l1``, ``psnr`` and ``ssim``
  (:mod:`ganzoo.metrics.measures`, computed by torchmetrics), and ``precision``, ``recall``,
  ``density`` and ``coverage`` (:mod:`ganzoo.metrics.manifold`).

Measure a trained run from Python or from the command line::

    from ganzoo.metrics import evaluate_checkpoint
    values, plan, run = evaluate_checkpoint("runs/dcgan", metrics=["fid", "kid"], n=1000)

    $ ganzoo eval checkpoint=runs/dcgan metric=fid,kid n=1000 features=digits

or during training, with the run's ``eval`` settings (:mod:`ganzoo.metrics.periodic`), which also keep
the best checkpoint. :mod:`ganzoo.metrics.evaluate` says what is compared with what. Images from
anywhere (a folder, an ``.npz`` file, a data set) are measured the same way by
:func:`~ganzoo.metrics.compare.evaluate_images`::

    $ ganzoo eval fake=samples/ real=digits metric=fid,precision,recall
"""

from __future__ import annotations

from ganzoo._lazy import lazy_exports

# Imported on first access: registering the parts needs only the features and measures modules.
_EXPORTS = {
    "DigitsFeatures": "ganzoo.metrics.features",
    "FeatureExtractor": "ganzoo.contracts.metrics",
    "FeaturesError": "ganzoo.metrics.features",
    "InceptionFeatures": "ganzoo.metrics.features",
    "build_features": "ganzoo.metrics.features",
    "inception_cache_path": "ganzoo.metrics.features",
    "FrechetDistance": "ganzoo.metrics.measures",
    "InceptionScore": "ganzoo.metrics.measures",
    "ClassCoverage": "ganzoo.metrics.measures",
    "KernelDistance": "ganzoo.metrics.measures",
    "L1Distance": "ganzoo.metrics.measures",
    "Measure": "ganzoo.contracts.metrics",
    "PeakSignalToNoise": "ganzoo.metrics.measures",
    "StructuralSimilarity": "ganzoo.metrics.measures",
    "Coverage": "ganzoo.metrics.manifold",
    "Density": "ganzoo.metrics.manifold",
    "Precision": "ganzoo.metrics.manifold",
    "Recall": "ganzoo.metrics.manifold",
    "evaluate_images": "ganzoo.metrics.compare",
    "open_image_set": "ganzoo.metrics.image_sets",
    "EVAL_DEFAULTS": "ganzoo.metrics.evaluate",
    "Plan": "ganzoo.metrics.evaluate",
    "evaluate_checkpoint": "ganzoo.metrics.evaluate",
    "evaluate_run": "ganzoo.metrics.evaluate",
    "plan_evaluation": "ganzoo.metrics.evaluate",
    "PeriodicEvaluation": "ganzoo.metrics.periodic",
}

__all__ = sorted(_EXPORTS)  # noqa: PLE0605  (the names are the keys above)


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
