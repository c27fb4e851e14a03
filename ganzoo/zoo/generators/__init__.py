"""Built-in generators.

=======================  ==========================================  ================================
part                     class                                       inputs
=======================  ==========================================  ================================
``mlp``                  :class:`MLPGenerator`                       ``z``
``dcgan``                :class:`DCGANGenerator`                     ``z``
``unet``                 :class:`UNetGenerator`                      ``source``
``resnet``               :class:`ResnetGenerator`                    ``source``
``cdcgan``               :class:`ConditionalDCGANGenerator`          ``z``, ``label``
``exgan``                :class:`ExemplarInpaintingGenerator`        ``source``, ``mask``, ``exemplar``
=======================  ==========================================  ================================
"""

from __future__ import annotations

import importlib
from typing import Any

# Classes are imported on first access, so that finding a part's source (``ganzoo list``) does not
# import torch.
_EXPORTS = {
    "ConditionalDCGANGenerator": "ganzoo.zoo.generators.conditional",
    "DCGANGenerator": "ganzoo.zoo.generators.dcgan",
    "ExemplarInpaintingGenerator": "ganzoo.zoo.generators.exemplar",
    "MLPGenerator": "ganzoo.zoo.generators.mlp",
    "ResnetGenerator": "ganzoo.zoo.generators.resnet",
    "UNetGenerator": "ganzoo.zoo.generators.unet",
}

__all__ = [
    "ConditionalDCGANGenerator",
    "DCGANGenerator",
    "ExemplarInpaintingGenerator",
    "GENERATORS",
    "MLPGenerator",
    "ResnetGenerator",
    "UNetGenerator",
]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    if name == "GENERATORS":
        return {
            "mlp": __getattr__("MLPGenerator"),
            "dcgan": __getattr__("DCGANGenerator"),
            "unet": __getattr__("UNetGenerator"),
            "resnet": __getattr__("ResnetGenerator"),
            "cdcgan": __getattr__("ConditionalDCGANGenerator"),
            "exgan": __getattr__("ExemplarInpaintingGenerator"),
        }
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
