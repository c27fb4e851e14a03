"""An example ganzoo plugin: a generator, a discriminator, a loss, two schedules, a recipe and a command.

The parts live in :mod:`ganzoo_example.parts` and the recipe in ``recipes/``;
:mod:`ganzoo_example.plugin` registers them, adds the command and follows training through ganzoo's
lifecycle hooks. Keep this module light: ganzoo imports it when it reads the recipe's file.
"""

__version__ = "0.1.0"
