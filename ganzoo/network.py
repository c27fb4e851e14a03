"""Where :class:`~ganzoo.contracts.GanNetwork` used to live; plugins that import it from here keep working.

The class is defined, and documented, in :mod:`ganzoo.contracts.network`; new code imports it as
``from ganzoo.contracts import GanNetwork``.
"""

from ganzoo.contracts.network import GanNetwork  # noqa: F401  (re-exported for existing plugins)
