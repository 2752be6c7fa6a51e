"""Shared fixtures: offline environment, a tiny model built from a config, a tiny dataset folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

REALDATA = Path(__file__).resolve().parents[1].parent / "shared" / "realdata"


@pytest.fixture(scope="session")
def realdata() -> Path:
    if not REALDATA.is_dir():
        pytest.skip(f"{REALDATA} not present")
    return REALDATA


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory) -> Path:
    """A 2-layer Qwen3 model with a tokenizer trained on multilingual text; built once per session."""
    from globmed.tiny_model import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("tiny-model"))


@pytest.fixture(scope="session")
def tiny_dataset_dir(tmp_path_factory) -> Path:
    """A small synthetic dataset folder in the published layout (data/<lang>/<task>/<split>-00000-of-00001.parquet).

    Its rows are predictable (answer index = row % options), which the training and benchmark tests rely on;
    the builder's own tests build the bundled sample with the real pipeline.
    """
    from datasets import Dataset

    from globmed.languages import language_codes
    from globmed.schema import Record, TranslationInfo, features

    root = tmp_path_factory.mktemp("dataset") / "globmed"
    labels = ["entailment", "neutral", "contradiction"]
    for lang in language_codes():
        for task in ("mcqa", "nli", "lfqa"):
            for split, count in (("train", 12), ("validation", 4), ("test", 8)):
                rows = []
                for i in range(count):
                    sid = f"{split}-{i}"
                    if task == "mcqa":
                        options = [f"{lang} option {k} of item {sid}" for k in range(4)]
                        answer_index = i % 4
                        answer = options[answer_index]
                    elif task == "nli":
                        options, answer_index = labels, i % 3
                        answer = labels[answer_index]
                    else:
                        options, answer_index, answer = [], -1, f"{lang} long answer to question {sid}."
                    rows.append(
                        Record(
                            id=f"{task}src:{sid}:{lang}", parallel_id=f"{task}src:{sid}", language=lang, task=task,
                            source=f"{task}src", context="premise" if task == "nli" else "",
                            question=f"{lang} question {sid} for {task}?", options=options,
                            answer_index=answer_index, answer=answer, license="CC-BY-4.0",
                            translation=TranslationInfo(method="original" if lang == "en" else "machine"),
                        ).to_row()
                    )
                out = root / "data" / lang / task / f"{split}-00000-of-00001.parquet"
                out.parent.mkdir(parents=True, exist_ok=True)
                Dataset.from_list(rows, features=features()).to_parquet(str(out))
    (root / "README.md").write_text("---\nconfigs: []\n---\n# tiny test dataset\n")
    return root
