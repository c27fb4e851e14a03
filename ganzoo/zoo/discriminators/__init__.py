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

import importlib
from typing import Any

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
    "DCGANDiscriminator",
    "DISCRIMINATORS",
    "MLPDiscriminator",
    "MultiScalePatchGANDiscriminator",
    "PatchGANDiscriminator",
    "ProjectionDiscriminator",
    "TimmDiscriminator",
]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    if name == "DISCRIMINATORS":
        return {
            "mlp": __getattr__("MLPDiscriminator"),
            "dcgan": __getattr__("DCGANDiscriminator"),
            "patchgan": __getattr__("PatchGANDiscriminator"),
            "multiscale_patchgan": __getattr__("MultiScalePatchGANDiscriminator"),
            "projection": __getattr__("ProjectionDiscriminator"),
            "timm": __getattr__("TimmDiscriminator"),
        }
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
