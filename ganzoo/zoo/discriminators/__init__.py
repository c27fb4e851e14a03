"""Built-in discriminators. All return raw logits; the losses apply a sigmoid where they need one.

=========================  =========================================  ===================================
part                       class                                      inputs
=========================  =========================================  ===================================
``mlp``                    :class:`MLPDiscriminator`                  ``image``
``dcgan``                  :class:`DCGANDiscriminator`                ``image`` (+ ``condition``)
``patchgan``               :class:`PatchGANDiscriminator`             ``image`` (+ ``condition``)
``multiscale_patchgan``    :class:`MultiScalePatchGANDiscriminator`   ``image`` (+ ``condition``)
``projection``             :class:`ProjectionDiscriminator`           ``image``, ``label``
``timm``                   :class:`TimmDiscriminator`                 ``image`` (+ ``condition``)
=========================  =========================================  ===================================

``condition`` is among the inputs when the network is built with ``cond_channels`` > 0.
"""

from .backbone import TimmDiscriminator
from .dcgan import DCGANDiscriminator
from .mlp import MLPDiscriminator
from .patchgan import MultiScalePatchGANDiscriminator, PatchGANDiscriminator
from .projection import ProjectionDiscriminator

__all__ = [
    "DISCRIMINATORS",
    "DCGANDiscriminator",
    "MLPDiscriminator",
    "MultiScalePatchGANDiscriminator",
    "PatchGANDiscriminator",
    "ProjectionDiscriminator",
    "TimmDiscriminator",
]

DISCRIMINATORS = {
    "mlp": MLPDiscriminator,
    "dcgan": DCGANDiscriminator,
    "patchgan": PatchGANDiscriminator,
    "multiscale_patchgan": MultiScalePatchGANDiscriminator,
    "projection": ProjectionDiscriminator,
    "timm": TimmDiscriminator,
}
"""The built-in discriminators by part name."""
