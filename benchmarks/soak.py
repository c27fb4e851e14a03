"""A long run of tiny steps: memory must stay flat and the run directory bounded.

Trains a narrow DCGAN for many thousands of steps with frequent checkpoints, samples the process's
resident memory at every logged step, and checks that (1) memory in the last quarter of the run is
within a small margin of memory after warm-up, and (2) the checkpoint folder holds no more than
``train.keep_checkpoints`` files.

Usage::

    python benchmarks/soak.py [--steps 5000]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import Any

from _common import machine, table


def resident_mb() -> float:
    """Current resident memory of this process in MiB."""
    import os

    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=5000)
    parser.add_argument("--margin-mb", type=float, default=50.0, help="allowed growth after warm-up")
    args = parser.parse_args()

    from ganzoo import hookimpl
    from ganzoo.plugins import PluginHost
    from ganzoo.training import Trainer, resolve_run_config

    memory: dict[int, float] = {}

    class Meter:
        @hookimpl
        def ganzoo_step_end(self, run: Any, step: int, losses: dict[str, float]) -> None:
            memory[step] = resident_mb()

    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "run"
        host = PluginHost(third_party=False)
        host.add_plugin(Meter(), "meter")
        config = resolve_run_config([
            "recipe=dcgan", "generator.ngf=4", "discriminator.ndf=4", "train.batch_size=8", f"train.steps={args.steps}",
            "train.log_every=50", "train.checkpoint_every=100", "train.keep_checkpoints=3", "train.sample_every=1000",
            "train.progress=false", "eval.every=0", f"out={out}",
        ])
        Trainer.create(config, host=host).fit()
        checkpoints = sorted(p.name for p in (out / "checkpoints").glob("*.pt"))
        size_mb = sum(p.stat().st_size for p in out.rglob("*") if p.is_file()) / 2**20
    steps = sorted(memory)
    warm = memory[steps[len(steps) // 10]]
    late = max(memory[s] for s in steps[3 * len(steps) // 4 :])
    print(f"machine: {machine()}\n")
    print(table(
        [[str(args.steps), f"{warm:.0f}", f"{late:.0f}", f"{late - warm:+.1f}", str(len(checkpoints)), f"{size_mb:.1f}"]],
        ["steps", "RSS after warm-up MiB", "max RSS, last quarter MiB", "growth MiB", "checkpoints kept", "run directory MiB"],
    ))
    flat = late - warm <= args.margin_mb
    bounded = len(checkpoints) <= 3
    print(f"\nmemory flat (≤ {args.margin_mb:.0f} MiB growth): {'yes' if flat else 'NO'}; checkpoints bounded: {'yes' if bounded else 'NO'}")
    raise SystemExit(0 if flat and bounded else 1)


if __name__ == "__main__":
    main()
