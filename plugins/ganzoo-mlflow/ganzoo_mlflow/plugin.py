"""The plugin module named by this package's ``ganzoo`` entry point: it registers the ``mlflow`` tracker.

ganzoo imports this module whenever it loads plugins, so the tracker is named by a ``"module:Class"``
string: its module (and MLflow, later still) is imported only when a run uses it or asks for its
parameters.
"""

from __future__ import annotations

from typing import Any

from ganzoo import hookimpl


@hookimpl
def ganzoo_register_parts(register: Any) -> None:
    """Register the tracker ``mlflow``."""
    register("tracker", "mlflow", "ganzoo_mlflow.tracker:MlflowTracker", tags=["mlflow", "offline"])
