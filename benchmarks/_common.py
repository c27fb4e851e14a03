"""Shared helpers of the benchmarks: machine description, child processes, both sides of a step, tables."""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def machine() -> str:
    """One line naming the date, CPU, core count, Python and torch versions."""
    import torch

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    gpu = f", GPU {torch.cuda.get_device_name()}" if torch.cuda.is_available() else ", no GPU"
    return f"{date.today()}, {cpu}, {os.cpu_count()} cores{gpu}, Python {platform.python_version()}, torch {torch.__version__}"


#: One measurement at a time: runs of a benchmark may finish in worker threads, sharing this process's torch.
_MEASURING = threading.Lock()


def measure_digits(samples: str) -> dict[str, float]:
    """Digits-feature FID and ``classes`` of generated digits (a ``.npz``) against all 4,500 training digits."""
    from ganzoo.metrics.compare import evaluate_images
    from ganzoo.metrics.image_sets import open_image_set

    with _MEASURING:
        fake = open_image_set(samples, {}, side="fake")
        real = open_image_set("digits", {}, side="real")
        return evaluate_images(fake, real, metrics=["fid", "classes"], features="digits").values


def run_child(script: str, *args: str, timeout: float = 1800) -> dict[str, Any]:
    """Run ``script --child ARGS`` in a fresh process and return the JSON it prints last."""
    result = subprocess.run(  # noqa: PLW1510  (the return code is checked below)
        [sys.executable, str(HERE / script), "--child", *args], capture_output=True, text=True, timeout=timeout
    )
    if result.returncode != 0:
        raise RuntimeError(f"{script} {' '.join(args)} failed:\n{result.stderr[-4000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


class StepClock:
    """A ganzoo plugin noting the time at each logged step (``train.log_every``), for rates.

    Attributes:
        stamps: ``perf_counter()`` by step number.
    """

    def __init__(self) -> None:
        self.stamps: dict[int, float] = {}

    def rate(self, warmup: int, per_step: float = 1.0) -> float:
        """Steps (times ``per_step``) per second from the first logged step at or after ``warmup`` to the last."""
        first, last = min(s for s in self.stamps if s >= warmup), max(self.stamps)
        return (last - first) * per_step / (self.stamps[last] - self.stamps[first])

    def plugin(self) -> Any:
        """The object to register with :meth:`ganzoo.plugins.PluginHost.add_plugin`."""
        from ganzoo import hookimpl

        stamps = self.stamps

        class _Hooks:
            @hookimpl
            def ganzoo_step_end(self, run: Any, step: int, losses: dict[str, float]) -> None:
                stamps[step] = time.perf_counter()

        return _Hooks()


@contextmanager
def side_by_side(recipe: str, words: list[str], steps: int) -> Iterator[dict[str, Callable[[int], None]]]:
    """The trainer's step and the hand-written loop's, over the same networks' copies and batches.

    Builds a ganzoo run of ``recipe`` (with ``words`` added) and a :class:`plain_loops.PlainLoop`
    beside it, and takes ``steps`` batches from the run's loader up front, so that data loading is
    no part of what is measured.

    Yields:
        ``{"ganzoo": step, "hand-written": step}``, each taking a step number below ``steps`` and
        training on that step's batch.
    """
    from itertools import islice

    from plain_loops import PlainLoop

    from ganzoo.training import Trainer, resolve_run_config

    with tempfile.TemporaryDirectory() as folder:
        trainer = Trainer.create(resolve_run_config([f"recipe={recipe}", f"out={folder}/run", "train.epochs=0", f"train.steps={steps}", *words]))
        loop = PlainLoop.beside(recipe, trainer)
        batches = list(islice(iter(trainer.loader), steps))

        def ganzoo_step(index: int) -> None:
            trainer.step = index
            trainer.train_step(batches[index])

        def hand_written_step(index: int) -> None:
            loop.step(batches[index], index)

        yield {"ganzoo": ganzoo_step, "hand-written": hand_written_step}


def peak_rss_mb() -> float:
    """This process's peak resident memory in MiB."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def median(values: list[float]) -> float:
    """The median (the benchmarks alternate variants and repeat them to damp noise)."""
    return statistics.median(values)


def table(rows: list[list[str]], headers: list[str]) -> str:
    """A Markdown table."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)
