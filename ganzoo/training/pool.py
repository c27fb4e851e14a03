"""A history of generated images for the discriminator (Shrivastava et al., CVPR 2017).

Showing the discriminator older fakes beside the newest keeps it from forgetting what it already
learnt and damps oscillation; CycleGAN's reference code keeps 50.
"""

from __future__ import annotations

from typing import Any

import torch


class HistoryPool:
    """Keeps up to ``size`` generated images and swaps some of them into each batch.

    For each image of a batch: while the pool is not full, the image is stored and returned; once it
    is full, with probability 1/2 a random stored image is returned instead and the new one takes its
    place. This is the reference ``ImagePool``, with its own seeded random stream so that a resumed
    run draws the same numbers.

    Args:
        size: Number of images kept; 0 returns every batch unchanged.
        seed: Seed of the pool's random stream.
    """

    def __init__(self, size: int, seed: int = 0) -> None:
        self.size = size
        self.images: list[torch.Tensor] = []
        self.generator = torch.Generator().manual_seed(seed)

    @torch.no_grad()
    def __call__(self, batch: torch.Tensor) -> torch.Tensor:
        """Return a batch of the same shape, mixing new and stored images."""
        if self.size <= 0:
            return batch
        chosen = []
        for image in batch.detach():
            image = image.unsqueeze(0)
            if len(self.images) < self.size:
                self.images.append(image.clone())
                chosen.append(image)
            elif torch.rand((), generator=self.generator).item() > 0.5:
                index = int(torch.randint(len(self.images), (), generator=self.generator))
                chosen.append(self.images[index].clone())
                self.images[index] = image.clone()
            else:
                chosen.append(image)
        return torch.cat(chosen)

    def state_dict(self) -> dict[str, Any]:
        """The stored images and the random stream's state."""
        return {"images": [image.cpu() for image in self.images], "generator": self.generator.get_state()}

    def load_state_dict(self, state: dict[str, Any], device: torch.device | str = "cpu") -> None:
        """Restore what :meth:`state_dict` returned."""
        self.images = [image.to(device) for image in state["images"]]
        self.generator.set_state(state["generator"])
