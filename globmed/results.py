"""The GlobMed-Bench results file: one JSON per run, the contract between the benchmark, cards and Space.

Layout (keys documented in `RunResult`):

    {
      "schema_version": 1,
      "run_id": "globmed-llm-tiny__2026-11-25T13-00-00",
      "model": {"name": ..., "revision": ..., "type": "open", "size_b": 0.01, "base_model": null, ...},
      "config": {"backend": "transformers", "dtype": "float32", "chat_template": true, "shots": 0,
                 "scoring": "loglikelihood", "prompt_version": "1", "tasks": [...], "languages": [...], ...},
      "dataset": {"path": "release/globmed", "manifest_sha256": "..."},
      "provenance": {"git_commit": ..., "date": ..., "globmed_version": ..., "environment": {...}},
      "results": {"sw-mcqa": {"language": "sw", "task": "mcqa", "primary_metric": "acc",
                              "metrics": {"acc": 0.41, "acc_ci_low": 0.3, "acc_ci_high": 0.52},
                              "n": 30, "unparsed": 2, "by_source": {"medqa": {"acc": 0.41, "n": 30}}}},
      "aggregates": {"per_language": {"sw": 0.41, ...}, "per_task": {"mcqa": ...},
                     "high_mean": ..., "low_mean": ..., "gap": ..., "overall": ...,
                     "ci": {"overall": [lo, hi], "high_mean": [...], "low_mean": [...], "gap": [...]}}
    }

`results` is keyed by task name `<language>-<task>` (the dataset config name), then by metric, as
lm-evaluation-harness keys `results[task][metric]`. Per-sample predictions are in `<run_id>.samples.jsonl`
beside the JSON.

The classes below ARE the contract: pydantic dataclasses in strict mode (globmed.strict_json.STRICT), so the
benchmark that builds a run, the cards that read one and the Space that accepts an upload check the same rules:
every score a finite number in [0, 1] (the gap in [-1, 1]), counts whole and consistent, names printable text
without markup, links https. A run built in code is checked when it is constructed; a file or an upload by
`RunResult.from_json` / `load`, whose errors are one line naming the file and the JSON path
(`upload: results.sw-mcqa.metrics.acc: Input should be less than or equal to 1`). They stay dataclasses, so
`globmed.cli_args` still makes `bench` flags from ModelInfo's fields and their help metadata.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Collection, Mapping
from dataclasses import asdict, field
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    Field,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    WrapValidator,
    model_validator,
    with_config,
)
from pydantic.dataclasses import dataclass
from pydantic_core import PydanticCustomError
from typing_extensions import TypedDict

from globmed.errors import GlobMedError
from globmed.strict_json import STRICT, DocumentError, describe, hidden_characters, invalid, validate_document

SCHEMA_VERSION = 1
MODEL_TYPES = ("proprietary", "open", "medical", "globmed")
MAX_N = 10_000_000  # items in one cell
MAX_SIZE_B = 10_000.0  # billions of parameters
MAX_NAME = 100
MAX_TEXT = 500
RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:+-]{0,199}$")  # what `globmed bench` writes; safe as a file name
LINK_CHARACTERS = re.compile(r"^[A-Za-z0-9\-._~:/?#@!$&'()*+,;=%]+$")  # RFC 3986, without [ ] (IPv6 hosts)
CI_TOLERANCE = 1e-9  # a bootstrap bound may differ from the point score by float rounding


def _display_text(value: str) -> str:
    if hidden_characters(value):
        raise PydanticCustomError("text", "contains control or invisible characters")
    if "<" in value or ">" in value:
        raise PydanticCustomError("text", "must not contain HTML ('<' or '>')")
    return value


def _run_id(value: str) -> str:
    if not RUN_ID.match(value):
        raise PydanticCustomError("run_id", "must be 1-200 letters, digits or _.:+- (as `globmed bench` writes)")
    return value


def _schema_version(value: int) -> int:
    if value != SCHEMA_VERSION:
        raise PydanticCustomError("version", "must be {version}, the results format this kit reads",
                                  {"version": SCHEMA_VERSION})
    return value


def _model_type(value: str) -> str:
    if value not in MODEL_TYPES:
        raise PydanticCustomError("choice", "must be one of {choices}", {"choices": ", ".join(MODEL_TYPES)})
    return value


def _link(value: str, info: ValidationInfo) -> str:
    """"" or an https URL; with `link_hosts` in the validation context, to one of those hosts."""
    if not value:
        return value
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        raise PydanticCustomError("link", "is not a URL") from None
    if parts.scheme != "https" or not parts.hostname:
        raise PydanticCustomError("link", "must be an https:// URL")
    if parts.username is not None or port is not None:
        raise PydanticCustomError("link", "must not hold a user name, password or port")
    if not LINK_CHARACTERS.match(value):
        raise PydanticCustomError("link", "holds characters a URL may not (spaces, quotes, brackets, <, >)")
    hosts = (info.context or {}).get("link_hosts")
    if hosts is not None and parts.hostname not in hosts:
        raise PydanticCustomError("link", "must point to {hosts}", {"hosts": " or ".join(sorted(hosts)) or "no host"})
    return value


def _language(value: str) -> str:
    from globmed.languages import known_language_codes

    known = known_language_codes()
    if value not in known:
        raise PydanticCustomError("language", "unknown language (known: {known})", {"known": ", ".join(known)})
    return value


def _task(value: str) -> str:
    from globmed.schema import TASKS

    if value not in TASKS:
        raise PydanticCustomError("task", "unknown task (known: {known})", {"known": ", ".join(TASKS)})
    return value


def _ordered(bounds: list[float]) -> list[float]:
    if bounds[0] > bounds[1]:
        raise PydanticCustomError("interval", "must be [low, high] with low <= high")
    return bounds


def _source_scores(scores: dict[str, float]) -> dict[str, float]:
    """A source's scores: its item count `n` (whole), every other key a score in [0, 1]."""
    for key, value in scores.items():
        if key == "n" and value != int(value):
            raise invalid("must be a whole number of items", key)
        if key != "n" and value > 1:
            raise invalid("must be a score in [0, 1]", key)
    return scores


def _whole_intervals(metrics: dict[str, float]) -> None:
    """Intervals are optional (a run with `--resamples 0` has none); one that is there is whole: both bounds,
    beside the metric they bound, low <= high."""
    for key in metrics:
        for end, other in (("_ci_low", "_ci_high"), ("_ci_high", "_ci_low")):
            name = key.removesuffix(end)
            if name != key and (name not in metrics or name + other not in metrics):
                raise invalid(f"{key} needs {name} and {name}{other} beside it", "metrics")
        if key.endswith("_ci_low") and metrics[key] > metrics[key.removesuffix("_low") + "_high"]:
            raise invalid(f"{key} is above {key.removesuffix('_low')}_high", "metrics")


def _keep_int(value: Any, handler: Any) -> Any:
    """Check as a float, but give back an int as an int (a source's `n` stays 30, not 30.0)."""
    checked = handler(value)
    return value if type(value) is int else checked


# ----- the types every field is made of --------------------------------------------------------------
Score = Annotated[float, Field(ge=0.0, le=1.0)]
Difference = Annotated[float, Field(ge=-1.0, le=1.0)]  # high minus low: the gap
Count = Annotated[int, Field(ge=0, le=MAX_N)]
Key = Annotated[str, Field(min_length=1, max_length=MAX_NAME), AfterValidator(_display_text)]
Text = Annotated[str, Field(max_length=MAX_TEXT), AfterValidator(_display_text)]
Name = Annotated[str, Field(max_length=MAX_NAME), AfterValidator(_display_text)]
Link = Annotated[str, Field(max_length=MAX_TEXT), AfterValidator(_link)]
Interval = Annotated[list[Score], Field(min_length=2, max_length=2), AfterValidator(_ordered)]
GapInterval = Annotated[list[Difference], Field(min_length=2, max_length=2), AfterValidator(_ordered)]
SourceNumber = Annotated[float, Field(ge=0.0, le=MAX_N), WrapValidator(_keep_int)]
SourceScores = Annotated[dict[Key, SourceNumber], AfterValidator(_source_scores)]
JsonObject = dict[str, Any]  # free-form; its values are checked by globmed.strict_json when a file is read


@with_config(STRICT)
class Intervals(TypedDict, total=False):
    """95% bootstrap intervals of the aggregates, each [low, high]."""

    overall: Interval
    high_mean: Interval
    low_mean: Interval
    gap: GapInterval
    per_language: dict[Key, Interval]
    per_task: dict[Key, Interval]


@with_config(STRICT)
class Aggregates(TypedDict, total=False):
    """Run-level scores (benchmark/aggregate.py says how they are computed); null where not computable."""

    per_language: dict[Key, Score]
    per_task: dict[Key, Score]
    high_mean: Score | None
    low_mean: Score | None
    gap: Difference | None
    overall: Score | None
    ci: Intervals


@with_config({**STRICT, "extra": "allow"})
class ConfigBlock(TypedDict, total=False):
    """How the run was made; free-form apart from what the leaderboard shows (the backend)."""

    backend: Name


@dataclass(config=STRICT)
class ModelInfo:
    """What a results file says about the model; the fields are also `bench`'s flags (globmed.cli_args)."""

    name: Annotated[str, Field(min_length=1, max_length=MAX_NAME), AfterValidator(_display_text)] = field(
        metadata={"help": 'display name, e.g. "Qwen3-8B" (default: the model folder or id)'})
    path: Text = field(default="", metadata={"help": "what was loaded: local folder, Hub id or API model name"})
    revision: Text = field(default="", metadata={"help": 'Hub commit or "local"'})
    type: Annotated[str, AfterValidator(_model_type)] = field(
        default="open", metadata={"help": "kind of model", "choices": MODEL_TYPES, "flag": "--model-type"}
    )
    size_b: Annotated[float, Field(ge=0.0, le=MAX_SIZE_B)] | None = field(
        default=None, metadata={"help": "parameters in billions; none for undisclosed API models"}
    )
    base_model: Name | None = field(
        default=None, metadata={"help": "for fine-tunes: the name of the base model's run"})
    link: Link = field(default="", metadata={"help": "https URL of the model card"})


@dataclass(config=STRICT)
class TaskResult:
    """One language x task cell: its metrics, counts and per-source scores."""

    language: Annotated[str, AfterValidator(_language)]
    task: Annotated[str, AfterValidator(_task)]
    primary_metric: Key
    metrics: dict[Key, Score]  # metric -> value; `<metric>_ci_low` / `_ci_high` for the 95% bootstrap CI (optional)
    n: Annotated[int, Field(ge=1, le=MAX_N)]
    unparsed: Count = 0  # generations from which no answer could be extracted (scored as wrong)
    by_source: dict[Key, SourceScores] = field(default_factory=dict)
    judge_unparsed: Count = 0  # lfqa: judge replies without a rating (scored 0); added compatibly, default 0

    @model_validator(mode="after")
    def _consistent(self) -> TaskResult:
        if self.primary_metric not in self.metrics:
            raise invalid(f"lacks the primary metric {self.primary_metric!r}", "metrics")
        for count in ("unparsed", "judge_unparsed"):
            if getattr(self, count) > self.n:
                raise invalid(f"is more than n ({self.n})", count)
        low = self.metrics.get(f"{self.primary_metric}_ci_low")
        high = self.metrics.get(f"{self.primary_metric}_ci_high")
        if low is not None and high is not None and not low - CI_TOLERANCE <= self.score <= high + CI_TOLERANCE:
            raise invalid(f"the interval [{low}, {high}] does not contain the score {self.score}", "metrics")
        _whole_intervals(self.metrics)
        return self

    @property
    def score(self) -> float:
        return self.metrics[self.primary_metric]


@dataclass(config=STRICT)
class RunResult:
    """One benchmark run: the whole results file (layout in the module docstring)."""

    model: ModelInfo
    config: ConfigBlock
    dataset: JsonObject
    provenance: JsonObject
    results: Annotated[dict[Key, TaskResult], Field(min_length=1)]
    aggregates: Aggregates
    run_id: Annotated[str, AfterValidator(_run_id)] = ""
    schema_version: Annotated[int, AfterValidator(_schema_version)] = SCHEMA_VERSION

    @model_validator(mode="after")
    def _keys_name_their_cells(self) -> RunResult:
        for name, result in self.results.items():
            if name != f"{result.language}-{result.task}":
                raise invalid(f"must be named {result.language}-{result.task}", "results", name)
        return self

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, raw: bytes | str, origin: str = "results",
                  link_hosts: Collection[str] | None = None) -> RunResult:
        """Parse and validate a document; `link_hosts` also restricts where model.link may point.

        Errors are one line: `origin: json.path: what is wrong` (no `origin: ` when origin is "").
        """
        context = None if link_hosts is None else {"link_hosts": {host.lower() for host in link_hosts}}
        try:
            return validate_document(_ADAPTER, raw, context)
        except DocumentError as err:
            raise GlobMedError(f"{origin}: {err}" if origin else str(err)) from None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], origin: str = "results") -> RunResult:
        """Validate a parsed document (as `from_json` does)."""
        try:
            text = json.dumps(data, ensure_ascii=False)
        except (TypeError, ValueError, RecursionError) as err:
            raise GlobMedError(f"{origin}: not a JSON document ({err})") from None
        return cls.from_json(text, origin)

    def validate(self, origin: str = "results") -> None:
        """Check the run as it is now (fields may have been changed since it was built)."""
        RunResult.from_dict(self.to_dict(), origin)

    @classmethod
    def load(cls, path: str | Path) -> RunResult:
        path = Path(path)
        try:
            raw = path.read_bytes()
        except OSError as err:
            raise GlobMedError(f"{path}: cannot read results JSON ({err.strerror})") from None
        return cls.from_json(raw, origin=str(path))

    def score(self, language: str, task: str) -> float | None:
        result = self.results.get(f"{language}-{task}")
        return None if result is None else result.score

    def scores_digest(self) -> str:
        """SHA-256 of every metric of every cell: equal for the same scores, whatever the run id."""
        scores = {name: result.metrics for name, result in self.results.items()}
        return hashlib.sha256(json.dumps(scores, sort_keys=True).encode("utf-8")).hexdigest()

    def identity(self) -> tuple[str, str, str]:
        """What makes two runs the same: model name, revision and scores (a new run id alone does not)."""
        return self.model.name, self.model.revision, self.scores_digest()


_ADAPTER = TypeAdapter(RunResult)


def model_info(origin: str, **values: Any) -> ModelInfo:
    """A ModelInfo from what a user typed (flags, a roster entry): a bad value is one line naming its field."""
    try:
        return ModelInfo(**values)
    except ValidationError as err:
        raise GlobMedError(f"{origin}: {describe(err)}") from None


def load_results_dir(folder: str | Path) -> list[RunResult]:
    """Every `*.json` results file in a folder (not recursive), sorted by run_id."""
    runs = [RunResult.load(p) for p in sorted(Path(folder).glob("*.json"))]
    return sorted(runs, key=lambda run: run.run_id)
