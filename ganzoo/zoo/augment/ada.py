"""Adaptive discriminator augmentation (ADA): transforms applied with a probability that follows over-fitting."""

from __future__ import annotations

import math
from typing import Literal

import torch
import torch.distributed as dist

from ganzoo.contracts import AdversarialLoss, Augment, Logits
from ganzoo.errors import IncompatiblePartsError
from ganzoo.zoo.augment import ops
from ganzoo.zoo.augment.diffaugment import parse_names

#: Whole-pixel moves ("pixel blitting"), in the order they are composed.
BLIT = ("xflip", "rotate90", "xint")
#: General geometric transforms, resampled bilinearly.
GEOMETRY = ("scale", "rotate", "aniso", "xfrac")
#: Colour transforms.
COLOR = ("brightness", "contrast", "lumaflip", "hue", "saturation")
TRANSFORMS = BLIT + GEOMETRY + COLOR
#: Shorthands of the reference: b(lit), g(eometry), c(olour).
PRESETS = {"b": BLIT, "bg": BLIT + GEOMETRY, "bgc": TRANSFORMS, "c": COLOR}

# The reference's spreads (StyleGAN2-ADA's AugmentPipe defaults).
XINT_MAX = 0.125  # integer translation, of the side
SCALE_STD = 0.2  # log2 of isotropic scaling
ANISO_STD = 0.2  # log2 of anisotropic scaling
XFRAC_STD = 0.125  # fractional translation, of the side
BRIGHTNESS_STD = 0.2
CONTRAST_STD = 0.5  # log2
SATURATION_STD = 1.0  # log2


def _losses_without_a_zero() -> tuple[type, ...]:
    from ganzoo.zoo.losses import RelativisticPairingLoss, WGANLoss

    return (WGANLoss, RelativisticPairingLoss)


class AdaptiveAugment(Augment):
    """Adaptive discriminator augmentation (ADA): transforms applied with a probability that follows D's over-fitting.

    Karras, T., Aittala, M., Hellsten, J., Laine, S., Lehtinen, J. and Aila, T. "Training Generative
    Adversarial Networks with Limited Data". NeurIPS 2020. arXiv:2006.06676.

    Each transform of ``transforms`` is applied to each sample independently with probability ``p``
    (the arbitrary rotation as two rotations of probability ``1 - sqrt(1 - p)``, as in the
    reference). The over-fitting heuristic ``r_t = E[sign(D(x))]`` on the augmented reals ``x`` is
    averaged over ``interval`` discriminator updates; ``p`` then moves by
    ``sign(r_t - target) * images / (speed_kimg * 1000)`` (``images``: the real images seen over the
    interval, ``batch * interval``), so that it can go from 0 to 1 in ``speed_kimg`` thousand images,
    and is clamped to ``[0, 1]``. ``p`` is logged as ``augment/p`` and saved in checkpoints.

    The transforms (StyleGAN2-ADA's ``bgc`` pipeline, in pure PyTorch, without its wavelet
    anti-aliasing filter): x-flip, quarter turns, integer translation up to 1/8 of the side;
    isotropic scaling (log2-normal, std 0.2), arbitrary rotation, anisotropic scaling (std 0.2),
    fractional translation (std 1/8), all composed into one bilinear resampling with ``padding``
    outside the image; brightness (normal, std 0.2), contrast (log2-normal, std 0.5, about mid-grey),
    luma flip, hue rotation (RGB only) and saturation (log2-normal, std 1). A condition follows the
    geometric transforms, not the colour ones.

    Args:
        target: The value of ``r_t`` to hold; ``null`` keeps ``p`` fixed.
        p: The starting probability (the fixed one when ``target`` is null).
        interval: Discriminator updates between adjustments of ``p``.
        speed_kimg: Thousands of real images for ``p`` to go from 0 to 1. The reference's 500 suits its
            runs of tens of millions of images; in a run of a few hundred thousand, such as a ganzoo
            recipe on a CPU, it lets ``p`` climb only half-way, so the default is 100 (measured on
            the built-in digits: with 500, ADA lowers the FID on 500 digits by 25 % and costs 23 %
            on all of them; with 100 it lowers it by 31.5 % and by 10 %; ``benchmarks/README.md``).
        transforms: ``"bgc"`` (all), ``"bg"``, ``"b"`` or ``"c"``, or a comma-separated list of
            transform names (``"xflip,rotate90,brightness"``).
        padding: What the geometric transforms show outside the image: ``reflection`` or ``zeros``.
        threshold: The raw output above which the discriminator calls an image real; ``null`` takes
            it from the loss: 0.5 for ``lsgan`` (targets 0 and 1), 0 otherwise.
    """

    def __init__(
        self,
        *,
        target: float | None = 0.6,
        p: float = 0.0,
        interval: int = 4,
        speed_kimg: float = 100.0,
        transforms: str | list[str] = "bgc",
        padding: Literal["reflection", "zeros"] = "reflection",
        threshold: float | None = None,
    ) -> None:
        super().__init__()
        if target is not None and not 0.0 < target < 1.0:
            raise ValueError(f"target={target} is outside (0, 1): it is the wanted fraction of reals D is sure of, e.g. 0.6 (or null for a fixed p)")
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"p={p} is not a probability in [0, 1]")
        if interval < 1:
            raise ValueError(f"interval={interval}: p is adjusted every interval >= 1 discriminator updates")
        if not (speed_kimg > 0 and math.isfinite(speed_kimg)):
            raise ValueError(f"speed_kimg={speed_kimg} must be a finite number > 0 (thousands of images for p to go from 0 to 1)")
        if threshold is not None and not math.isfinite(threshold):
            raise ValueError(f"threshold={threshold} must be a finite number, or null to take it from the loss")
        if isinstance(transforms, str) and transforms.strip() in PRESETS:
            self.transforms = PRESETS[transforms.strip()]
        else:
            self.transforms = parse_names(transforms, TRANSFORMS, "transforms list (or preset b, bg, bgc, c)")
        self.target, self.interval, self.speed_kimg, self.padding = target, int(interval), float(speed_kimg), padding
        self.threshold = threshold
        self.register_buffer("p", torch.tensor(float(p)))
        # Over the current interval: the sum of sign(D(x)), the outputs counted, the images and the updates seen.
        self.register_buffer("signs", torch.zeros(3))
        self.updates = 0  # saved as the module's extra state: a plain int, so counting needs no device sync

    def get_extra_state(self) -> dict[str, int]:
        return {"updates": self.updates}

    def set_extra_state(self, state: dict[str, int]) -> None:
        self.updates = int(state["updates"])

    def extra_repr(self) -> str:
        return f"target={self.target}, interval={self.interval}, speed_kimg={self.speed_kimg}, transforms={','.join(self.transforms)}"

    # --- the controller ---------------------------------------------------------------------------

    def bind(self, discriminator: str, loss: AdversarialLoss) -> None:
        """Take the decision threshold from the loss; refuse losses whose scores have no fixed zero while ``p`` adapts."""
        if self.target is not None and isinstance(loss, _losses_without_a_zero()) and self.threshold is None:
            raise IncompatiblePartsError(
                f"augment 'ada' cannot serve discriminator '{discriminator}': it steers p by the sign of D's outputs on "
                f"real images, and the scores of a {type(loss).__name__} have no fixed zero; choose augment=diffaugment, "
                "or fix p (augment.target=null augment.p=0.2)"
            )
        if self.threshold is None:
            from ganzoo.zoo.losses import LSGANLoss

            self.threshold = 0.5 if isinstance(loss, LSGANLoss) else 0.0

    def observe_real_logits(self, logits: Logits) -> None:
        """Accumulate ``sign(D(x) - threshold)``; every ``interval`` updates, move ``p`` toward the target."""
        if self.target is None:
            return
        scales = list(logits) if isinstance(logits, (list, tuple)) else [logits]
        signs = torch.cat([torch.sign(s.detach().float() - (self.threshold or 0.0)).flatten() for s in scales])
        self.signs[0] += signs.sum().to(self.signs.device)
        self.signs[1] += signs.numel()
        self.signs[2] += scales[0].shape[0]
        self.updates += 1
        if self.updates % self.interval == 0:
            self._adjust()

    def _adjust(self) -> None:
        totals = self.signs.clone()
        if dist.is_available() and dist.is_initialized():  # every process takes the same p
            dist.all_reduce(totals)
        r_t = totals[0] / totals[1].clamp(min=1)
        step = torch.sign(r_t - self.target) * totals[2] / (self.speed_kimg * 1000)
        self.p.copy_((self.p + step.to(self.p.dtype)).clamp(0.0, 1.0))
        self.signs.zero_()

    def log_values(self) -> dict[str, float]:
        return {"p": float(self.p)}

    # --- the transforms ---------------------------------------------------------------------------

    def _chosen(self, n: int, device: torch.device, probability: torch.Tensor | None = None) -> torch.Tensor:
        """Which samples a transform applies to (a bool per sample), each with probability ``p``."""
        return torch.rand(n, device=device) < (self.p if probability is None else probability).to(device)

    def _pick(self, on: torch.Tensor, values: torch.Tensor, identity: float) -> torch.Tensor:
        return torch.where(on, values, torch.full_like(values, identity))

    def _geometry(self, n: int, h: int, w: int, device: torch.device) -> torch.Tensor | None:
        """The per-sample matrices taking output pixels to input pixels, or ``None`` when no geometric transform is on."""
        chosen = [name for name in BLIT + GEOMETRY if name in self.transforms]
        if not chosen:
            return None
        inverse = torch.eye(3, device=device).expand(n, 3, 3)
        def rand() -> torch.Tensor:
            return torch.rand(n, device=device)

        def randn() -> torch.Tensor:
            return torch.randn(n, device=device)

        p_rot = 1 - torch.sqrt((1 - self.p).clamp(0, 1))  # P(pre-rotation or post-rotation) = p
        for name in chosen:
            if name == "xflip":
                flip = self._pick(self._chosen(n, device), torch.floor(rand() * 2), 0.0)
                inverse = inverse @ ops.scale_matrix(1 - 2 * flip, torch.ones_like(flip))
            elif name == "rotate90":
                quarter = self._pick(self._chosen(n, device), torch.floor(rand() * 4), 0.0)
                inverse = inverse @ ops.rotate_matrix(-math.pi / 2 * quarter)
            elif name == "xint":
                on = self._chosen(n, device)
                tx = self._pick(on, torch.round((rand() * 2 - 1) * XINT_MAX * w), 0.0)
                ty = self._pick(on, torch.round((rand() * 2 - 1) * XINT_MAX * h), 0.0)
                inverse = inverse @ ops.translate_matrix(-tx, -ty)
            elif name == "scale":
                s = self._pick(self._chosen(n, device), torch.exp2(randn() * SCALE_STD), 1.0)
                inverse = inverse @ ops.scale_matrix(1 / s, 1 / s)
            elif name == "rotate":  # the reference's pre- and post-rotation, about the anisotropic scaling
                theta = self._pick(self._chosen(n, device, p_rot), (rand() * 2 - 1) * math.pi, 0.0)
                inverse = inverse @ ops.rotate_matrix(theta)
            elif name == "aniso":
                s = self._pick(self._chosen(n, device), torch.exp2(randn() * ANISO_STD), 1.0)
                inverse = inverse @ ops.scale_matrix(1 / s, s)
            elif name == "xfrac":
                on = self._chosen(n, device)
                tx, ty = self._pick(on, randn() * XFRAC_STD * w, 0.0), self._pick(on, randn() * XFRAC_STD * h, 0.0)
                inverse = inverse @ ops.translate_matrix(-tx, -ty)
        if "rotate" in self.transforms:
            theta = self._pick(self._chosen(n, device, p_rot), (rand() * 2 - 1) * math.pi, 0.0)
            inverse = inverse @ ops.rotate_matrix(theta)
        return inverse

    def _color(self, image: torch.Tensor) -> torch.Tensor:
        n, device = image.shape[0], image.device
        for name in (name for name in COLOR if name in self.transforms):
            on = self._chosen(n, device)
            if name == "brightness":
                image = ops.brightness(image, self._pick(on, torch.randn(n, device=device) * BRIGHTNESS_STD, 0.0))
            elif name == "contrast":
                image = ops.contrast(image, self._pick(on, torch.exp2(torch.randn(n, device=device) * CONTRAST_STD), 1.0), around_mean=False)
            elif name == "lumaflip":
                image = ops.luma_flip(image, self._pick(on, torch.floor(torch.rand(n, device=device) * 2), 0.0))
            elif name == "hue":
                image = ops.hue_rotation(image, self._pick(on, (torch.rand(n, device=device) * 2 - 1) * math.pi, 0.0))
            elif name == "saturation":
                image = ops.saturation(image, self._pick(on, torch.exp2(torch.randn(n, device=device) * SATURATION_STD), 1.0))
        return image

    def transform(self, image: torch.Tensor, condition: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor | None]:
        n, _, h, w = image.shape
        inverse = self._geometry(n, h, w, image.device)
        if inverse is not None:
            image = ops.warp(image, inverse, padding=self.padding)
            if condition is not None:
                condition = ops.warp(condition, inverse, padding=self.padding)
        return self._color(image), condition
