"""ganzoo-optuna: ``ganzoo sweep``, hyper-parameter sweeps of ganzoo runs with Optuna.

:mod:`ganzoo_optuna.plugin` adds the command; :mod:`ganzoo_optuna.spec` reads a sweep's words,
:mod:`ganzoo_optuna.checks` checks them against ganzoo before any trial starts,
:mod:`ganzoo_optuna.study` keeps the Optuna study and the sweep folder, :mod:`ganzoo_optuna.trials`
runs one trial as a ganzoo run, and :mod:`ganzoo_optuna.report` prints and plots the outcome.
"""

__version__ = "0.1.0"
