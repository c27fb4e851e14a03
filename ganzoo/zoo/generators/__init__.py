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
``sngan``                :class:`SNGANGenerator`                     ``z``
``r3gan``                :class:`R3GANGenerator`                     ``z``
=======================  ==========================================  ================================
"""

from __future__ import annotations

from ganzoo._lazy import lazy_exports

# Classes are imported on first access, so that finding a part's source (``ganzoo list``) does not
# import torch.
_EXPORTS = {
    "R3GANGenerator": "ganzoo.zoo.generators.r3gan",
    "SNGANGenerator": "ganzoo.zoo.generators.sngan",
    "ConditionalDCGANGenerator": "ganzoo.zoo.generators.conditional",
    "DCGANGenerator": "ganzoo.zoo.generators.dcgan",
    "ExemplarInpaintingGenerator": "ganzoo.zoo.generators.exemplar",
    "MLPGenerator": "ganzoo.zoo.generators.mlp",
    "ResnetGenerator": "ganzoo.zoo.generators.resnet",
    "UNetGenerator": "ganzoo.zoo.generators.unet",
}

__all__ = sorted(_EXPORTS)  # noqa: PLE0605  (the names are the keys above)


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
