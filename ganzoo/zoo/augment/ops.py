"""Per-sample image transforms in pure PyTorch, differentiable with respect to the images.

Every function takes a batch ``(N, C, H, W)`` and per-sample parameters (tensors of length ``N`` on
the batch's device), so that one call transforms each sample differently without a Python loop.
Random parameters are drawn by the callers from torch's global stream, which a checkpoint saves.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

__all__ = [
    "brightness",
    "contrast",
    "cutout_mask",
    "hue_rotation",
    "luma_flip",
    "rotate_matrix",
    "saturation",
    "scale_matrix",
    "shift",
    "translate_matrix",
    "warp",
]


def _column(values: torch.Tensor) -> torch.Tensor:
    """Per-sample values ``(N,)`` shaped to broadcast over ``(N, C, H, W)``."""
    return values.reshape(-1, 1, 1, 1)


def brightness(image: torch.Tensor, offset: torch.Tensor) -> torch.Tensor:
    """Add a per-sample offset to every pixel."""
    return image + _column(offset).to(image.dtype)


def contrast(image: torch.Tensor, factor: torch.Tensor, *, around_mean: bool) -> torch.Tensor:
    """Scale each sample's pixels by a factor, around the sample's mean (``around_mean``) or around 0 (mid-grey)."""
    factor = _column(factor).to(image.dtype)
    if not around_mean:
        return image * factor
    mean = image.mean(dim=(1, 2, 3), keepdim=True)
    return (image - mean) * factor + mean


def saturation(image: torch.Tensor, factor: torch.Tensor) -> torch.Tensor:
    """Scale each pixel's departure from its grey value (the mean over channels) by a per-sample factor."""
    grey = image.mean(dim=1, keepdim=True)
    return (image - grey) * _column(factor).to(image.dtype) + grey


def luma_flip(image: torch.Tensor, flip: torch.Tensor) -> torch.Tensor:
    """Reflect the grey component of the samples where ``flip`` is 1: ``x - 2 * flip * mean_c(x)``.

    The Householder reflection about the plane orthogonal to the luma axis ``(1, …, 1) / sqrt(C)``;
    a one-channel image is negated.
    """
    grey = image.mean(dim=1, keepdim=True)
    return image - 2 * _column(flip).to(image.dtype) * grey


def hue_rotation(image: torch.Tensor, angle: torch.Tensor) -> torch.Tensor:
    """Rotate RGB colours about the luma axis by a per-sample angle (radians); other channel counts are returned unchanged."""
    if image.shape[1] != 3:
        return image
    axis = torch.full((3,), 1 / math.sqrt(3), device=image.device, dtype=image.dtype)
    cos, sin = torch.cos(angle).to(image.dtype), torch.sin(angle).to(image.dtype)
    outer = torch.outer(axis, axis)
    cross = torch.tensor([[0.0, -1.0, 1.0], [1.0, 0.0, -1.0], [-1.0, 1.0, 0.0]], device=image.device, dtype=image.dtype) / math.sqrt(3)
    eye = torch.eye(3, device=image.device, dtype=image.dtype)
    # Rodrigues' rotation: cos·I + sin·[v]x + (1 - cos)·v vᵀ, one matrix per sample.
    matrices = cos.reshape(-1, 1, 1) * eye + sin.reshape(-1, 1, 1) * cross + (1 - cos).reshape(-1, 1, 1) * outer
    return torch.einsum("nij,njhw->nihw", matrices, image)


def shift(image: torch.Tensor, rows: torch.Tensor, cols: torch.Tensor) -> torch.Tensor:
    """Move each sample by whole pixels, ``out[y, x] = in[y + rows, x + cols]``, filling with zeros.

    Args:
        image: ``(N, C, H, W)``.
        rows: Per-sample vertical offsets ``(N,)``, integers.
        cols: Per-sample horizontal offsets ``(N,)``, integers.
    """
    n, c, h, w = image.shape
    y = torch.arange(h, device=image.device).unsqueeze(0) + rows.long().unsqueeze(1)  # (N, H)
    x = torch.arange(w, device=image.device).unsqueeze(0) + cols.long().unsqueeze(1)  # (N, W)
    inside = ((y >= 0) & (y < h)).unsqueeze(2) & ((x >= 0) & (x < w)).unsqueeze(1)  # (N, H, W)
    gathered = image.gather(2, y.clamp(0, h - 1).reshape(n, 1, h, 1).expand(n, c, h, w))
    gathered = gathered.gather(3, x.clamp(0, w - 1).reshape(n, 1, 1, w).expand(n, c, h, w))
    return gathered * inside.unsqueeze(1).to(image.dtype)


def cutout_mask(centre_rows: torch.Tensor, centre_cols: torch.Tensor, size: tuple[int, int], shape: tuple[int, int]) -> torch.Tensor:
    """A mask ``(N, 1, H, W)``, 0 inside a ``size`` rectangle about each sample's centre (clipped to the image), 1 elsewhere.

    Args:
        centre_rows: Per-sample centre rows ``(N,)``, integers; the rectangle spans
            ``[centre - size // 2, centre - size // 2 + size)``.
        centre_cols: Per-sample centre columns ``(N,)``.
        size: The rectangle's ``(height, width)`` in pixels.
        shape: The image's ``(H, W)``.
    """
    device = centre_rows.device
    top = (centre_rows.long() - size[0] // 2).reshape(-1, 1, 1)
    left = (centre_cols.long() - size[1] // 2).reshape(-1, 1, 1)
    y = torch.arange(shape[0], device=device).reshape(1, -1, 1)
    x = torch.arange(shape[1], device=device).reshape(1, 1, -1)
    inside = (y >= top) & (y < top + size[0]) & (x >= left) & (x < left + size[1])
    return (~inside).unsqueeze(1)


# --- geometric transforms as 3×3 matrices in pixel units about the image centre --------------------


def _matrices(rows: list[list[torch.Tensor | float]], like: torch.Tensor) -> torch.Tensor:
    """Per-sample 3×3 matrices from entries that are scalars or ``(N,)`` tensors."""
    entries = [torch.as_tensor(e, dtype=like.dtype, device=like.device).expand_as(like) for row in rows for e in row]
    return torch.stack(entries, dim=-1).reshape(*like.shape, 3, 3)


def translate_matrix(tx: torch.Tensor, ty: torch.Tensor) -> torch.Tensor:
    """Matrices moving points by ``(tx, ty)`` pixels."""
    return _matrices([[1.0, 0.0, tx], [0.0, 1.0, ty], [0.0, 0.0, 1.0]], tx)


def scale_matrix(sx: torch.Tensor, sy: torch.Tensor) -> torch.Tensor:
    """Matrices scaling by ``(sx, sy)`` about the centre."""
    return _matrices([[sx, 0.0, 0.0], [0.0, sy, 0.0], [0.0, 0.0, 1.0]], sx)


def rotate_matrix(angle: torch.Tensor) -> torch.Tensor:
    """Matrices rotating by ``angle`` radians about the centre."""
    cos, sin = torch.cos(angle), torch.sin(angle)
    return _matrices([[cos, -sin, 0.0], [sin, cos, 0.0], [0.0, 0.0, 1.0]], angle)


def warp(image: torch.Tensor, inverse: torch.Tensor, *, padding: str = "reflection") -> torch.Tensor:
    """Resample each sample through its matrix, bilinearly, differentiably.

    Args:
        image: ``(N, C, H, W)``.
        inverse: ``(N, 3, 3)`` matrices taking each output pixel's position (pixels, about the image
            centre) to the input position it reads.
        padding: What is read outside the image: ``"reflection"`` or ``"zeros"``.

    Whole-pixel moves (flips, quarter turns, integer translations) land on pixel centres and are exact.
    """
    n, _, h, w = image.shape
    # From pixels about the centre to grid_sample's [-1, 1] (align_corners=False: ±1 are the outer edges).
    to_unit = torch.diag(torch.tensor([2.0 / w, 2.0 / h, 1.0], device=image.device, dtype=inverse.dtype))
    from_unit = torch.diag(torch.tensor([w / 2.0, h / 2.0, 1.0], device=image.device, dtype=inverse.dtype))
    theta = (to_unit @ inverse @ from_unit)[:, :2, :]
    grid = F.affine_grid(theta.to(image.dtype), [n, image.shape[1], h, w], align_corners=False)
    return F.grid_sample(image, grid, mode="bilinear", padding_mode=padding, align_corners=False)
