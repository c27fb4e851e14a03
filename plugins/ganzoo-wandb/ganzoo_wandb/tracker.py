"""The ``wandb`` tracker: a ganzoo run followed by one Weights & Biases run.

What is logged, under which name:

* the resolved configuration as the W&B config, nested as ganzoo's is (``generator.ngf``,
  ``train.batch_size`` …), with ``ganzoo.version``, ``ganzoo.plugin_version`` and
  ``ganzoo.run_directory``; the recipe's name is a tag;
* every value of ``metrics.jsonl`` under its own name (``D/…``, ``G/…``, ``lr/…``, ``augment/p``,
  ``eval/fid`` …) with ``ganzoo/step``, the step metric of every chart, so a resumed run's values
  line up with the first part's whatever W&B's own row counter says;
* the sample grids as ``samples`` (a ``wandb.Image``), ``loss_curves.png`` as ``loss_curves`` at the end;
* the best checkpoint (``checkpoints/best.pt``, else the last one) as a ``model`` artifact;
* the end status as the exit code (0 completed or stopped, 1 failed, 255 interrupted) and as
  ``ganzoo/status`` in the summary.

wandb is imported in :meth:`WandbTracker.run_start` only: choosing nothing costs nothing, and
``ganzoo list`` never imports it.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any, Literal

from ganzoo.contracts import Tracker
from ganzoo.training.checkpoint import kept_checkpoint
from ganzoo_wandb.record import RECORD_FILE, read_record, write_record

logger = logging.getLogger(__name__)

#: The step metric every logged value is charted against: ganzoo's step, not W&B's row counter.
STEP_METRIC = "ganzoo/step"
#: The exit code W&B records for each end status (non-zero marks the W&B run failed).
EXIT_CODES = {"completed": 0, "stopped": 0, "failed": 1, "interrupted": 255}

__all__ = ["EXIT_CODES", "STEP_METRIC", "WandbTracker"]


class WandbTracker(Tracker):
    """Follow the run in Weights & Biases: config, logged values, samples, best checkpoint, status.

    Args:
        project: The W&B project; empty: ``WANDB_PROJECT``, else ``ganzoo``.
        entity: The W&B user or team; empty: ``WANDB_ENTITY``, else your default entity.
        mode: ``online``, ``offline`` (written locally, uploaded later with ``wandb sync``) or
            ``disabled``; unset: ``WANDB_MODE``, else ``online``.
        run_name: The W&B run's display name; empty: the run directory's name. (``tracker.name`` is
            the tracker's own name, as ``tracker=wandb`` sets it.)
        group: A W&B group, to show several runs (a sweep, seeds) together.
        job_type: The W&B job type.
        tags: Tags added to the recipe's name.
        notes: A description of the run.
        dir: Where W&B keeps its files (a ``wandb/`` folder is made in it); empty: ``WANDB_DIR``,
            else the run directory.
        id: The W&B run id; empty: the one recorded in the run directory (a resumed run), else a new one.
        log_samples: Log each sample grid as an image.
        log_checkpoints: Log the best checkpoint (else the last) as an artifact when the run ends.
        init_timeout: Seconds to wait for W&B to start a run before the run goes on without it.
        quiet: Keep W&B's own console messages out (ganzoo logs the run's address or folder once).

    Raises:
        ValueError: For a negative or zero ``init_timeout``.
    """

    def __init__(
        self,
        *,
        project: str = "",
        entity: str = "",
        mode: Literal["online", "offline", "disabled"] | None = None,
        run_name: str = "",
        group: str = "",
        job_type: str = "train",
        tags: list[str] | None = None,
        notes: str = "",
        dir: str = "",
        id: str = "",
        log_samples: bool = True,
        log_checkpoints: bool = True,
        init_timeout: float = 30.0,
        quiet: bool = True,
    ) -> None:
        if init_timeout <= 0:
            raise ValueError(f"init_timeout={init_timeout}: give a number of seconds > 0")
        self.project, self.entity, self.mode, self.run_name = project, entity, mode, run_name
        self.group, self.job_type, self.tags, self.notes = group, job_type, list(tags or []), notes
        self.dir, self.id = dir, id
        self.log_samples, self.log_checkpoints = log_samples, log_checkpoints
        self.init_timeout, self.quiet = float(init_timeout), quiet
        #: The W&B run; ``None`` before :meth:`run_start` and when ``mode`` is ``disabled``.
        self.wandb_run: Any = None

    # --- start ------------------------------------------------------------------------------------

    def run_start(self, run: Any) -> None:
        """Start (or, for a resumed run, continue) the W&B run and record its id in the run directory.

        Raises:
            RuntimeError: In online mode without an API key (the message says how to log in).
            OSError: If the W&B folder cannot be written.
        """
        mode = self.mode or os.environ.get("WANDB_MODE") or "online"
        mode = {"dryrun": "offline", "run": "online"}.get(mode, mode)  # W&B's older names, still accepted in WANDB_MODE
        if mode == "disabled":
            return
        import wandb  # here, not at import: ganzoo loads this plugin for every command

        if mode not in ("online", "offline"):
            raise RuntimeError(f"WANDB_MODE={mode!r} is not a mode; set tracker.mode=online|offline|disabled")
        if mode == "online" and not has_credentials():
            raise RuntimeError(
                "no W&B API key: run 'wandb login' (or set WANDB_API_KEY), or train with tracker.mode=offline "
                "and upload later with 'wandb sync'"
            )
        files = self._files_directory(run)
        directory = Path(run.directory)
        recorded = read_record(directory)
        run_id = self.id or recorded.get("id") or None  # None: W&B makes a new one
        elsewhere = int(run.step) > 0 and not recorded and getattr(run, "new_directory", False)
        try:
            self.wandb_run = self._init(wandb, mode, run, files, run_id, elsewhere)
        except Exception as error:
            # W&B's own messages span lines and name its Python settings; say it in ganzoo's words.
            cause = (str(error).strip().splitlines() or [type(error).__name__])[0]
            raise RuntimeError(
                f"W&B could not start the run ({cause}); check the connection, allow longer with "
                f"tracker.init_timeout (now {self.init_timeout:g} s), or train with tracker.mode=offline"
            ) from error
        self.wandb_run.define_metric(STEP_METRIC)
        self.wandb_run.define_metric("*", step_metric=STEP_METRIC)
        write_record(directory, {
            "id": self.wandb_run.id, "project": self.wandb_run.project, "entity": self.wandb_run.entity or "",
            "mode": mode, "url": self._url(mode), "folder": str(Path(self.wandb_run.dir).parent),
        })
        self._announce(mode, run)

    def _init(self, wandb: Any, mode: str, run: Any, files: Path, run_id: str | None, elsewhere: bool) -> Any:
        directory = Path(run.directory)
        return wandb.init(
            project=self.project or os.environ.get("WANDB_PROJECT") or "ganzoo",
            entity=self.entity or None,
            name=self.run_name or directory.name,
            group=self.group or None,
            job_type=self.job_type or None,
            tags=self._tags(run),
            notes=self.notes or None,
            dir=str(files),
            id=run_id,
            # "allow": the same id continues the W&B run, and one never uploaded (offline) starts afresh.
            resume="allow" if run_id else None,
            mode=mode,
            config=self._config(run, elsewhere),
            allow_val_change=True,  # a resume may change train.* and tracker.* settings
            reinit="create_new",  # several ganzoo runs in one process (a sweep) each get their own
            settings=wandb.Settings(init_timeout=self.init_timeout, silent=self.quiet),
        )

    def _files_directory(self, run: Any) -> Path:
        """Where the ``wandb/`` folder goes, made and checked here: W&B itself would fall back to a temporary folder."""
        chosen = self.dir or os.environ.get("WANDB_DIR") or str(run.directory)
        path = Path(chosen).expanduser()
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise OSError(f"cannot make the W&B folder '{path}': {error.strerror or error}; choose another with tracker.dir=DIR") from None
        if not os.access(path, os.W_OK):
            raise OSError(f"the W&B folder '{path}' is not writable; choose another with tracker.dir=DIR")
        return path

    def _tags(self, run: Any) -> list[str]:
        recipe = run.config.get("recipe")
        tags = ([Path(str(recipe)).stem] if recipe else []) + self.tags
        return list(dict.fromkeys(tag[:64] for tag in tags if tag))  # W&B refuses tags over 64 characters

    def _config(self, run: Any, elsewhere: bool) -> dict[str, Any]:
        from ganzoo import __version__ as ganzoo_version
        from ganzoo_wandb import __version__

        # Through JSON: tuples become lists and anything exotic its text, as W&B stores it anyway.
        config = json.loads(json.dumps(run.config, default=str))
        config["ganzoo"] = {"version": ganzoo_version, "plugin_version": __version__, "run_directory": str(run.directory)}
        if elsewhere:
            config["ganzoo"]["resumed_at_step"] = int(run.step)
        return config

    def _announce(self, mode: str, run: Any) -> None:
        folder = Path(self.wandb_run.dir).parent
        if mode == "offline":
            logger.info("W&B offline run %s in %s; upload it with: wandb sync %s", self.wandb_run.id, folder, folder)
        else:
            logger.info("W&B run %s: %s (id kept in %s)", self.wandb_run.id, self._url(mode), Path(run.directory) / RECORD_FILE)

    def _url(self, mode: str) -> str:
        return (self.wandb_run.url or "") if mode == "online" else ""  # asking an offline run warns

    # --- during the run ---------------------------------------------------------------------------

    def step_end(self, run: Any, step: int, losses: dict[str, float]) -> None:
        """Log the values of ``metrics.jsonl`` at ``step``."""
        if self.wandb_run is not None:
            self.wandb_run.log({STEP_METRIC: int(step), **{key: float(value) for key, value in losses.items()}})

    def samples_written(self, run: Any, step: int, path: Path) -> None:
        """Log the sample grid as ``samples``."""
        if self.wandb_run is not None and self.log_samples:
            import wandb

            self.wandb_run.log({STEP_METRIC: int(step), "samples": wandb.Image(str(path), caption=f"step {step}")})

    # --- end --------------------------------------------------------------------------------------

    def run_end(self, run: Any, status: str) -> None:
        """Log the loss curves and the best checkpoint, record the status, and finish the W&B run."""
        if self.wandb_run is None:
            return
        import wandb

        wandb_run, self.wandb_run = self.wandb_run, None
        try:
            directory = Path(run.directory)
            curves = directory / "loss_curves.png"
            if curves.is_file():
                wandb_run.log({STEP_METRIC: int(run.step), "loss_curves": wandb.Image(str(curves))})
            checkpoint = kept_checkpoint(directory)
            if self.log_checkpoints and checkpoint is not None and status != "failed":
                artifact = wandb.Artifact(
                    f"model-{wandb_run.id}", type="model",
                    metadata={"step": int(run.step), "status": status, "recipe": str(run.config.get("recipe") or ""), "file": checkpoint.name},
                )
                artifact.add_file(str(checkpoint), name=checkpoint.name)
                aliases = ["best" if checkpoint.name == "best.pt" else "last", f"step-{int(run.step)}"]
                wandb_run.log_artifact(artifact, aliases=aliases)
            wandb_run.summary["ganzoo/status"] = status
            wandb_run.summary["ganzoo/steps"] = int(run.step)
        finally:
            wandb_run.finish(exit_code=EXIT_CODES.get(status, 1))


def has_credentials() -> bool:
    """Whether W&B has an API key for its server, found without prompting or writing anything.

    ``wandb.login(prompt=False)`` would answer too, but it says no whenever ``WANDB_MODE`` is
    offline and it saves the server's address in W&B's settings file; this asks W&B's own lookup
    (environment, ``.netrc``, settings) directly, falling back on the environment and ``.netrc``.
    """
    host = os.environ.get("WANDB_BASE_URL") or "https://api.wandb.ai"
    try:
        from wandb.sdk.lib.wbauth import authenticate_session
    except ImportError:  # a wandb without this module: look where it would
        import netrc
        from urllib.parse import urlparse

        try:
            found = netrc.netrc(os.environ.get("NETRC")).authenticators(urlparse(host).hostname or host)
        except (OSError, netrc.NetrcParseError):
            found = None
        return bool(os.environ.get("WANDB_API_KEY") or found)
    return authenticate_session(host=host, source="ganzoo", prompt=False, update_session=False) is not None

