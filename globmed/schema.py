"""The GlobMed record: one row of the dataset, shared by every part.

`Record` is the typed form of one row, for code that writes or reads rows one at a time (test fixtures, the
benchmark's synthetic data, consumers). The builder moves plain dicts with the same keys instead: at 500k rows
dataclasses cost measurably more. `record_schema()` is the schema in pyarrow terms (the benchmark reads the
parquet files with it); `features()` is the same schema as `datasets.Features`, which the writer uses for the
parquet files and the card's `dataset_info`, and consumers use to read them back.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

# The record task families: the closed set a record's `task` (and a source's `task:`) is checked against, stored as
# data/<lang>/<task>/. What the benchmark, cards and training know about each task is in its task file
# (benchmark/tasks/<task>.yaml, found by file through globmed.tasks), which must be named after one of these.
TASKS: tuple[str, ...] = ("mcqa", "nli", "lfqa")
SPLITS: tuple[str, ...] = ("train", "validation", "test")
TRANSLATION_METHODS: tuple[str, ...] = ("original", "machine", "human", "machine+expert")
OPTION_LETTERS = "ABCDEFGHIJ"
MAX_OPTIONS = len(OPTION_LETTERS)


@dataclass
class TranslationInfo:
    """How this language version came to be."""

    method: str = "original"  # one of TRANSLATION_METHODS
    model: str = ""  # MT model id, "" for originals and human translations
    qc_score: float = -1.0  # automatic quality score in [0, 1]; -1 when not scored
    reviewed: bool = False  # a human expert reviewed (and possibly revised) it


@dataclass
class Record:
    id: str
    parallel_id: str
    language: str
    task: str
    source: str
    context: str
    question: str
    options: list[str]
    answer_index: int
    answer: str
    explanation: str = ""
    license: str = ""
    translation: TranslationInfo = field(default_factory=TranslationInfo)
    split: str = ""  # decided by the builder; stored as the parquet file's split, not as a column

    def to_row(self) -> dict[str, Any]:
        """The dataset row (without `split`, which is where the row is stored)."""
        row = asdict(self)
        row.pop("split")
        return row

    @classmethod
    def from_row(cls, row: dict[str, Any], split: str = "") -> Record:
        data = dict(row)
        data["translation"] = TranslationInfo(**data.get("translation") or {})
        return cls(**data, split=split)


def record_schema():
    """The schema as a plain `pyarrow.Schema`: the one definition, which readers on the benchmark's hot path use
    without importing `datasets` (about a second to import)."""
    import pyarrow as pa

    text = pa.string()
    return pa.schema(
        {
            "id": text,
            "parallel_id": text,
            "language": text,
            "task": text,
            "source": text,
            "context": text,
            "question": text,
            "options": pa.list_(text),
            "answer_index": pa.int32(),
            "answer": text,
            "explanation": text,
            "license": text,
            "translation": pa.struct(
                {"method": text, "model": text, "qc_score": pa.float32(), "reviewed": pa.bool_()}
            ),
        }
    )


def features():
    """The same schema as `datasets.Features` (imported lazily: `datasets` is slow to import)."""
    from datasets import Features

    return Features.from_arrow_schema(record_schema())


def arrow_schema():
    """`record_schema()` with the `datasets` features in its metadata: what the writer puts in every parquet
    file, so that `load_dataset` and the Hub viewer read the features back without guessing."""
    return features().arrow_schema

