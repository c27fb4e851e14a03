"""Reading a sweep's words: its own settings, the swept parameters, and the fixed run words.

``ganzoo sweep recipe=dcgan loss.r1.weight=0.25,1,4 optim.generator.lr=log:1e-4..1e-3 trials=8`` holds
three sorts of words:

- the sweep's own settings (:data:`SWEEP_WORDS`: ``trials=``, ``objective=``, ``out=``, ...);
- swept parameters: a run word whose value is a list (``a,b,c``: every value is tried) or a range
  (``LOW..HIGH`` uniform, ``log:LOW..HIGH`` log-uniform, ``int:LOW..HIGH`` integers);
- every other word, passed unchanged to every trial (``recipe=dcgan``, ``train.steps=2000``).

Nothing here imports Optuna or torch: a bad word is refused at once, before anything is written.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ganzoo.errors import ConfigError, did_you_mean
from ganzoo.safe_yaml import parse_yaml

#: The sweep's own words, with what each takes (for messages and ``--help``).
SWEEP_WORDS = {
    "trials": "the number of trials, N ≥ 1 (default: the grid's size; required with a range)",
    "objective": "the measure to optimise, eval/NAME (default eval/fid)",
    "direction": "minimize or maximize (default: the measure's own, e.g. minimize for fid)",
    "score": "final or best: a trial's value is its last evaluation or its best one (default final)",
    "pruner": "median, none or threshold:VALUE (default: median for a search, none for a grid)",
    "out": "the sweep folder (default sweeps/RECIPE)",
    "storage": "an Optuna storage URL (default sqlite:///OUT/optuna.db)",
    "study": "the study's name in the storage (default: the sweep folder's name)",
    "seed": "the sampler's seed (default 0)",
}
#: Run words a sweep cannot pass on to its trials.
REFUSED_RUN_WORDS = {
    "resume": "a sweep resumes by running the same command again; resume one trial's run with ganzoo train resume=OUT/trial-N",
}
DEFAULT_OBJECTIVE = "eval/fid"
PRUNERS = ("median", "none", "threshold:VALUE")
SCORES = ("final", "best")
DIRECTIONS = ("minimize", "maximize")


class SweepError(ConfigError):
    """A sweep specification that cannot be run: refused before any trial starts."""


@dataclass(frozen=True)
class Parameter:
    """One swept run setting.

    Attributes:
        key: The run word's key, e.g. ``loss.r1.weight``.
        text: The value as written (``0.25,1,4`` or ``log:1e-4..1e-3``), which identifies the sweep.
        kind: ``list`` (every value tried, or chosen among), ``float``, ``log`` or ``int`` (a range).
        choices: A list's values as YAML scalars, in the order written.
        words: A list's values as written, passed to the run as ``key=word``.
        low: A range's lower bound.
        high: A range's upper bound.
    """

    key: str
    text: str
    kind: str
    choices: tuple[Any, ...] = ()
    words: tuple[str, ...] = ()
    low: float = 0.0
    high: float = 0.0

    @property
    def is_list(self) -> bool:
        """Whether the parameter is a list of values rather than a range."""
        return self.kind == "list"

    def word(self, value: Any) -> str:
        """The run word giving this parameter ``value`` (a list's word as written, a range's number)."""
        if self.is_list:
            return f"{self.key}={self.words[self.choices.index(value)]}"
        return f"{self.key}={int(value) if self.kind == 'int' else repr(float(value))}"

    @property
    def corners(self) -> tuple[Any, Any]:
        """The first and last values of a list, or the bounds of a range."""
        if self.is_list:
            return self.choices[0], self.choices[-1]
        return (int(self.low), int(self.high)) if self.kind == "int" else (self.low, self.high)


@dataclass
class SweepSpec:
    """A sweep as its words describe it; checked against ganzoo by :func:`ganzoo_optuna.checks.check_sweep`.

    Attributes:
        settings: The sweep's own words given (``trials``, ``objective``, ...), as text.
        parameters: The swept parameters, in the order given.
        fixed: The words passed unchanged to every trial.
        recipe: The recipe's name (from ``recipe=``).
        trials: ``trials=``, or the grid's size.
        objective: The logged value optimised, ``eval/NAME``.
        direction: ``minimize`` or ``maximize`` when ``direction=`` is given, else ``None`` (the measure's own).
        score: ``final`` or ``best``.
        pruner: ``median``, ``none`` or ``threshold:VALUE``.
        threshold: The threshold pruner's value.
        seed: The sampler's seed.
    """

    settings: dict[str, str]
    parameters: list[Parameter]
    fixed: list[str]
    recipe: str
    trials: int | None = None
    objective: str = DEFAULT_OBJECTIVE
    direction: str | None = None
    score: str = "final"
    pruner: str | None = None
    seed: int = 0
    threshold: float | None = None

    @property
    def is_grid(self) -> bool:
        """Whether every parameter is a list: the sweep runs a grid (Optuna's GridSampler)."""
        return all(parameter.is_list for parameter in self.parameters)

    @property
    def grid_size(self) -> int:
        """The number of points of the grid of the lists (1 without lists)."""
        return math.prod(len(p.choices) for p in self.parameters if p.is_list)

    def trial_words(self, values: dict[str, Any]) -> list[str]:
        """The run words of a trial giving each parameter its value."""
        return [*self.fixed, *(p.word(values[p.key]) for p in self.parameters)]

    def identity(self) -> dict[str, Any]:
        """What a study started with must keep: a rerun with other parameters or run words is refused."""
        return {
            "parameters": {p.key: p.text for p in self.parameters},
            "fixed": list(self.fixed),
            "objective": self.objective,
            "score": self.score,
        }


def _split_list(text: str) -> list[str] | None:
    """The items of ``a,b,c`` (commas outside brackets and quotes), or ``None`` when ``text`` is no list."""
    stripped = text.strip()
    if not stripped or stripped[0] in "[{\"'":
        return None  # a YAML list, mapping or string: one value
    items, depth, current = [], 0, []
    for char in text:
        if char in "[{(":
            depth += 1
        elif char in "]})":
            depth -= 1
        if char == "," and depth == 0:
            items.append("".join(current))
            current = []
        else:
            current.append(char)
    items.append("".join(current))
    return items if len(items) > 1 else None


_RANGE = re.compile(r"^(?:(log|int):)?(.*?)\.\.(.*)$")
_NUMBERISH = re.compile(r"^[-+]?(\d[\d_]*\.?\d*|\.\d+)([eE][-+]?\d+)?$")


def _number(text: str, word: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise SweepError(f"{word}: '{text.strip()}' is not a number; write a range as LOW..HIGH, e.g. 1e-4..1e-3") from None
    if not math.isfinite(value):
        raise SweepError(f"{word}: the bounds of a range must be finite numbers")
    return value


def _parse_range(key: str, text: str) -> Parameter | None:
    match = _RANGE.match(text.strip())
    if not match:
        return None
    scale, low_text, high_text = match.group(1), match.group(2).strip(), match.group(3).strip()
    if scale is None and not (_NUMBERISH.match(low_text) or _NUMBERISH.match(high_text)):
        return None  # e.g. data.root=../images: a path, not a range
    word = f"{key}={text}"
    low, high = _number(low_text, word), _number(high_text, word)
    if scale == "int" and not all(re.fullmatch(r"[-+]?\d+", t) for t in (low_text, high_text)):
        raise SweepError(f"{word}: an int: range takes whole numbers, e.g. {key}=int:2..8")
    if low >= high:
        raise SweepError(f"{word}: the range's LOW must be below its HIGH, e.g. {key}={scale + ':' if scale else ''}{min(low, high):g}..{max(low, high) if low != high else high * 2 or 1:g}")
    if scale == "log" and low <= 0:
        raise SweepError(f"{word}: a log: range needs positive bounds (log of {low:g}); use a positive LOW, or LOW..HIGH for a uniform range")
    return Parameter(key, text, scale or "float", low=low, high=high)


def _parse_list(key: str, text: str, items: list[str]) -> Parameter:
    word = f"{key}={text}"
    if not any(item.strip() for item in items):
        raise SweepError(f"{word}: an empty list; give the values to try, e.g. {key}=1,2,4")
    if any(not item.strip() for item in items):
        raise SweepError(f"{word}: an empty value in the list; separate the values with single commas, e.g. {key}=1,2,4")
    choices = []
    for item in items:
        value = parse_yaml(item, f"the value '{item.strip()}' of {key}")
        if not (value is None or isinstance(value, (str, int, float, bool))):
            raise SweepError(f"{word}: '{item.strip()}' is not a single value; a swept list takes scalars (numbers, names, true/false)")
        if value in choices:
            raise SweepError(f"{word}: '{item.strip()}' is listed twice; give each value once")
        choices.append(value)
    return Parameter(key, text, "list", choices=tuple(choices), words=tuple(item.strip() for item in items))


def _whole(settings: dict[str, str], key: str) -> int | None:
    if key not in settings:
        return None
    text = settings[key].strip()
    try:
        return int(text)
    except ValueError:
        raise SweepError(f"{key}={text}: {key}= takes a whole number, e.g. {key}=8") from None


def parse_sweep(words: Sequence[str]) -> SweepSpec:
    """Read a sweep's words; nothing is imported or written.

    Args:
        words: ``key=value`` words of ``ganzoo sweep``.

    Returns:
        The sweep's specification, with its own settings read and checked for form.

    Raises:
        SweepError: For a malformed word, a sweep word given twice, a bad list or range, a parameter
            both fixed and swept or swept twice, or a bad value of a sweep setting.
    """
    settings: dict[str, str] = {}
    parameters: list[Parameter] = []
    fixed: list[str] = []
    fixed_keys: dict[str, str] = {}
    for word in words:
        key, sep, value = word.partition("=")
        key = key.strip()
        if not sep or not key:
            raise SweepError(f"'{word}' is not a setting; write key=value, e.g. loss.r1.weight=0.25,1,4 or trials=8")
        if key in SWEEP_WORDS:
            if key in settings:
                raise SweepError(f"{key}= is given twice ({key}={settings[key]} and {word}); give each sweep setting once")
            settings[key] = value.strip()
            continue
        if key in REFUSED_RUN_WORDS:
            raise SweepError(f"{word}: {REFUSED_RUN_WORDS[key]}")
        items = _split_list(value)
        parameter = _parse_list(key, value, items) if items is not None else _parse_range(key, value)
        if parameter is None:
            fixed.append(word)
            fixed_keys.setdefault(key, word)
            continue
        if any(p.key == key for p in parameters):
            raise SweepError(f"{key} is swept twice; give it one list or one range")
        parameters.append(parameter)
    both = [p for p in parameters if p.key in fixed_keys]
    if both:
        p = both[0]
        raise SweepError(f"{p.key} is both fixed ({fixed_keys[p.key]}) and swept ({p.key}={p.text}); drop one of them")
    if not parameters:
        hint = did_you_mean(next(iter(settings), ""), SWEEP_WORDS) if settings else ""
        raise SweepError(
            "nothing to sweep: give a run setting a list (loss.r1.weight=0.25,1,4) or a range "
            f"(optim.generator.lr=log:1e-4..1e-3){hint}"
        )
    recipes = [w.partition("=")[2].strip() for w in fixed if w.partition("=")[0].strip() == "recipe"]
    spec = SweepSpec(settings, parameters, fixed, recipes[-1] if recipes else "")
    _read_settings(spec)
    return spec


def _read_settings(spec: SweepSpec) -> None:
    settings = spec.settings
    spec.trials = _whole(settings, "trials")
    if spec.trials is not None and spec.trials < 1:
        raise SweepError(f"trials={spec.trials}: a sweep runs at least one trial, e.g. trials={spec.grid_size if spec.is_grid else 8}")
    if spec.is_grid:
        if spec.trials is not None and spec.trials > spec.grid_size:
            raise SweepError(
                f"trials={spec.trials} is more than the grid's {spec.grid_size} points (a point tried again trains the same run); "
                f"drop trials= to run the whole grid, or sweep a range"
            )
        spec.trials = spec.trials or spec.grid_size
    elif spec.trials is None:
        raise SweepError("a search over a range needs trials=N, the number of runs it may train (e.g. trials=8)")
    objective = settings.get("objective", DEFAULT_OBJECTIVE).strip()
    if not objective:
        raise SweepError(f"objective= is empty; name the measure to optimise, e.g. objective={DEFAULT_OBJECTIVE}")
    spec.objective = objective if objective.startswith("eval/") else f"eval/{objective}"
    if "direction" in settings:
        direction = settings["direction"].lower()
        if direction not in DIRECTIONS:
            raise SweepError(f"direction={settings['direction']}: use minimize or maximize{did_you_mean(direction, DIRECTIONS)}")
        spec.direction = direction
    score = settings.get("score", "final").lower()
    if score not in SCORES:
        raise SweepError(f"score={settings['score']}: use final (a trial's last evaluation) or best (its best one){did_you_mean(score, SCORES)}")
    spec.score = score
    if "pruner" in settings:
        spec.pruner = settings["pruner"].strip().lower()
        name, _, value = spec.pruner.partition(":")
        if name == "threshold":
            try:
                spec.threshold = float(value)
            except ValueError:
                raise SweepError(f"pruner={settings['pruner']}: write pruner=threshold:VALUE with a number, e.g. pruner=threshold:200") from None
        elif spec.pruner not in ("median", "none"):
            raise SweepError(f"pruner={settings['pruner']}: use {', '.join(PRUNERS)}{did_you_mean(name, ['median', 'none', 'threshold'])}")
    else:
        spec.pruner = "none" if spec.is_grid else "median"
    seed = _whole(settings, "seed")
    spec.seed = 0 if seed is None else seed
    for key in ("out", "storage", "study"):
        if key in settings and not settings[key]:
            raise SweepError(f"{key}= is empty; {SWEEP_WORDS[key]}")
