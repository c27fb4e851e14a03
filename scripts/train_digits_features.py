"""Train the ``digits`` feature network and write the weights ganzoo ships.

Trains :class:`ganzoo.metrics.features.DigitsNet` on the 4,500 built-in training digits (seeded, on
the CPU, a few minutes on two cores), then prints its accuracy on the 500 held-out test digits and
writes ``ganzoo/metrics/digits_features.pt`` (or ``--out``). Random shifts, small rotations and scale
changes make it read digits that are a little off-centre or deformed, as generated digits often are.

Usage::

    python scripts/train_digits_features.py [--epochs 8] [--seed 0] [--out FILE]
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from ganzoo.atomic import atomic_path
from ganzoo.data.digits import digits_split
from ganzoo.metrics.features import DIGITS_FORMAT, DigitsNet


DEFAULT_OUT = Path(__file__).resolve().parent.parent / "ganzoo" / "metrics" / "digits_features.pt"


def augment(images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Random affine jitter: rotation ±12°, scale 0.9-1.1, shift ±2 pixels (of 32), background kept black."""
    n = images.shape[0]
    angle = (torch.rand(n, generator=generator) * 2 - 1) * math.radians(12)
    scale = 0.9 + torch.rand(n, generator=generator) * 0.2
    shift = (torch.rand(n, 2, generator=generator) * 2 - 1) * (2 / 16)  # grid units: 16 pixels per unit
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack([torch.stack([cos, -sin, shift[:, 0]], 1), torch.stack([sin, cos, shift[:, 1]], 1)], 1)
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)
    # Sampled in [0, 1] so that zero padding is the black background.
    warped = F.grid_sample((images + 1) / 2, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    return warped * 2 - 1


@torch.no_grad()
def accuracy(net: DigitsNet, images: torch.Tensor, labels: torch.Tensor) -> float:
    """The fraction of ``images`` classified as ``labels``."""
    net.eval()
    predictions = torch.cat([net(batch).argmax(1) for batch in images.split(500)])
    return float((predictions == labels).float().mean())


def main(argv: list[str] | None = None) -> float:
    """Train, report the held-out accuracy, write the weights; returns the accuracy."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)

    torch.manual_seed(args.seed)
    torch.use_deterministic_algorithms(True)
    generator = torch.Generator().manual_seed(args.seed)
    train_images, train_labels = digits_split("train", 32)
    test_images, test_labels = digits_split("test", 32)
    train_images, test_images = train_images * 2 - 1, test_images * 2 - 1  # the [-1, 1] of ganzoo's items

    net = DigitsNet()
    steps = args.epochs * math.ceil(len(train_labels) / args.batch_size)
    optimizer = torch.optim.AdamW(net.parameters(), lr=2e-3, weight_decay=1e-4)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=2e-3, total_steps=steps)
    started = time.perf_counter()
    for epoch in range(args.epochs):
        net.train()
        order = torch.randperm(len(train_labels), generator=generator)
        total = 0.0
        for batch in order.split(args.batch_size):
            images = augment(train_images[batch], generator)
            loss = F.cross_entropy(net(images), train_labels[batch], label_smoothing=0.05)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
            total += float(loss.detach()) * len(batch)
        print(f"epoch {epoch + 1:2d}/{args.epochs}: loss {total / len(train_labels):.4f} ({time.perf_counter() - started:.0f} s)")

    train_accuracy = accuracy(net, train_images, train_labels)
    test_accuracy = accuracy(net, test_images, test_labels)
    print(f"accuracy: {train_accuracy:.2%} on the 4,500 training digits, {test_accuracy:.2%} on the 500 held-out test digits")
    payload = {
        "format": DIGITS_FORMAT,
        "version": 1,
        "num_features": 128,
        "num_classes": 10,
        "seed": args.seed,
        "epochs": args.epochs,
        "test_accuracy": test_accuracy,
        "state_dict": {key: value.detach().clone() for key, value in net.state_dict().items()},
    }
    with atomic_path(args.out) as temporary:
        torch.save(payload, temporary)
        temporary.chmod(0o644)  # package data: readable by everyone, unlike a fresh temporary file
    print(f"weights written to {args.out} ({args.out.stat().st_size / 1e6:.2f} MB)")
    return test_accuracy


if __name__ == "__main__":
    main()
