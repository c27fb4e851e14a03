"""Feature extractors for the distribution measures: the parts of kind ``features``.

A feature extractor maps a batch of images in ``[-1, 1]`` to one feature vector per image; the
Fréchet and kernel distances compare the distributions of those vectors. Two are built in:

- ``digits``: a small convolutional network trained on the built-in digits, shipped inside the
  package (``digits_features.pt``, 0.63 MB), so that measuring digit generators needs no
  download. It classifies the 500 held-out test digits with 98.0 % accuracy. Its features are the
  128 values of its penultimate layer (before the activation). Figures measured with it are
  comparable between ganzoo runs, not with published (Inception) figures.
- ``inception``: the InceptionV3 pool features (2048 values) of the original TensorFlow FID
  network, through torch-fidelity, with images resized as clean-fid's "clean" mode resizes them
  (:mod:`ganzoo.metrics.resize`). Figures are comparable with clean-fid's and with papers that use
  it. Its weights (about 92 MB) are downloaded only on request.

Every extractor is a :class:`~ganzoo.contracts.FeatureExtractor` (defined in
:mod:`ganzoo.contracts.metrics`): a :class:`torch.nn.Module` that stays in evaluation mode, with the
``num_features`` attribute torchmetrics reads, and may offer a
:attr:`~ganzoo.contracts.FeatureExtractor.classifier` (images to class logits) for the Inception
score and for counting the classes of generated digits.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
import torch.nn.functional as F
from torch import nn

from ganzoo.contracts.metrics import FeatureExtractor
from ganzoo.errors import GanzooError
from ganzoo.metrics.resize import clean_resize_batch
from ganzoo.tensor_files import read_tensor_file

if TYPE_CHECKING:
    from ganzoo.registry import Registry

__all__ = [
    "DIGITS_WEIGHTS",
    "INCEPTION_URL",
    "DigitsFeatures",
    "DigitsNet",
    "FeaturesError",
    "InceptionFeatures",
    "build_features",
    "digits_frame",
    "inception_cache_path",
    "inception_trunk",
]

#: The shipped weights of the ``digits`` feature network (inside the :mod:`ganzoo.metrics` package).
DIGITS_WEIGHTS = "digits_features.pt"
#: Format marker stored in the shipped weights file.
DIGITS_FORMAT = "ganzoo-digits-features"
#: Where torch-fidelity publishes the InceptionV3 weights of the original FID implementation.
INCEPTION_URL = "https://github.com/toshas/torch-fidelity/releases/download/v0.2.0/weights-inception-2015-12-05-6726825d.pth"


class FeaturesError(GanzooError):
    """Feature network weights that are missing, unreadable or refused."""


class _Logits(nn.Module):
    """The classifier view of an extractor: images to class logits."""

    def __init__(self, extractor: FeatureExtractor) -> None:
        super().__init__()
        self.extractor = extractor

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.extractor.logits(images)  # type: ignore[operator]


# --- digits -----------------------------------------------------------------------------------------


def digits_frame(images: torch.Tensor) -> torch.Tensor:
    """Bring digit images to the 32 × 32 greyscale frame the digits network reads.

    The rule mirrors how :mod:`ganzoo.data.digits` makes its sizes from the native 28 pixels:
    32 is taken as it is, 28 is padded with 2 black pixels on each side, and any other size is
    resized to 28 (antialiased bilinear) and then padded. Several channels are averaged to grey.

    Args:
        images: ``(N, C, H, W)`` float images in ``[-1, 1]`` (black background at -1).

    Returns:
        ``(N, 1, 32, 32)`` images in ``[-1, 1]``.
    """
    if images.dim() != 4:
        raise FeaturesError(f"expected images of shape (N, C, H, W), got {tuple(images.shape)}")
    images = images.float().clamp(-1.0, 1.0)
    if images.shape[1] != 1:
        images = images.mean(dim=1, keepdim=True)
    if tuple(images.shape[-2:]) == (32, 32):
        return images
    if tuple(images.shape[-2:]) != (28, 28):
        images = F.interpolate(images, size=(28, 28), mode="bilinear", align_corners=False, antialias=True)
    return F.pad(images, (2, 2, 2, 2), value=-1.0)


class DigitsNet(nn.Module):
    """The digits classifier whose penultimate layer gives the ``digits`` features.

    Three convolution blocks (16, 32 and 64 channels, each 3 × 3 convolution, BatchNorm, ReLU and
    2 × 2 max-pooling) take the 32 × 32 frame to 64 × 4 × 4; a linear layer makes the 128 features;
    ReLU, dropout and a last linear layer make the 10 class logits. About 156,000 parameters.

    Args:
        num_features: Width of the feature layer.
        num_classes: Number of classes.
    """

    def __init__(self, num_features: int = 128, num_classes: int = 10) -> None:
        super().__init__()

        def block(inputs: int, outputs: int) -> list[nn.Module]:
            return [nn.Conv2d(inputs, outputs, 3, padding=1, bias=False), nn.BatchNorm2d(outputs), nn.ReLU(inplace=True), nn.MaxPool2d(2)]

        self.body = nn.Sequential(*block(1, 16), *block(16, 32), *block(32, 64), nn.Flatten(), nn.Linear(64 * 4 * 4, num_features))
        self.head = nn.Sequential(nn.ReLU(), nn.Dropout(0.3), nn.Linear(num_features, num_classes))

    def features(self, images: torch.Tensor) -> torch.Tensor:
        """The penultimate layer, before its activation, for images in ``[-1, 1]`` of any size."""
        return self.body(digits_frame(images))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Class logits for images in ``[-1, 1]`` of any size."""
        return self.head(self.features(images))


class DigitsFeatures(FeatureExtractor):
    """Features of a small CNN trained on the built-in digits (128 values; shipped, no download).

    The network (:class:`DigitsNet`) was trained on the 4,500 training digits by
    ``scripts/train_digits_features.py`` (seeded, CPU, a few minutes) and classifies the 500
    held-out test digits with 98.0 % accuracy. Inputs are greyscale images in ``[-1, 1]`` at 28 or 32
    pixels (other sizes are resized; colour is averaged to grey); see :func:`digits_frame`.

    Use it to compare ganzoo runs on digits with each other: the figures it gives are not
    comparable with published FIDs, which use ``inception``.

    Args:
        weights_path: Another weights file written by the training script (default: the shipped one).
    """

    num_features = 128

    def __init__(self, *, weights_path: str | None = None) -> None:
        super().__init__()
        source: Any = Path(weights_path) if weights_path else resources.files("ganzoo.metrics") / DIGITS_WEIGHTS
        payload = read_tensor_file(source, "digits feature weights file", FeaturesError)
        if not isinstance(payload, dict) or payload.get("format") != DIGITS_FORMAT:
            raise FeaturesError(f"'{source}' is not a digits feature network written by scripts/train_digits_features.py")
        self.net = DigitsNet(int(payload["num_features"]), int(payload["num_classes"]))
        try:
            self.net.load_state_dict(payload["state_dict"])
        except (KeyError, RuntimeError) as error:
            raise FeaturesError(f"the weights in '{source}' do not fit the digits network: {error}") from error
        self.num_features = int(payload["num_features"])
        #: Held-out accuracy recorded by the training script.
        self.test_accuracy = float(payload.get("test_accuracy", float("nan")))
        self.net.requires_grad_(False)
        self.key = f"digits:{weights_path or 'shipped'}"
        self.eval()

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """The 128 features of each image."""
        return self.net.features(images)

    def logits(self, images: torch.Tensor) -> torch.Tensor:
        """The 10 class logits of each image."""
        return self.net(images)

    @property
    def classifier(self) -> nn.Module:
        """Images to digit-class logits."""
        return _Logits(self)


# --- inception --------------------------------------------------------------------------------------


def inception_cache_path() -> Path:
    """Where the Inception weights are cached: torch's hub folder, ``checkpoints/`` inside it.

    That is ``$TORCH_HOME/hub/checkpoints`` (``~/.cache/torch/hub/checkpoints`` by default), the file
    torch-fidelity and torchmetrics download to, so one copy serves all three.
    """
    return Path(torch.hub.get_dir()) / "checkpoints" / INCEPTION_URL.rsplit("/", 1)[1]


class InceptionFeatures(FeatureExtractor):
    """InceptionV3 pool features (2048 values) as in the original FID; comparable with papers.

    The network and weights are those of the TensorFlow FID implementation, as torch-fidelity (and
    torchmetrics) provide them. Images are quantised to 8 bits (as a saved PNG holds them), made RGB
    (grey repeated) and resized to 299 × 299 as clean-fid's "clean" mode does: Pillow's bicubic filter
    on each channel in float mode, without rounding afterwards (:func:`ganzoo.metrics.resize.clean_resize`;
    Parmar, Zhang and Zhu, CVPR 2022). FIDs are therefore clean-fid's ("clean" FID), which differ
    slightly from those of the TensorFlow reference's bilinear resize ("legacy" FID) that older papers
    report. Its logits give the Inception score.

    The weights (about 92 MB) are never downloaded unless asked: with ``download=True`` they are
    fetched once into the cache (see :func:`inception_cache_path`), after which no flag is needed;
    ``weights_path`` reads them from a file instead (e.g. copied from a machine with internet).

    Args:
        download: Download the weights into the cache if they are not there yet.
        weights_path: A local copy of the weights file (``weights-inception-2015-12-05-6726825d.pth``).

    Raises:
        FeaturesError: If the weights are neither cached nor given nor to be downloaded, or a download
            fails; the message says how to get them.
    """

    num_features = 2048

    def __init__(self, *, download: bool = False, weights_path: str | None = None) -> None:
        super().__init__()
        path = _inception_weights(download=download, weights_path=weights_path)
        # Checked with weights_only=True first: torch-fidelity's own loader would unpickle anything.
        state = read_tensor_file(path, "Inception weights file", FeaturesError)
        if not isinstance(state, dict) or "fc.weight" not in state:
            raise FeaturesError(f"'{path}' does not hold InceptionV3 FID weights (no 'fc.weight')")
        from torch_fidelity.feature_extractor_inceptionv3 import FeatureExtractorInceptionV3

        try:
            self.net = FeatureExtractorInceptionV3("inception-v3-compat", ["2048", "logits_unbiased"], feature_extractor_weights_path=str(path))
        except RuntimeError as error:
            raise FeaturesError(f"the weights in '{path}' do not fit InceptionV3: {error}") from error
        self.key = f"inception:{path}"
        self.eval()

    def _both(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        images = images.float().clamp(-1.0, 1.0)
        if images.shape[1] == 1:
            images = images.expand(-1, 3, -1, -1)
        elif images.shape[1] != 3:
            raise FeaturesError(f"Inception features need 1- or 3-channel images, not {images.shape[1]} channels")
        quantised = ((images + 1.0) * 127.5).round().to(torch.uint8)  # as a saved PNG would be
        return inception_trunk(self.net, clean_resize_batch(quantised))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """The 2048 pool features of each image."""
        return self._both(images)[0]

    def logits(self, images: torch.Tensor) -> torch.Tensor:
        """The 1008 logits (without bias, as the Inception score uses them) of each image."""
        return self._both(images)[1]

    @property
    def classifier(self) -> nn.Module:
        """Images to Inception logits."""
        return _Logits(self)


#: The layers of torch-fidelity's InceptionV3 from the normalised 299 × 299 image to the pool features.
_INCEPTION_LAYERS = (
    "Conv2d_1a_3x3", "Conv2d_2a_3x3", "Conv2d_2b_3x3", "MaxPool_1", "Conv2d_3b_1x1", "Conv2d_4a_3x3", "MaxPool_2",
    "Mixed_5b", "Mixed_5c", "Mixed_5d", "Mixed_6a", "Mixed_6b", "Mixed_6c", "Mixed_6d", "Mixed_6e",
    "Mixed_7a", "Mixed_7b", "Mixed_7c", "AvgPool",
)


def inception_trunk(net: nn.Module, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Pool features and unbiased logits of torch-fidelity's InceptionV3 for resized float images.

    torch-fidelity's own ``forward`` takes ``uint8`` images and resizes them itself (bilinearly); this
    runs the same layers on images already resized to 299 × 299, with values in ``[0, 255]`` that need
    not be whole numbers, normalised as its ``forward`` normalises them.

    Args:
        net: A ``FeatureExtractorInceptionV3``.
        images: ``(N, 3, 299, 299)`` float images in ``[0, 255]``.

    Returns:
        The 2048 pool features and the 1008 logits without bias, as float32.
    """
    x = (images.to(net.fc.weight.dtype) - 128) / 128
    for name in _INCEPTION_LAYERS:
        x = getattr(net, name)(x)
    pool = torch.flatten(x, 1)
    return pool.to(torch.float32), pool.mm(net.fc.weight.T).to(torch.float32)


def _inception_weights(*, download: bool, weights_path: str | None) -> Path:
    if weights_path:
        path = Path(weights_path).expanduser()
        if not path.is_file():
            raise FeaturesError(f"Inception weights file '{path}' does not exist; give the path of a copy of {INCEPTION_URL}")
        return path
    cached = inception_cache_path()
    if cached.is_file():
        return cached
    if not download:
        raise FeaturesError(
            f"the Inception weights (about 92 MB) are not in the cache ({cached}) and are downloaded only on "
            f"request: pass download=True (ganzoo eval … features=inception features.download=true, or "
            f"eval.features={{name: inception, download: true}} for a run), or download {INCEPTION_URL} "
            f"yourself and pass weights_path=FILE (features.weights_path=FILE)"
        )
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        # torch writes to a temporary file beside the target and renames it when complete.
        torch.hub.download_url_to_file(INCEPTION_URL, str(cached), progress=True)
    except Exception as error:  # URLError, HTTPError, timeouts, a full disk: all mean "no weights"
        raise FeaturesError(
            f"could not download the Inception weights from {INCEPTION_URL} ({error}); download the file on a "
            f"machine with internet and pass weights_path=FILE, or copy it to {cached}"
        ) from error
    return cached


_extractors: dict[tuple[str, str], FeatureExtractor] = {}


def build_features(spec: str | Mapping[str, Any] | FeatureExtractor, registry: Registry | None = None) -> FeatureExtractor:
    """Build (once per process) the feature extractor a setting names.

    Args:
        spec: A name (``"digits"``), a slot with parameters (``{"name": "inception", "download": True}``)
            or an extractor already built.
        registry: Where to look the name up (default: the process-wide registry).

    Returns:
        The extractor, shared by every caller in the process that names the same one.

    Raises:
        UnknownPartError: For an unknown name.
        FeaturesError: When its weights cannot be had.
    """
    if isinstance(spec, FeatureExtractor):
        return spec
    if isinstance(spec, str):
        name, params = spec, {}
    else:
        params = {k: v for k, v in dict(spec).items() if k != "name"}
        if "name" not in spec:
            raise GanzooError("a features setting needs a name: features=digits or features={name: inception, download: true}")
        name = str(spec["name"])
    key = (name, json.dumps(params, sort_keys=True, default=str))
    if key not in _extractors:
        if registry is None:
            from ganzoo.plugins import get_registry

            registry = get_registry()
        _extractors[key] = registry.get("features", name).build(**params)  # checked against FeatureExtractor
    return _extractors[key]
