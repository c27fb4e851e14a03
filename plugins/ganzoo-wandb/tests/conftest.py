"""Every test runs W&B offline, with its files, caches and credentials inside a temporary folder.

Nothing reaches the network, ``~/.config/wandb``, ``~/.netrc`` or the current directory. W&B's
service process starts once per session (it is slow to start) and is stopped at the end.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

#: W&B's environment variables that would make a test depend on the machine it runs on.
MACHINE_VARIABLES = (
    "WANDB_API_KEY", "WANDB_IDENTITY_TOKEN_FILE", "WANDB_BASE_URL", "WANDB_DIR", "WANDB_PROJECT", "WANDB_ENTITY",
    "WANDB_RUN_ID", "WANDB_RESUME", "WANDB_NAME", "WANDB_TAGS", "WANDB_RUN_GROUP", "WANDB_SILENT", "WANDB_CONSOLE",
)


@pytest.fixture(scope="session", autouse=True)
def wandb_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """W&B's configuration, cache, staging and netrc in a session folder; offline mode."""
    home = tmp_path_factory.mktemp("wandb-home")
    with pytest.MonkeyPatch.context() as patch:
        for variable in MACHINE_VARIABLES:
            patch.delenv(variable, raising=False)
        patch.setenv("WANDB_MODE", "offline")
        patch.setenv("WANDB_CONFIG_DIR", str(home / "config"))
        patch.setenv("WANDB_CACHE_DIR", str(home / "cache"))
        patch.setenv("WANDB_DATA_DIR", str(home / "data"))
        patch.setenv("WANDB_ARTIFACT_DIR", str(home / "artifacts"))
        patch.setenv("NETRC", str(home / "netrc"))  # absent: no credentials
        patch.setenv("WANDB_DISABLE_GIT", "true")
        patch.setenv("WANDB_DISABLE_CODE", "true")
        yield home
        import wandb

        wandb.teardown()


@pytest.fixture(autouse=True)
def _in_an_empty_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test runs in an empty current directory, which the tests check stays empty."""
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    return cwd
