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

from typing import Any

from ganzoo._lazy import lazy_exports

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
    "GENERATORS",
    "ConditionalDCGANGenerator",
    "DCGANGenerator",
    "ExemplarInpaintingGenerator",
    "MLPGenerator",
    "ResnetGenerator",
    "UNetGenerator",
]


_export, __dir__ = lazy_exports(__name__, _EXPORTS, __all__)


def __getattr__(name: str) -> Any:
    if name == "GENERATORS":
        return {
            "mlp": _export("MLPGenerator"),
            "dcgan": _export("DCGANGenerator"),
            "unet": _export("UNetGenerator"),
            "resnet": _export("ResnetGenerator"),
            "cdcgan": _export("ConditionalDCGANGenerator"),
            "exgan": _export("ExemplarInpaintingGenerator"),
        }
    return _export(name)
