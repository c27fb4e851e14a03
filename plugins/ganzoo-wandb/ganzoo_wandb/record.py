"""``wandb_run.json``: the W&B run a ganzoo run directory is followed by.

The tracker writes it at the start of every run (atomically, so a killed run never leaves half a
file) and reads it when the run is resumed in the same directory, so that the resumed run logs into
the same W&B run. It is small and human-readable: ``wandb sync`` needs the folder it names.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ganzoo.atomic import atomic_write_text

#: The file's name in the run directory.
RECORD_FILE = "wandb_run.json"

__all__ = ["RECORD_FILE", "read_record", "write_record"]


def read_record(directory: Path) -> dict[str, Any]:
    """The record kept in ``directory``; empty when there is none or it cannot be read.

    An unreadable record (edited by hand, say) is treated as absent: the run then starts a new W&B
    run rather than stopping, and the record is rewritten.
    """
    try:
        record = json.loads((Path(directory) / RECORD_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return record if isinstance(record, dict) and isinstance(record.get("id"), str) else {}


def write_record(directory: Path, record: dict[str, Any]) -> None:
    """Write ``record`` to ``directory/wandb_run.json`` atomically.

    Raises:
        OutputError: If the file cannot be written.
    """
    atomic_write_text(Path(directory) / RECORD_FILE, json.dumps(record, indent=2, sort_keys=True) + "\n")
