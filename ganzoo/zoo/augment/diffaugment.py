"""DiffAugment: the same differentiable augmentations for real and generated images, at every step."""

from __future__ import annotations

import torch

from ganzoo.contracts import Augment
from ganzoo.errors import did_you_mean
from ganzoo.zoo.augment import ops

#: The policies DiffAugment knows, in the order the reference applies them.
POLICIES = ("color", "translation", "cutout")


def parse_names(value: str | list[str], known: tuple[str, ...], what: str) -> tuple[str, ...]:
    """Names from ``"a,b"`` or ``["a", "b"]``, each checked against ``known``.

    Raises:
        ValueError: For an empty list, a repeated name, or an unknown one (with the closest).
    """
    items = value.split(",") if isinstance(value, str) else list(value)
    names = tuple(str(item).strip() for item in items if str(item).strip())
    if not names:
        raise ValueError(f"the {what} is empty: name at least one of {', '.join(known)} (augment=none switches augmentation off)")
    for name in names:
        if name not in known:
            raise ValueError(f"unknown {what} entry '{name}'{did_you_mean(name, known)} (choose from {', '.join(known)})")
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(f"the {what} names {', '.join(repeated)} more than once")
    return names


class DiffAugment(Augment):
    """DiffAugment: colour, translation and cutout, applied to every image a discriminator sees.

    Zhao, S., Liu, Z., Lin, J., Zhu, J.-Y. and Han, S. "Differentiable Augmentation for Data-Efficient
    GAN Training". NeurIPS 2020. arXiv:2006.10738.

    Every transform of the policy is applied to every sample, with parameters drawn per sample, as in
    the reference implementation (on images in ``[-1, 1]``):

    - ``color``: brightness ``+ U(-0.5, 0.5)``; saturation, each pixel's departure from its mean over
      channels times ``U(0, 2)``; contrast, the departure from the image's mean times ``U(0.5, 1.5)``;
    - ``translation``: a shift of up to 1/8 of the height and of the width (whole pixels, each way),
      filling with zeros;
    - ``cutout``: a rectangle of half the height and half the width, at a uniformly drawn centre
      (clipped at the borders), set to zero.

    A condition is translated and cut out with its image; colour changes the image only.

    Args:
        policy: The transforms, in order: a comma-separated string (``"color,translation,cutout"``)
            or a list.
    """

    def __init__(self, *, policy: str | list[str] = "color,translation,cutout") -> None:
        super().__init__()
        self.policy = parse_names(policy, POLICIES, "policy")

    def extra_repr(self) -> str:
        return f"policy={','.join(self.policy)}"

    def transform(self, image: torch.Tensor, condition: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor | None]:
        for name in self.policy:
            if name == "color":
                image = self._color(image)
            elif name == "translation":
                image, condition = self._translation(image, condition)
            else:
                image, condition = self._cutout(image, condition)
        return image, condition

    @staticmethod
    def _uniform(image: torch.Tensor) -> torch.Tensor:
        return torch.rand(image.shape[0], device=image.device)

    def _color(self, image: torch.Tensor) -> torch.Tensor:
        image = ops.brightness(image, self._uniform(image) - 0.5)
        image = ops.saturation(image, self._uniform(image) * 2)
        return ops.contrast(image, self._uniform(image) + 0.5, around_mean=True)

    def _translation(self, image: torch.Tensor, condition: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor | None]:
        n, _, h, w = image.shape
        rows = torch.randint(-(h // 8), h // 8 + 1, (n,), device=image.device)
        cols = torch.randint(-(w // 8), w // 8 + 1, (n,), device=image.device)
        moved = ops.shift(image, rows, cols)
        return moved, (ops.shift(condition, rows, cols) if condition is not None else None)

    def _cutout(self, image: torch.Tensor, condition: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor | None]:
        n, _, h, w = image.shape
        size = (h // 2, w // 2)
        # Centres as the reference draws them: from 0 to the side (one further for an even cut-out).
        rows = torch.randint(0, h + (1 - size[0] % 2), (n,), device=image.device)
        cols = torch.randint(0, w + (1 - size[1] % 2), (n,), device=image.device)
        mask = ops.cutout_mask(rows, cols, size, (h, w))
        return image * mask.to(image.dtype), (condition * mask.to(condition.dtype) if condition is not None else None)
