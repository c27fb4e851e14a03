"""The ``mlflow`` tracker: one ganzoo run followed as one MLflow run.

At the start it finds (or creates) the experiment, starts an MLflow run, or continues the one the
run directory records in :data:`RECORD_FILE`, and logs the resolved configuration as parameters
with dotted names, tags and ``config.yaml``. Logged values become metrics at their step, gathered
and sent in batches; sample grids, ``loss_curves.png`` and one checkpoint become artifacts; the end
status becomes the MLflow run's.

Every failure of MLflow (an unreachable server, a misconfigured store) is raised from the method
that met it, so that ganzoo reports it in one warning and trains on without the tracker. For an
HTTP store the tracker bounds MLflow's retries and timeouts (``http_retries``, ``http_timeout``)
while it calls MLflow, so that an unreachable server fails within seconds rather than minutes.
"""

from __future__ import annotations

import getpass
import json
import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

from ganzoo.atomic import atomic_write_text
from ganzoo.contracts import Tracker
from ganzoo.training.checkpoint import kept_checkpoint
from ganzoo_mlflow import names

#: The file in the run directory that records the MLflow run a resume continues.
RECORD_FILE = "mlflow.json"
#: The default store: a SQLite database in the folder that holds the run directory.
DEFAULT_DATABASE = "mlruns.db"
#: The artifact folder of new experiments in a SQLite store, beside the database.
ARTIFACT_FOLDER = "mlartifacts"
#: The MLflow status of each ganzoo end status.
STATUSES = {"completed": "FINISHED", "failed": "FAILED", "interrupted": "KILLED", "stopped": "KILLED"}
#: Metrics wait this long at most before they are sent (and at every checkpoint and the end).
FLUSH_SECONDS = 5.0

__all__ = ["RECORD_FILE", "STATUSES", "MlflowTracker", "resolve_tracking_uri"]


def resolve_tracking_uri(setting: str, run_directory: Path) -> str:
    """The tracking URI a run logs to: the setting, else ``MLFLOW_TRACKING_URI``, else the SQLite default.

    The default is ``sqlite:///<folder of the run directory>/mlruns.db``; a relative SQLite path is
    made absolute (against the current folder), so that the record does not depend on where a
    resume is started.
    """
    uri = setting or os.environ.get("MLFLOW_TRACKING_URI", "")
    if not uri:
        return f"sqlite:///{(Path(run_directory).absolute().parent / DEFAULT_DATABASE).resolve()}"
    if uri.startswith("sqlite:///"):
        path, query = (uri[len("sqlite:///"):].split("?", 1) + [""])[:2]
        if path and path != ":memory:" and not os.path.isabs(path):
            uri = f"sqlite:///{Path(path).absolute()}" + (f"?{query}" if query else "")
    return uri


def sqlite_folder(uri: str) -> Path | None:
    """The folder holding a SQLite store's database file; ``None`` for any other store."""
    if not uri.startswith("sqlite:///"):
        return None
    path = uri[len("sqlite:///"):].split("?", 1)[0]
    return Path(path).parent if path and path != ":memory:" else None


class MlflowTracker(Tracker):
    """Follows a run in MLflow: parameters, tags, metrics, images, a checkpoint and the end status.

    Args:
        tracking_uri: The tracking store: ``http(s)://`` for a server, ``sqlite:///PATH`` or another
            database URI. Empty: ``MLFLOW_TRACKING_URI`` if set, else ``sqlite:///mlruns.db`` in the
            folder holding the run directory (offline, no server).
        experiment: The experiment's name (created if missing). Empty: ``MLFLOW_EXPERIMENT_NAME`` if
            set, else the recipe's name.
        run_name: The MLflow run's name. Empty: the run directory's name.
        run_id: An existing MLflow run to log into. Empty: the one recorded in the run directory
            (a resume), else a new run.
        tags: More tags for the MLflow run, ``{name: value}``.
        description: The run's description (its note in the MLflow UI).
        artifact_location: Where a new experiment keeps its artifacts. Empty: the ``mlartifacts``
            folder beside a SQLite database; the server's default for any other store.
        log_samples: Log every sample grid as an artifact under ``samples/``.
        checkpoint: The checkpoint logged under ``checkpoints/`` at the end: ``best`` (``best.pt`` when
            evaluations keep one, else the last), ``last``, or ``none``.
        http_timeout: Seconds an HTTP request to a server may take.
        http_retries: How many times a failed HTTP request is retried.
    """

    def __init__(
        self,
        *,
        tracking_uri: str = "",
        experiment: str = "",
        run_name: str = "",
        run_id: str = "",
        tags: dict[str, str] | None = None,
        description: str = "",
        artifact_location: str = "",
        log_samples: bool = True,
        checkpoint: Literal["best", "last", "none"] = "best",
        http_timeout: int = 10,
        http_retries: int = 2,
    ) -> None:
        if http_timeout < 1:
            raise ValueError(f"http_timeout={http_timeout}: give a number of seconds >= 1")
        if http_retries < 0:
            raise ValueError(f"http_retries={http_retries}: give a number of retries >= 0")
        self.tracking_uri = tracking_uri
        self.experiment = experiment
        self.run_name = run_name
        self.run_id = run_id
        self.tags = {str(key): str(value) for key, value in (tags or {}).items()}
        self.description = description
        self.artifact_location = artifact_location
        self.log_samples = log_samples
        self.checkpoint = checkpoint
        self.http_timeout = http_timeout
        self.http_retries = http_retries
        #: The MLflow client and run, once started.
        self.client: Any = None
        self.active_run_id = ""
        self._pending: list[Any] = []
        self._flushed = 0.0

    # --- the lifecycle ----------------------------------------------------------------------------

    def run_start(self, run: Any) -> None:
        """Start or continue the MLflow run; log the configuration and the tags."""
        from mlflow.tracking import MlflowClient

        directory = Path(run.directory)
        uri = resolve_tracking_uri(self.tracking_uri, directory)
        experiment = self.experiment or os.environ.get("MLFLOW_EXPERIMENT_NAME", "") or str(run.config.get("recipe") or "ganzoo")
        record = read_record(directory)
        with self._http_limits():
            self.client = MlflowClient(tracking_uri=uri)
            same_store = record.get("tracking_uri") == uri and record.get("experiment") == experiment
            continued = self._find_run(self.run_id or (record.get("run_id", "") if same_store else ""))
            params = names.flatten(run.config)
            if continued is not None:
                self._continue(continued, run, params)
            else:
                experiment_id = self._experiment_id(experiment, uri)
                # A run continued elsewhere (out=OTHER) names the MLflow run of the directory it came from.
                parent = record.get("run_id", "") or read_record(_run_directory_of(getattr(run, "resumed_from", None))).get("run_id", "")
                self._create(experiment_id, run, params, parent=parent)
            config_file = directory / "config.yaml"
            if config_file.is_file():
                self.client.log_artifact(self.active_run_id, str(config_file))
        atomic_write_text(
            directory / RECORD_FILE,
            json.dumps({"run_id": self.active_run_id, "tracking_uri": uri, "experiment": experiment}, indent=2) + "\n",
        )
        self._flushed = time.monotonic()

    def step_end(self, run: Any, step: int, losses: dict[str, float]) -> None:
        """Gather the values as metrics at ``step``; send them when enough are waiting or time has passed."""
        from mlflow.entities import Metric

        stamp = int(time.time() * 1000)
        self._pending.extend(Metric(names.mlflow_name(key), float(value), stamp, int(step)) for key, value in losses.items())
        if len(self._pending) >= names.MAX_METRICS_PER_BATCH or time.monotonic() - self._flushed >= FLUSH_SECONDS:
            self.flush()

    def samples_written(self, run: Any, step: int, path: Path) -> None:
        """Log the grid under ``samples/`` (unless ``log_samples`` is off)."""
        if self.log_samples:
            with self._http_limits():
                self.client.log_artifact(self.active_run_id, str(path), "samples")

    def checkpoint_saved(self, run: Any, step: int, path: Path) -> None:
        """Send the waiting metrics: what MLflow shows is never behind the newest checkpoint."""
        self.flush()

    def run_end(self, run: Any, status: str) -> None:
        """Log ``loss_curves.png`` and the checkpoint, then end the MLflow run with the matching status."""
        directory = Path(run.directory)
        try:
            self.flush()
            with self._http_limits():
                curves = directory / "loss_curves.png"
                if curves.is_file():
                    self.client.log_artifact(self.active_run_id, str(curves))
                checkpoint = self._checkpoint_file(directory)
                if checkpoint is not None:
                    self.client.log_artifact(self.active_run_id, str(checkpoint), "checkpoints")
                self.client.set_tag(self.active_run_id, "ganzoo.status", status)
        finally:
            with self._http_limits():
                self.client.set_terminated(self.active_run_id, STATUSES.get(status, "FAILED"))
            if status == "failed" and getattr(run, "new_directory", False) and not (directory / "checkpoints" / "latest").is_file():
                # The failed run's folder is removed (nothing to resume): the record must not keep it.
                (directory / RECORD_FILE).unlink(missing_ok=True)

    def flush(self) -> None:
        """Send the waiting metrics, at most :data:`~ganzoo_mlflow.names.MAX_METRICS_PER_BATCH` a call."""
        pending, self._pending = self._pending, []
        self._flushed = time.monotonic()
        with self._http_limits():
            for batch in names.batches(pending, names.MAX_METRICS_PER_BATCH):
                self.client.log_batch(self.active_run_id, metrics=batch)

    # --- starting or continuing -------------------------------------------------------------------

    def _find_run(self, run_id: str) -> Any:
        """The MLflow run ``run_id``, or ``None``; a ``run_id`` given as a setting must exist."""
        if not run_id:
            return None
        from mlflow.exceptions import MlflowException

        try:
            return self.client.get_run(run_id)
        except MlflowException as error:
            if error.error_code != "RESOURCE_DOES_NOT_EXIST":
                raise
            if run_id == self.run_id:
                raise RuntimeError(f"MLflow run '{run_id}' (tracker.run_id) is not in {self.client.tracking_uri}") from error
            return None  # deleted from the store, or the store was replaced: a new run takes over

    def _experiment_id(self, name: str, uri: str) -> str:
        from mlflow.exceptions import MlflowException

        found = self.client.get_experiment_by_name(name)
        if found is None:
            folder = sqlite_folder(uri)
            location = self.artifact_location or ((folder / ARTIFACT_FOLDER).as_uri() if folder is not None else None)
            try:
                return str(self.client.create_experiment(name, artifact_location=location))
            except MlflowException:
                found = self.client.get_experiment_by_name(name)  # another run created it meanwhile
                if found is None:
                    raise
        if found.lifecycle_stage == "deleted":
            raise RuntimeError(f"MLflow experiment '{name}' is deleted; restore it or choose another with tracker.experiment=NAME")
        return str(found.experiment_id)

    def _create(self, experiment_id: str, run: Any, params: dict[str, str], *, parent: str) -> None:
        from mlflow.entities import Param

        tags = self._tags(run)
        tags |= {"mlflow.user": _user(), "mlflow.source.name": "ganzoo train", "mlflow.source.type": "LOCAL"}
        if self.description:
            tags["mlflow.note.content"] = self.description
        if run.step > 0:
            tags["ganzoo.resumed_from_step"] = str(run.step)
        if parent:
            tags["ganzoo.parent_run_id"] = parent
        created = self.client.create_run(experiment_id, run_name=self.run_name or Path(run.directory).name, tags=tags)
        self.active_run_id = created.info.run_id
        for batch in names.batches([Param(key, value) for key, value in params.items()], names.MAX_PARAMS_PER_BATCH):
            self.client.log_batch(self.active_run_id, params=batch)

    def _continue(self, existing: Any, run: Any, params: dict[str, str]) -> None:
        """Log into ``existing`` again: new settings as parameters, changed ones in a tag (parameters never change)."""
        from mlflow.entities import Param, RunTag

        self.active_run_id = existing.info.run_id
        self.client.update_run(self.active_run_id, status="RUNNING")
        before = dict(existing.data.params)
        tags = self._tags(run) | {"ganzoo.resumed_at_step": str(run.step)}
        if self.run_name:  # a name given at the resume renames the run
            tags["mlflow.runName"] = self.run_name
        if self.description:
            tags["mlflow.note.content"] = self.description
        differences = names.changed(before, params)
        if differences:
            text = ", ".join(f"{key}: {old} -> {new}" for key, (old, new) in differences.items())
            tags[names.mlflow_name(f"ganzoo.changed_at_step_{run.step}")] = names.clip(text, names.MAX_TAG_VALUE)
        added = [Param(key, value) for key, value in params.items() if key not in before]
        for batch in names.batches(added, names.MAX_PARAMS_PER_BATCH):
            self.client.log_batch(self.active_run_id, params=batch)
        tag_list = [RunTag(key, value) for key, value in tags.items()]
        for batch in names.batches(tag_list, names.MAX_PARAMS_PER_BATCH):
            self.client.log_batch(self.active_run_id, tags=batch)

    def _tags(self, run: Any) -> dict[str, str]:
        from ganzoo import __version__

        tags = {
            "ganzoo.recipe": str(run.config.get("recipe") or ""),
            "ganzoo.version": __version__,
            "ganzoo.run_directory": str(Path(run.directory).absolute()),
        }
        tags |= {names.mlflow_name(key): names.clip(value, names.MAX_TAG_VALUE) for key, value in self.tags.items()}
        return tags

    def _checkpoint_file(self, directory: Path) -> Path | None:
        if self.checkpoint == "none":
            return None
        return kept_checkpoint(directory, best=self.checkpoint == "best")

    @contextmanager
    def _http_limits(self) -> Iterator[None]:
        """MLflow's HTTP retries and timeout bounded while it is called; those set in the environment win.

        urllib3's warning for each retry is held back meanwhile: a failure is reported once, by ganzoo.
        """
        limits = {
            "MLFLOW_HTTP_REQUEST_TIMEOUT": str(self.http_timeout),
            "MLFLOW_HTTP_REQUEST_MAX_RETRIES": str(self.http_retries),
            "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1",
        }
        added = {key: value for key, value in limits.items() if key not in os.environ}
        os.environ.update(added)
        retries = logging.getLogger("urllib3.connectionpool")
        level = retries.level
        retries.setLevel(logging.ERROR)
        try:
            yield
        finally:
            retries.setLevel(level)
            for key in added:
                os.environ.pop(key, None)


def read_record(directory: Path) -> dict[str, str]:
    """What :data:`RECORD_FILE` in ``directory`` says (``{}`` when it is missing or unreadable)."""
    try:
        record = json.loads((Path(directory) / RECORD_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(key): str(value) for key, value in record.items()} if isinstance(record, dict) else {}


def _run_directory_of(resumed_from: Path | None) -> Path:
    """The run directory a resumed run came from: the folder given, or the run holding the checkpoint file."""
    if resumed_from is None:
        return Path("/nonexistent")
    source = Path(resumed_from)
    if source.is_file():
        source = source.parent.parent if source.parent.name == "checkpoints" else source.parent
    return source


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name in a container without one
        return "unknown"
