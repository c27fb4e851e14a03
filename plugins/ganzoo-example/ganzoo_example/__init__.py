"""An example ganzoo plugin: a generator, a discriminator, a loss and a schedule.

The parts live in :mod:`ganzoo_example.parts`; :mod:`ganzoo_example.plugin` registers them and follows
training through ganzoo's lifecycle hooks.
"""

__version__ = "0.1.0"
