"""Data efficiency: the DCGAN recipe on a tenth of the digits and on all of them, with and without augmentation.

For each training-set size (``--sizes``: digits per class; 50 is 500 digits, 450 all 4,500 training
digits) and each augmentation (``--augment``, repeated: ``none``, ``diffaugment``, ``ada`` by default, each
optionally with settings of its own, ``"ada augment.speed_kimg=100"``), one run of the
``dcgan`` recipe of the same number of steps (``--steps``). The learning-rate decay is set in steps,
so that every run follows the same schedule however short its epochs are: the recipe's decay (constant
for its first 32 of 60 epochs, then linear to 0) scaled to ``--steps``.

Every run is then measured the same way, against the same reference: ``--n`` generated images
against all 4,500 training digits (digits-feature FID, and the ``classes`` measure: how many classes
the generated digits fall in, and how evenly). A run on 500 digits is therefore judged by how well it
learned the whole distribution, not the 500 it saw. The result is a Markdown table with the date and
the machine.

Run on demand (never by the test suite), from this folder::

    python data_efficiency.py --steps 4200                       # the full table (about an hour)
    python data_efficiency.py --steps 1400 --sizes 50 --jobs 2   # the small data set only
    python data_efficiency.py --sizes 50 --augment none --augment "diffaugment augment.policy=translation"
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from _common import machine, measure_digits  # the benchmarks' own helpers (run from this folder)

#: The dcgan recipe's decay: constant for 32 of its 60 epochs, then linear to 0.
DECAY_START = 32 / 60
BATCH = 64


def _words(per_class: int, augment: str, steps: int, out: Path) -> list[str]:
    steps_per_epoch = per_class * 10 // BATCH
    epochs = steps / steps_per_epoch
    start = max(1, round(epochs * DECAY_START))
    words = [
        "recipe=dcgan", f"data.per_class={per_class}", f"train.steps={steps}", "train.progress=false",
        "train.sample_every=0", "train.checkpoint_every=0", "eval.every=0", f"out={out}",
        f"schedule.decay.n_epochs={start}", f"schedule.decay.n_epochs_decay={max(1, round(epochs) - start)}",
    ]
    name, *settings = augment.split()
    return [*words, f"augment={name}", *settings] if name != "none" else words


def _run(per_class: int, augment: str, steps: int, n: int, folder: Path, threads: int) -> dict[str, float]:
    label = augment.replace(" ", "_").replace("=", "-").replace(",", "+")
    out = folder / f"{per_class}-{label}"
    env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    started = time.perf_counter()
    for command in (
        ["train", *_words(per_class, augment, steps, out)],
        ["sample", f"checkpoint={out}", f"n={n}", f"out={out}.npz"],
    ):
        result = subprocess.run([sys.executable, "-m", "ganzoo", "-q", *command], capture_output=True, text=True, env=env, check=False)
        if result.returncode != 0:
            raise SystemExit(f"{' '.join(command[:1])} of {per_class}/{augment} failed: {result.stderr.strip()}")
    seconds = time.perf_counter() - started
    return {**measure_digits(f"{out}.npz"), "seconds": seconds}



def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=4200, help="training steps of every run (default: the recipe's 4,200)")
    parser.add_argument("--sizes", default="50,450", help="digits per class, comma-separated (50: 500 digits; 450: all)")
    parser.add_argument(
        "--augment", action="append", metavar="'NAME [WORDS]'",
        help="an augmentation, with settings of its own: 'diffaugment augment.policy=translation' "
        "(repeat for several; default: none, diffaugment and ada at their defaults)",
    )
    parser.add_argument("--n", type=int, default=1000, help="generated images measured per run")
    parser.add_argument("--jobs", type=int, default=1, help="runs at a time (each on cores / jobs torch threads)")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    augments = args.augment or ["none", "diffaugment", "ada"]
    threads = max(1, (os.cpu_count() or 1) // args.jobs)
    cases = [(size, augment) for size in sizes for augment in augments]
    with tempfile.TemporaryDirectory() as folder, ThreadPoolExecutor(args.jobs) as pool:
        results = dict(zip(cases, pool.map(lambda case: _run(*case, args.steps, args.n, Path(folder), threads), cases)))
    print(f"dcgan, {args.steps} steps of batch {BATCH}, {args.n} generated digits against all 4,500 training digits; {machine()}\n")
    print("| digits | augmentation | digits FID | vs none | classes | smallest class | minutes |")
    print("|---|---|---|---|---|---|---|")
    for size, augment in cases:
        values, base = results[size, augment], results.get((size, "none"))
        change = f"{values['fid'] / base['fid'] - 1:+.0%}" if base and augment != "none" else ""
        augment = augment.replace("augment.", "")
        print(
            f"| {size * 10:,} | {augment} | {values['fid']:.2f} | {change} | {values['classes']:.0f} | "
            f"{values['classes_balance']:.2f} | {values['seconds'] / 60:.1f} |"
        )


if __name__ == "__main__":
    main()
