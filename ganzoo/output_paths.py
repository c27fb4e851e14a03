"""Where a command may write what the user asked for: never over a file unless told, never into a run.

``ganzoo sample out=…`` and ``ganzoo build --out …`` write to a path the user names. One typo there
(``out=runs/dcgan/checkpoints/step_00001000.pt``) must not replace a checkpoint with a PNG, so every
such path is checked with :func:`check_new_output` before anything is generated:

* A path inside a run directory is refused, whatever is asked: ganzoo writes into a run only while
  training it. A run directory is a folder holding a ``.ganzoo-run`` marker file, or (for runs
  written before the marker) a ``checkpoints/`` folder beside ``config.yaml``, or one holding
  ``latest`` or ``step_*.pt`` files.
* An existing file that looks like part of a run (a ``*.pt`` checkpoint, ``config.yaml``,
  ``metrics.jsonl``, ``loss_curves.png``, ``latest``, ``best.json``) is never replaced, wherever it is;
  a ``*.pt`` file that ``ganzoo export`` wrote (a TorchScript archive holding its description) is no
  checkpoint, and may be replaced like any other file.
* Any other existing file is replaced only with ``overwrite=true``; a folder where a file is expected
  (or the reverse) is refused.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from ganzoo.errors import ConfigError
from ganzoo.training.run_directory import enclosing_run_directory

RUN_FILES = frozenset({"config.yaml", "metrics.jsonl", "loss_curves.png", "latest", "best.json"})
"""Names of the files a run writes; an existing one is never replaced by another command."""


def check_new_output(
    path: Path,
    *,
    overwrite: bool,
    kind: Literal["file", "folder"] = "file",
    option: str = "out=",
) -> None:
    """Check that writing ``path`` destroys nothing the user did not ask to replace.

    Args:
        path: The file (or folder of files) to write.
        overwrite: Whether an existing file may be replaced (``overwrite=true``); a run's files never are.
        kind: Whether ``path`` names one file, or a folder to write files into (an existing folder is
            fine: check each file written into it separately).
        option: How the command's user names the path, for the messages (``out=``, ``--out``).

    Raises:
        ConfigError: If ``path`` is inside a run directory, is a run's file, is of the wrong kind, lies
            under a file, or is an existing file and ``overwrite`` is false.
    """
    path = Path(path)
    run = enclosing_run_directory(path)
    if run is not None:
        where = "is run directory" if run in (path.absolute(), path.resolve()) else "is inside run directory"
        raise ConfigError(f"'{path}' {where} '{run}': ganzoo never writes into a run; choose {option} elsewhere")
    blocker = next((folder for folder in path.absolute().parents if folder.exists()), None)
    if blocker is not None and not blocker.is_dir():
        raise ConfigError(f"cannot write '{path}': '{blocker}' is a file, not a folder; choose {option} elsewhere")
    if kind == "folder":
        if path.exists() and not path.is_dir():
            raise ConfigError(f"'{path}' is a file; {option} names the folder to write the images into here")
        return
    if path.is_dir():
        raise ConfigError(f"'{path}' is a folder; {option} names the file to write here")
    if not (path.exists() or path.is_symlink()):
        return
    if path.name in RUN_FILES or (path.suffix == ".pt" and not _is_generator_export(path)):
        raise ConfigError(
            f"'{path}' looks like a file of a ganzoo run; ganzoo never replaces one, even with overwrite=true: "
            f"choose {option} elsewhere"
        )
    if not overwrite:
        raise ConfigError(f"'{path}' exists; choose another {option} or add overwrite=true")


def _is_generator_export(path: Path) -> bool:
    """Whether a file is a TorchScript generator written by ``ganzoo export`` (its description inside)."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            return any(name.endswith("/extra/ganzoo.json") for name in archive.namelist())
    except (OSError, zipfile.BadZipFile):
        return False


def parse_overwrite(value: str) -> bool:
    """Read the value of an ``overwrite=`` word.

    Raises:
        ConfigError: If ``value`` is not true or false (yes/no, on/off and 1/0 are accepted too).
    """
    lowered = value.strip().lower()
    if lowered in ("true", "yes", "on", "1"):
        return True
    if lowered in ("false", "no", "off", "0"):
        return False
    raise ConfigError(f"overwrite={value}: overwrite= takes true or false")
