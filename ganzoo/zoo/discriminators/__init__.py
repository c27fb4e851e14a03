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
``sngan``                  :class:`SNGANDiscriminator`                ``image`` (+ ``condition``)
``r3gan``                  :class:`R3GANDiscriminator`                ``image`` (+ ``condition``)
=========================  =========================================  ===================================

``condition`` is among the inputs when the network is built with ``cond_channels`` > 0.
"""

from __future__ import annotations

from ganzoo._lazy import lazy_exports

# Classes are imported on first access, so that finding a part's source (``ganzoo list``) does not
# import torch.
_EXPORTS = {
    "R3GANDiscriminator": "ganzoo.zoo.discriminators.r3gan",
    "SNGANDiscriminator": "ganzoo.zoo.discriminators.sngan",
    "TimmDiscriminator": "ganzoo.zoo.discriminators.backbone",
    "DCGANDiscriminator": "ganzoo.zoo.discriminators.dcgan",
    "MLPDiscriminator": "ganzoo.zoo.discriminators.mlp",
    "MultiScalePatchGANDiscriminator": "ganzoo.zoo.discriminators.patchgan",
    "PatchGANDiscriminator": "ganzoo.zoo.discriminators.patchgan",
    "ProjectionDiscriminator": "ganzoo.zoo.discriminators.projection",
}

__all__ = sorted(_EXPORTS)  # noqa: PLE0605  (the names are the keys above)


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
