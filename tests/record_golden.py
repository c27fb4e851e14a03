"""Records the first steps' losses of every recipe (tests/data/golden_losses.json) and a small checkpoint.

Run once, from a known-good state, with ``python tests/record_golden.py``; ``test_golden.py`` then checks
that every change to the trainer keeps the same numbers and still resumes the recorded checkpoint.
``python tests/record_golden.py RECIPE ...`` records only the named (new) recipes, adding them to the
file and leaving every other recipe's numbers and the checkpoint as they are.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

from test_golden import GOLDEN, LEGACY, golden_words, run_losses

from ganzoo.cli import main
from ganzoo.training import recipe_names


def record(only: list[str] | None = None) -> None:
    losses = json.loads(GOLDEN.read_text()) if only else {}
    for recipe in only or recipe_names():
        with tempfile.TemporaryDirectory() as folder:
            losses[recipe] = run_losses(recipe, Path(folder) / "run")
    GOLDEN.write_text(json.dumps(losses, indent=1, sort_keys=True) + "\n")
    if only:
        return
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "run"
        assert main(["-q", "train", *golden_words("dcgan", out), "train.steps=2"]) == 0
        LEGACY.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(out / "checkpoints" / "step_00000002.pt", LEGACY)


if __name__ == "__main__":
    record(sys.argv[1:])
