"""ganzoo-mlflow: the ``mlflow`` tracker, which follows ganzoo runs in an MLflow tracking store.

:mod:`ganzoo_mlflow.plugin` registers the tracker, :mod:`ganzoo_mlflow.tracker` implements it and
:mod:`ganzoo_mlflow.names` turns ganzoo's keys and settings into what MLflow accepts. Nothing here
imports MLflow until a run starts, so ``ganzoo list`` stays fast.
"""

__version__ = "0.1.0"
