"""Tables the commands print: aligned columns, cut to the terminal's width only on a terminal."""

from __future__ import annotations

import shutil
import sys


def width() -> int | None:
    """The terminal's width when stdout is a terminal; ``None`` (no limit) when it is piped or redirected."""
    isatty = getattr(sys.stdout, "isatty", None)
    if isatty is None or not isatty():
        return None  # `ganzoo list | grep …` and files get every character
    return max(shutil.get_terminal_size((100, 20)).columns, 60)


def table(rows: list[list[str]], headers: list[str]) -> str:
    """Render rows as aligned columns; on a terminal, the last column is cut to the terminal's width."""
    all_rows = [headers, *rows]
    widths = [max(len(row[i]) for row in all_rows) for i in range(len(headers) - 1)]
    limit = width()
    lines = []
    for row in all_rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths)]
        line = "  ".join([*cells, row[-1]]).rstrip()
        lines.append(line if limit is None or len(line) <= limit else line[: limit - 1] + "…")
    return "\n".join(lines)
