"""Reading back what W&B wrote for an offline run: the records of its ``run-ID.wandb`` file.

The file is W&B's transaction log: a 7-byte header (``:W&B``, a magic number, a version), then
32 KiB blocks of records, each led by a checksum, a length and a type (whole, first, middle or last
part of a record spanning blocks), each record a ``wandb.proto.wandb_internal_pb2.Record``. wandb
0.31 ships no Python reader for it (``wandb sync`` reads it in its Go core), so this one is here.
"""

from __future__ import annotations

import json
import struct
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wandb.proto import wandb_internal_pb2

BLOCK = 32 * 1024
HEADER = 7
FULL, FIRST, MIDDLE, LAST = 1, 2, 3, 4


def records(path: Path) -> list[Any]:
    """Every record of a ``.wandb`` file, in order."""
    data = Path(path).read_bytes()
    ident, _magic, version = struct.unpack("<4sHB", data[:HEADER])
    assert ident == b":W&B" and version == 0, f"{path} is not a W&B transaction log"
    found, pending, position = [], b"", HEADER
    while position + HEADER <= len(data):
        left = BLOCK - position % BLOCK
        if left < HEADER:  # a block's tail too short for a record header is padding
            position += left
            continue
        _checksum, length, kind = struct.unpack("<IHB", data[position : position + HEADER])
        if kind == 0:  # zero padding up to the end of the block
            position += left
            continue
        chunk = data[position + HEADER : position + HEADER + length]
        position += HEADER + length
        pending = chunk if kind in (FULL, FIRST) else pending + chunk
        if kind in (FULL, LAST):
            record = wandb_internal_pb2.Record()
            record.ParseFromString(pending)
            found.append(record)
    return found


def _items(items: Any) -> dict[str, Any]:
    """``{"D/adversarial": 0.7, "samples": {"path": ...}}`` from history, summary or config items."""
    result: dict[str, Any] = {}
    for item in items:
        keys = list(item.nested_key) or [item.key]
        target = result
        for key in keys[:-1]:
            target = target.setdefault(key, {})
        target[keys[-1]] = json.loads(item.value_json)
    return result


@dataclass
class OfflineRun:
    """What one offline run folder holds: its id, config, tags, history rows, summary, artifacts, exit code."""

    folder: Path
    id: str = ""
    project: str = ""
    name: str = ""
    tags: list[str] = field(default_factory=list)
    config: dict[str, Any] = field(default_factory=dict)
    history: list[dict[str, Any]] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)
    artifacts: list[Any] = field(default_factory=list)
    step_metrics: dict[str, str] = field(default_factory=dict)
    exit_code: int | None = None

    def rows_with(self, key: str) -> list[dict[str, Any]]:
        return [row for row in self.history if key in row]


def finished_records(log: Path, timeout: float = 20.0) -> list[Any]:
    """The records of ``log`` once its ``exit`` record is written.

    W&B's service writes the log in the background: ``finish()`` may return before the file holds
    its last records, so the reader waits for them (a truncated record may even parse as a shorter one).
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            found = records(log)
        except Exception:  # noqa: BLE001  (a record being written)
            found = []
        if any(record.WhichOneof("record_type") == "exit" for record in found) or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def read_offline_run(folder: Path) -> OfflineRun:
    """Read ``folder`` (``.../wandb/offline-run-DATE-ID``) once W&B has written all of it."""
    (log,) = Path(folder).glob("run-*.wandb")
    run = OfflineRun(folder=Path(folder))
    for record in finished_records(log):
        kind = record.WhichOneof("record_type")
        if kind == "run":
            run.id, run.project, run.name = record.run.run_id, record.run.project, record.run.display_name
            run.tags = list(record.run.tags)
            run.config.update(_items(record.run.config.update))
        elif kind == "config":
            run.config.update(_items(record.config.update))
        elif kind == "history":
            run.history.append(_items(record.history.item))
        elif kind == "summary":
            run.summary.update(_items(record.summary.update))
        elif kind == "artifact":
            run.artifacts.append(record.artifact)
        elif kind == "metric":
            run.step_metrics[record.metric.name or record.metric.glob_name] = record.metric.step_metric
        elif kind == "exit":
            run.exit_code = record.exit.exit_code
    return run


def offline_runs(directory: Path) -> list[OfflineRun]:
    """Every offline run under ``directory/wandb``, oldest first."""
    return [read_offline_run(folder) for folder in sorted(Path(directory, "wandb").glob("offline-run-*"))]
