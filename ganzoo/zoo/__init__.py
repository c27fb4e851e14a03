"""The built-in zoo: ganzoo's own plugin.

This module is named by the ``ganzoo`` entry point in ganzoo's ``pyproject.toml`` and registers every
built-in part through :func:`~ganzoo.hookspecs.ganzoo_register_parts`, exactly as a third-party plugin
does. The parts live in one module per family:

- :mod:`ganzoo.zoo.generators` and :mod:`ganzoo.zoo.discriminators`: the networks;
- :mod:`ganzoo.zoo.losses`: adversarial losses, penalties and reconstruction losses;
- :mod:`ganzoo.zoo.schedules`: update order and ratio, learning-rate policies, weight averaging;
- :mod:`ganzoo.data`: the built-in digits tasks and the on-disk formats;
- :mod:`ganzoo.zoo.layers`: building blocks the networks share (norms, initialisation).
"""

from __future__ import annotations

from ganzoo.hookspecs import Register, hookimpl


@hookimpl
def ganzoo_register_parts(register: Register) -> None:
    """Register the built-in generators, discriminators, losses, schedules and data sets."""
    from ganzoo import data
    from ganzoo.zoo import discriminators as d
    from ganzoo.zoo import generators as g
    from ganzoo.zoo import losses, schedules

    register("generator", "mlp", g.MLPGenerator, tags=["unconditional"])
    register("generator", "dcgan", g.DCGANGenerator, tags=["unconditional"])
    register("generator", "cdcgan", g.ConditionalDCGANGenerator, tags=["class-conditional"])
    register("generator", "unet", g.UNetGenerator, tags=["image-to-image"])
    register("generator", "resnet", g.ResnetGenerator, tags=["image-to-image"])
    register("generator", "exgan", g.ExemplarInpaintingGenerator, tags=["exemplar-conditional", "in-painting"])

    register("discriminator", "mlp", d.MLPDiscriminator, tags=["unconditional"])
    register("discriminator", "dcgan", d.DCGANDiscriminator, tags=["unconditional", "conditional"])
    register("discriminator", "patchgan", d.PatchGANDiscriminator, tags=["patch", "conditional"])
    register("discriminator", "multiscale_patchgan", d.MultiScalePatchGANDiscriminator, tags=["patch", "multi-scale", "conditional"])
    register("discriminator", "projection", d.ProjectionDiscriminator, tags=["class-conditional"])
    register("discriminator", "timm", d.TimmDiscriminator, tags=["backbone", "conditional"])

    register("loss", "bce", losses.BCEGANLoss, tags=["adversarial"])
    register("loss", "nonsaturating", losses.NonSaturatingGANLoss, tags=["adversarial"])
    register("loss", "lsgan", losses.LSGANLoss, tags=["adversarial"])
    register("loss", "hinge", losses.HingeGANLoss, tags=["adversarial"])
    register("loss", "wgan", losses.WGANLoss, tags=["adversarial"])
    register("loss", "gradient_penalty", losses.GradientPenalty, tags=["penalty"])
    register("loss", "r1", losses.R1Penalty, tags=["penalty"])
    register("loss", "l1", losses.L1ReconstructionLoss, tags=["reconstruction"])
    register("loss", "cycle", losses.CycleConsistencyLoss, tags=["reconstruction"])
    register("loss", "identity", losses.IdentityLoss, tags=["reconstruction"])
    register("loss", "code", losses.CodeLoss, tags=["reconstruction", "perceptual"])

    register("schedule", "alternating", schedules.AlternatingSchedule, tags=["update-order"])
    register("schedule", "ttur", schedules.TTURSchedule, tags=["learning-rate"])
    register("schedule", "linear_decay", schedules.LinearDecaySchedule, tags=["learning-rate"])
    register("schedule", "ema", schedules.EMASchedule, tags=["weight-averaging"])

    register("dataset", "digits", data.Digits, tags=["built-in", "labels"])
    register("dataset", "edges2digits", data.EdgesToDigits, tags=["built-in", "paired"])
    register("dataset", "digits_unpaired", data.UnpairedDigits, tags=["built-in", "unpaired"])
    register("dataset", "digits_inpainting", data.DigitsInpainting, tags=["built-in", "exemplar"])
    register("dataset", "torchvision", data.TorchvisionDataset, tags=["download-on-request", "labels"])
    register("dataset", "image_folder", data.ImageFolder, tags=["folder", "labels"])
    register("dataset", "aligned", data.AlignedFolder, tags=["folder", "paired"])
    register("dataset", "unaligned", data.UnalignedFolder, tags=["folder", "unpaired"])
    register("dataset", "exemplar_folder", data.ExemplarFolder, tags=["folder", "exemplar"])
