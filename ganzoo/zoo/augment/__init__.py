"""The built-in augmentations (kind ``augment``): what a discriminator sees instead of the images.

- :mod:`ganzoo.zoo.augment.diffaugment`: DiffAugment, a fixed policy of colour, translation and
  cutout applied to every image (Zhao et al., NeurIPS 2020);
- :mod:`ganzoo.zoo.augment.ada`: adaptive discriminator augmentation, whose probability follows the
  discriminator's over-fitting (Karras et al., NeurIPS 2020);
- :mod:`ganzoo.zoo.augment.ops`: the per-sample transforms both are made of, in pure PyTorch.

Both implement :class:`ganzoo.contracts.Augment`.
"""
