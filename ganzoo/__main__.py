"""``python -m ganzoo``: the same as the ``ganzoo`` command."""

from ganzoo.cli import main

raise SystemExit(main())
