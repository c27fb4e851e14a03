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

from __future__ import annotations

from typing import Any

from ganzoo._lazy import lazy_exports

# Classes are imported on first access, so that finding a part's source (``ganzoo list``) does not
# import torch.
_EXPORTS = {
    "TimmDiscriminator": "ganzoo.zoo.discriminators.backbone",
    "DCGANDiscriminator": "ganzoo.zoo.discriminators.dcgan",
    "MLPDiscriminator": "ganzoo.zoo.discriminators.mlp",
    "MultiScalePatchGANDiscriminator": "ganzoo.zoo.discriminators.patchgan",
    "PatchGANDiscriminator": "ganzoo.zoo.discriminators.patchgan",
    "ProjectionDiscriminator": "ganzoo.zoo.discriminators.projection",
}

__all__ = [
    "DISCRIMINATORS",
    "DCGANDiscriminator",
    "MLPDiscriminator",
    "MultiScalePatchGANDiscriminator",
    "PatchGANDiscriminator",
    "ProjectionDiscriminator",
    "TimmDiscriminator",
]


_export, __dir__ = lazy_exports(__name__, _EXPORTS, __all__)


def __getattr__(name: str) -> Any:
    if name == "DISCRIMINATORS":
        return {
            "mlp": _export("MLPDiscriminator"),
            "dcgan": _export("DCGANDiscriminator"),
            "patchgan": _export("PatchGANDiscriminator"),
            "multiscale_patchgan": _export("MultiScalePatchGANDiscriminator"),
            "projection": _export("ProjectionDiscriminator"),
            "timm": _export("TimmDiscriminator"),
        }
    return _export(name)
