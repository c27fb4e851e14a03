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

from .conditional import ConditionalDCGANGenerator
from .dcgan import DCGANGenerator
from .exemplar import ExemplarInpaintingGenerator
from .mlp import MLPGenerator
from .resnet import ResnetGenerator
from .unet import UNetGenerator

__all__ = [
    "GENERATORS",
    "ConditionalDCGANGenerator",
    "DCGANGenerator",
    "ExemplarInpaintingGenerator",
    "MLPGenerator",
    "ResnetGenerator",
    "UNetGenerator",
]

GENERATORS = {
    "mlp": MLPGenerator,
    "dcgan": DCGANGenerator,
    "unet": UNetGenerator,
    "resnet": ResnetGenerator,
    "cdcgan": ConditionalDCGANGenerator,
    "exgan": ExemplarInpaintingGenerator,
}
"""The built-in generators by part name."""
