"""The tensor vocabulary: the names by which the trainer, penalties, sampling and metrics read tensors.

Networks name the tensors their ``forward`` takes (:attr:`ganzoo.contracts.GanNetwork.inputs`), data
sets name the tensors of an item, and a recipe's ``forward`` section names what a step computes. The
names below carry a meaning the core relies on; every other name is a recipe's own (``fake``, ``A``,
``rec_A``, …) and means only what the recipe wires it to.

=============  ===========================================================  ==========================
name           meaning                                                      shape
=============  ===========================================================  ==========================
``z``          latent noise, drawn by the trainer for a network that takes  ``(N, latent_dim)``
               it (never read from the batch)
``label``      class index: a data item's class, a conditional generator's  ``(N,)`` int64
               or discriminator's input
``image``      a data item's (real) image, in ``[-1, 1]``; the image a      ``(N, C, H, W)``
               discriminator judges
``source``     a generator's input image (image-to-image, in-painting);     ``(N, C_in, H, W)``
               paired data sets' input image
``mask``       1 inside the region to fill, 0 elsewhere                     ``(N, 1, H, W)``
``exemplar``   another image of the same identity (exemplar conditioning)   ``(N, C, H, W)``
``condition``  what a conditional discriminator sees beside ``image``: the  ``(N, C_cond, H, W)``
               tensor its ``adversarial`` entry names as ``condition``
=============  ===========================================================  ==========================

Discriminators take their inputs in the order of :data:`DISCRIMINATOR_INPUTS` (the ones they
declare): the judged image first, so that penalties (R1, gradient penalty) differentiate with respect
to the first input and pass the rest through unchanged.
"""

from __future__ import annotations

#: Latent noise; the trainer draws it (one draw per step per latent size, shared by the networks).
NOISE = "z"
#: A class index.
LABEL = "label"
#: A real image of a data item; the judged image of a discriminator.
IMAGE = "image"
#: A generator's input image.
SOURCE = "source"
#: The region an in-painting generator fills (1 inside).
MASK = "mask"
#: An image of the same identity as the one to in-paint.
EXEMPLAR = "exemplar"
#: What a conditional discriminator sees beside the image.
CONDITION = "condition"

#: The inputs a discriminator may declare, in the order it takes them.
DISCRIMINATOR_INPUTS = (IMAGE, CONDITION, LABEL)
#: Generator inputs, in order of preference, that a conditional discriminator sees as its condition.
CONDITION_SOURCES = (SOURCE, EXEMPLAR)
#: Generator inputs that need no data: a generator taking only these samples from nothing.
SAMPLING_INPUTS = (NOISE, LABEL)
