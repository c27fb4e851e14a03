"""Resizing images for the Inception network as clean-fid's "clean" mode does.

Parmar, Zhang and Zhu, "On Aliased Resizing and Surprising Subtleties in GAN Evaluation", CVPR 2022,
arXiv:2104.11222, show that FID depends on how images are brought to the network's 299 × 299: the
bilinear resize of the TensorFlow reference (and of torch-fidelity) aliases, and quantising after
resizing adds its own error. Their "clean" mode, which ganzoo follows, takes the 8-bit image (as a
saved PNG holds it) and resizes each channel on its own with Pillow's antialiased bicubic filter in
32-bit float mode, clipping to ``[0, 255]`` without rounding, before the network normalises it.

:func:`clean_resize` is that resize, value for value: ``tests/test_metrics.py`` compares it with
``cleanfid.resize.make_resizer("PIL", False, "bicubic", (299, 299))`` when clean-fid is installed.
"""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image

__all__ = ["INCEPTION_SIZE", "clean_resize", "clean_resize_batch"]

#: The side of the images the Inception network reads.
INCEPTION_SIZE = 299


def clean_resize(image: np.ndarray, size: int = INCEPTION_SIZE) -> np.ndarray:
    """Resize one ``(H, W, C)`` image of values in ``[0, 255]`` to ``(size, size, C)`` float32, clean-fid's way.

    Args:
        image: The image, ``uint8`` (or float values in ``[0, 255]``).
        size: The side of the result.

    Returns:
        Float32 values in ``[0, 255]``, not rounded.
    """
    channels = []
    for index in range(image.shape[2]):
        plane = Image.fromarray(np.ascontiguousarray(image[:, :, index], dtype=np.float32))  # mode "F"
        plane = plane.resize((size, size), resample=Image.Resampling.BICUBIC)
        channels.append(np.asarray(plane).clip(0, 255).reshape(size, size, 1))
    return np.concatenate(channels, axis=2).astype(np.float32)


def clean_resize_batch(images: torch.Tensor, size: int = INCEPTION_SIZE) -> torch.Tensor:
    """Resize a batch of ``uint8`` images ``(N, C, H, W)`` to float ``(N, C, size, size)`` in ``[0, 255]``."""
    pixels = images.detach().cpu().permute(0, 2, 3, 1).numpy()
    resized = np.stack([clean_resize(image, size) for image in pixels])
    return torch.from_numpy(resized).permute(0, 3, 1, 2).contiguous().to(images.device)
