"""Start-up time of the command line: ``ganzoo list`` must not import torch or any plugin's heavy code.

Usage::

    python benchmarks/startup.py [--repeats 7]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

from _common import machine, median, table

COMMANDS = {
    "ganzoo --help": ["-m", "ganzoo", "--help"],
    "ganzoo list": ["-m", "ganzoo", "list"],
    "ganzoo info unet": ["-m", "ganzoo", "info", "unet"],
    "python -c 'import torch' (for scale)": ["-c", "import torch"],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    env = {**os.environ, "GANZOO_DISABLE_PLUGINS": "1"}
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(args.repeats):
        for name, argv in COMMANDS.items():  # interleaved, so a busy moment hits every command alike
            start = time.perf_counter()
            subprocess.run([sys.executable, *argv], env=env, check=True, capture_output=True)
            times[name].append(time.perf_counter() - start)
    print(f"machine: {machine()}\n")
    print(table([[name, f"{median(t):.2f}", f"{min(t):.2f}"] for name, t in times.items()], ["command", "median s", "best s"]))


if __name__ == "__main__":
    main()
