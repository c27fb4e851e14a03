"""Choosing the device and the precision a run computes in."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch

from ganzoo.errors import ConfigError

AMP_CHOICES = ("none", "bf16", "fp16")


def select_device(requested: str = "auto") -> torch.device:
    """Pick the training device.

    Args:
        requested: ``"auto"`` (CUDA, then Apple MPS, then CPU), or a torch device string such as
            ``"cpu"``, ``"cuda"`` or ``"cuda:1"``.

    Raises:
        ConfigError: If the requested device is not available here.
    """
    if requested == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        device = torch.device(requested)
    except RuntimeError as error:
        raise ConfigError(f"train.device={requested!r} is not a device; use auto, cpu, cuda, cuda:N or mps") from error
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError("train.device=cuda but no CUDA device is available here; use train.device=auto or cpu")
    if device.type == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise ConfigError("train.device=mps but Apple's MPS is not available here; use train.device=auto or cpu")
    return device


def check_amp(amp: str, device: torch.device) -> str:
    """Check a mixed-precision choice against the device.

    Raises:
        ConfigError: For an unknown choice, or fp16 off CUDA.
    """
    if amp not in AMP_CHOICES:
        raise ConfigError(f"train.amp={amp!r}: use one of {', '.join(AMP_CHOICES)}")
    if amp == "fp16" and device.type != "cuda":
        raise ConfigError("train.amp=fp16 needs a CUDA device; use train.amp=bf16 or none")
    return amp


@contextlib.contextmanager
def autocast(amp: str, device: torch.device) -> Iterator[None]:
    """Run the enclosed forward passes in the chosen precision (a no-op for ``"none"``)."""
    if amp == "none":
        yield
        return
    dtype = torch.bfloat16 if amp == "bf16" else torch.float16
    with torch.autocast(device_type=device.type, dtype=dtype):
        yield
