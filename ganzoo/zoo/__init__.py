"""The built-in zoo: ganzoo's own plugin.

This module is named by the ``ganzoo`` entry point in ganzoo's ``pyproject.toml`` and registers every
built-in part through :func:`~ganzoo.hookspecs.ganzoo_register_parts`, exactly as a third-party plugin
does, and its parts implement the same :mod:`ganzoo.contracts`. The parts live in one module per
family:

- :mod:`ganzoo.zoo.generators` and :mod:`ganzoo.zoo.discriminators`: the networks;
- :mod:`ganzoo.zoo.losses`: adversarial losses, penalties and reconstruction losses;
- :mod:`ganzoo.zoo.regularisers`: the R2 and LeCam regularisers of the discriminator;
- :mod:`ganzoo.zoo.schedules`: update order and ratio, learning-rate policies, weight averaging;
- :mod:`ganzoo.zoo.augment`: augmentations of what the discriminators see (DiffAugment, ADA);
- :mod:`ganzoo.data`: the built-in digits tasks and the on-disk formats;
- :mod:`ganzoo.metrics.features` and :mod:`ganzoo.metrics.measures`: feature extractors and measures;
- :mod:`ganzoo.zoo.layers`: building blocks the networks share (norms, initialisation, self-attention);
- :mod:`ganzoo.zoo.r3gan_layers`: the blocks of R3GAN's normalisation-free ResNet;
- ``ganzoo/recipes/*.yaml``: the recipes, registered as data files of the package.
"""

from __future__ import annotations

from ganzoo.hookspecs import Register, hookimpl


@hookimpl
def ganzoo_register_parts(register: Register) -> None:
    """Register the built-in generators, discriminators, losses, schedules, augmentations, data sets, features, metrics and recipes."""
    # Factories are named by "module:class" so that nothing heavy is imported until a part is used.
    register("generator", "mlp", "ganzoo.zoo.generators.mlp:MLPGenerator", tags=["unconditional"])
    register("generator", "dcgan", "ganzoo.zoo.generators.dcgan:DCGANGenerator", tags=["unconditional"])
    register("generator", "cdcgan", "ganzoo.zoo.generators.conditional:ConditionalDCGANGenerator", tags=["class-conditional"])
    register("generator", "unet", "ganzoo.zoo.generators.unet:UNetGenerator", tags=["image-to-image"])
    register("generator", "resnet", "ganzoo.zoo.generators.resnet:ResnetGenerator", tags=["image-to-image"])
    register("generator", "sngan", "ganzoo.zoo.generators.sngan:SNGANGenerator", tags=["unconditional", "resnet"])
    register("generator", "r3gan", "ganzoo.zoo.generators.r3gan:R3GANGenerator", tags=["unconditional", "resnet"])
    register("generator", "exgan", "ganzoo.zoo.generators.exemplar:ExemplarInpaintingGenerator", tags=["exemplar-conditional", "in-painting"])

    register("discriminator", "mlp", "ganzoo.zoo.discriminators.mlp:MLPDiscriminator", tags=["unconditional"])
    register("discriminator", "dcgan", "ganzoo.zoo.discriminators.dcgan:DCGANDiscriminator", tags=["unconditional", "conditional"])
    register("discriminator", "patchgan", "ganzoo.zoo.discriminators.patchgan:PatchGANDiscriminator", tags=["patch", "conditional"])
    register("discriminator", "multiscale_patchgan", "ganzoo.zoo.discriminators.patchgan:MultiScalePatchGANDiscriminator", tags=["patch", "multi-scale", "conditional"])
    register("discriminator", "projection", "ganzoo.zoo.discriminators.projection:ProjectionDiscriminator", tags=["class-conditional"])
    register("discriminator", "sngan", "ganzoo.zoo.discriminators.sngan:SNGANDiscriminator", tags=["resnet", "spectral-norm", "conditional"])
    register("discriminator", "r3gan", "ganzoo.zoo.discriminators.r3gan:R3GANDiscriminator", tags=["resnet", "conditional"])
    register("discriminator", "timm", "ganzoo.zoo.discriminators.backbone:TimmDiscriminator", tags=["backbone", "conditional"])

    register("loss", "bce", "ganzoo.zoo.losses:BCEGANLoss", tags=["adversarial"])
    register("loss", "nonsaturating", "ganzoo.zoo.losses:NonSaturatingGANLoss", tags=["adversarial"])
    register("loss", "lsgan", "ganzoo.zoo.losses:LSGANLoss", tags=["adversarial"])
    register("loss", "hinge", "ganzoo.zoo.losses:HingeGANLoss", tags=["adversarial"])
    register("loss", "wgan", "ganzoo.zoo.losses:WGANLoss", tags=["adversarial"])
    register("loss", "relativistic", "ganzoo.zoo.losses:RelativisticPairingLoss", tags=["adversarial", "relativistic"])
    register("loss", "relativistic_average", "ganzoo.zoo.losses:RelativisticAverageLoss", tags=["adversarial", "relativistic"])
    register("loss", "gradient_penalty", "ganzoo.zoo.losses:GradientPenalty", tags=["penalty"])
    register("loss", "r1", "ganzoo.zoo.losses:R1Penalty", tags=["penalty"])
    register("loss", "r2", "ganzoo.zoo.regularisers:R2Penalty", tags=["penalty"])
    register("loss", "lecam", "ganzoo.zoo.regularisers:LeCamRegulariser", tags=["penalty", "stateful"])
    register("loss", "l1", "ganzoo.zoo.losses:L1ReconstructionLoss", tags=["reconstruction"])
    register("loss", "cycle", "ganzoo.zoo.losses:CycleConsistencyLoss", tags=["reconstruction"])
    register("loss", "identity", "ganzoo.zoo.losses:IdentityLoss", tags=["reconstruction"])
    register("loss", "code", "ganzoo.zoo.losses:CodeLoss", tags=["reconstruction", "perceptual"])

    register("schedule", "alternating", "ganzoo.zoo.schedules:AlternatingSchedule", tags=["update-order"])
    register("schedule", "ttur", "ganzoo.zoo.schedules:TTURSchedule", tags=["learning-rate"])
    register("schedule", "linear_decay", "ganzoo.zoo.schedules:LinearDecaySchedule", tags=["learning-rate"])
    register("schedule", "warmup", "ganzoo.zoo.schedules:WarmupSchedule", tags=["learning-rate", "per-step"])
    register("schedule", "cosine", "ganzoo.zoo.schedules:CosineSchedule", tags=["learning-rate", "per-step"])
    register("schedule", "ema", "ganzoo.zoo.schedules:EMASchedule", tags=["weight-averaging"])

    register("augment", "diffaugment", "ganzoo.zoo.augment.diffaugment:DiffAugment", tags=["data-efficient", "differentiable"])
    register("augment", "ada", "ganzoo.zoo.augment.ada:AdaptiveAugment", tags=["data-efficient", "adaptive"])

    register("dataset", "digits", "ganzoo.data.digits:Digits", tags=["built-in", "labels"])
    register("dataset", "edges2digits", "ganzoo.data.digits:EdgesToDigits", tags=["built-in", "paired"])
    register("dataset", "digits_unpaired", "ganzoo.data.digits:UnpairedDigits", tags=["built-in", "unpaired"])
    register("dataset", "digits_inpainting", "ganzoo.data.digits:DigitsInpainting", tags=["built-in", "exemplar"])
    register("dataset", "torchvision", "ganzoo.data.torchvision_sets:TorchvisionDataset", tags=["download-on-request", "labels"])
    register("dataset", "image_folder", "ganzoo.data.folders:ImageFolder", tags=["folder", "labels"])
    register("dataset", "aligned", "ganzoo.data.folders:AlignedFolder", tags=["folder", "paired"])
    register("dataset", "unaligned", "ganzoo.data.folders:UnalignedFolder", tags=["folder", "unpaired"])
    register("dataset", "exemplar_folder", "ganzoo.data.exemplar:ExemplarFolder", tags=["folder", "exemplar"])

    register("features", "digits", "ganzoo.metrics.features:DigitsFeatures", tags=["built-in", "digits"])
    register("features", "inception", "ganzoo.metrics.features:InceptionFeatures", tags=["download-on-request", "comparable"])
    register("metric", "fid", "ganzoo.metrics.measures:FrechetDistance", tags=["distribution", "lower-is-better"])
    register("metric", "kid", "ganzoo.metrics.measures:KernelDistance", tags=["distribution", "lower-is-better"])
    register("metric", "is", "ganzoo.metrics.measures:InceptionScore", tags=["samples", "higher-is-better"])
    register("metric", "classes", "ganzoo.metrics.measures:ClassCoverage", tags=["samples", "higher-is-better"])
    register("metric", "precision", "ganzoo.metrics.manifold:Precision", tags=["distribution", "fidelity", "higher-is-better"])
    register("metric", "recall", "ganzoo.metrics.manifold:Recall", tags=["distribution", "diversity", "higher-is-better"])
    register("metric", "density", "ganzoo.metrics.manifold:Density", tags=["distribution", "fidelity", "higher-is-better"])
    register("metric", "coverage", "ganzoo.metrics.manifold:Coverage", tags=["distribution", "diversity", "higher-is-better"])
    register("metric", "l1", "ganzoo.metrics.measures:L1Distance", tags=["paired", "lower-is-better"])
    register("metric", "psnr", "ganzoo.metrics.measures:PeakSignalToNoise", tags=["paired", "higher-is-better"])
    register("metric", "ssim", "ganzoo.metrics.measures:StructuralSimilarity", tags=["paired", "higher-is-better"])

    # Recipes are data: YAML files of this package, read when a run or `ganzoo recipes` asks.
    register("recipe", "vanilla", "ganzoo:recipes/vanilla.yaml", tags=["unconditional"])
    register("recipe", "dcgan", "ganzoo:recipes/dcgan.yaml", tags=["unconditional"])
    register("recipe", "cgan", "ganzoo:recipes/cgan.yaml", tags=["class-conditional"])
    register("recipe", "wgan-gp", "ganzoo:recipes/wgan-gp.yaml", tags=["unconditional"])
    register("recipe", "pix2pix", "ganzoo:recipes/pix2pix.yaml", tags=["image-to-image", "paired"])
    register("recipe", "cyclegan", "ganzoo:recipes/cyclegan.yaml", tags=["image-to-image", "unpaired"])
    register("recipe", "sngan", "ganzoo:recipes/sngan.yaml", tags=["unconditional"])
    register("recipe", "r3gan", "ganzoo:recipes/r3gan.yaml", tags=["unconditional"])
    register("recipe", "exgan", "ganzoo:recipes/exgan.yaml", tags=["exemplar-conditional", "in-painting"])
