"""Task files: discovered by file in the record schema's family order, strict, every problem named in one line."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from globmed import tasks
from globmed.errors import GlobMedError
from globmed.schema import TASKS


@pytest.fixture
def task_folder(tmp_path, monkeypatch):
    """A private copy of benchmark/tasks that the registry reads instead of the shipped one."""
    folder = tmp_path / "tasks"
    shutil.copytree(tasks.tasks_dir(), folder)
    monkeypatch.setattr(tasks, "tasks_dir", lambda: folder)
    tasks.task_registry.cache_clear()
    yield folder
    tasks.task_registry.cache_clear()


def edit(path: Path, change) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def test_shipped_tasks_are_the_files_in_family_order():
    assert tasks.task_names() == list(TASKS)
    assert sorted(p.stem for p in tasks.tasks_dir().glob("*.yaml")) == sorted(TASKS)
    assert tasks.get_task("nli").card.hub_task_category == "text-classification"


def test_tasks_are_discovered_by_file(task_folder):
    (task_folder / "nli.yaml").unlink()
    assert tasks.task_names() == ["mcqa", "lfqa"]
    with pytest.raises(GlobMedError, match=r"unknown task 'nli'.*Known: lfqa, mcqa"):
        tasks.get_task("nli")
    assert tasks.parse_tasks("all") == ["mcqa", "lfqa"] and tasks.parse_tasks("lfqa,mcqa") == ["mcqa", "lfqa"]


@pytest.mark.parametrize(
    ("name", "change", "message"),
    [
        ("mcqa.yaml", lambda d: d.update(task="nli"), "benchmark/tasks/mcqa.yaml: task 'nli' must be the file's name"),
        ("mcqa.yaml", lambda d: d.update(task="qa"), "task 'qa' is not a record task family (mcqa, nli, lfqa)"),
        ("lfqa.yaml", lambda d: d["card"].pop("name"), "lfqa.yaml: card: missing required key 'name'"),
        ("mcqa.yaml", lambda d: d["prompt"]["languages"]["sw"].pop("question"),
         "prompt.languages.sw: no word for $question (used by the layout)"),
        ("mcqa.yaml", lambda d: d["prompt"]["languages"]["sw"].update(qestion="Swali"),
         "prompt.languages.sw: unknown key(s) qestion"),
        ("nli.yaml", lambda d: d["prompt"]["languages"]["yo"]["labels"].pop("neutral"),
         "prompt.languages.yo.labels: words for contradiction, entailment, but languages.en.labels has words for "
         "contradiction, entailment, neutral"),
        ("nli.yaml", lambda d: d["prompt"]["languages"]["zu"].pop("answer_variants"),
         "prompt.languages.zu: keys differ from languages.en (answer_variants)"),
    ],
    ids=["name-mismatch", "not-a-family", "card-key", "missing-word", "unknown-word", "labels-differ", "row-keys"],
)
def test_broken_task_file_is_named(task_folder, name, change, message):
    edit(task_folder / name, change)
    with pytest.raises(GlobMedError, match=re.escape(message)):
        tasks.task_names()


def test_fill_words():
    assert tasks.fill_words("{% set n = $labels %}$answer:", {"labels": {"a": "é"}, "answer": "Jibu"}, "x") == (
        '{% set n = {"a": "é"} %}Jibu:'
    )
    assert tasks.layout_words("$a ${b} $$c") == {"a", "b"}
    with pytest.raises(GlobMedError, match=r"^here: no word for \$answer$"):
        tasks.fill_words("$answer:", {}, "here")
    with pytest.raises(GlobMedError, match=r"write \$\$ for a literal dollar sign"):
        tasks.fill_words("costs $5", {}, "here")
