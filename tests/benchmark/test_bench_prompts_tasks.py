"""Every task renders in every language; task YAMLs are strict; prompts are composed as lm-eval does."""

from __future__ import annotations

import pytest

from benchmark.prompts import load_prompts, prompt_version
from globmed.errors import GlobMedError
from globmed.languages import language_codes
from globmed.tasks import get_task, parse_task, task_names

DOCS = {
    "mcqa": {"context": "", "question": "q?", "options": ["a", "b", "c"], "answer_index": 1, "answer": "b"},
    "nli": {"context": "p.", "question": "h.", "options": ["entailment", "neutral", "contradiction"],
            "answer_index": 0, "answer": "entailment"},
    "lfqa": {"context": "c.", "question": "q?", "options": [], "answer_index": -1, "answer": "a long answer"},
}


@pytest.mark.parametrize("task", task_names())
@pytest.mark.parametrize("language", language_codes())
def test_every_language_and_task_renders_ending_with_its_answer_cue(language, task):
    """12 languages x 3 tasks: description + question in the language, ending with the answer word (`Jibu:`)."""
    prompts = load_prompts(language)
    row = get_task(task).prompt.languages[language]
    prompt = prompts.build(task, DOCS[task], [DOCS[task]])
    assert prompt.startswith(row["instruction"] + "\n\n")
    assert prompt.endswith(row["answer"] + ":")
    assert row["answer"] in prompts.answer_words and "$" not in prompt


def test_prompt_in_the_language_with_localised_labels():
    doc = {
        "context": "Mgonjwa ana homa.",
        "question": "Mgonjwa ni mzima.",
        "options": ["entailment", "neutral", "contradiction"],
        "answer_index": 2,
        "answer": "contradiction",
    }
    sw = load_prompts("sw")
    prompt = sw.build("nli", doc, [doc])
    assert prompt.startswith(sw.description("nli"))
    assert "C. kupingana\nJibu: C\n\nDhana: Mgonjwa ana homa." in prompt
    assert prompt.endswith("Jibu:") and "contradiction" not in prompt


def test_task_yaml_is_strict():
    assert get_task("nli").metrics == ("accuracy", "macro_f1") and get_task("lfqa").output_type == "generate_until"
    with pytest.raises(GlobMedError, match="unknown key"):
        parse_task({"task": "mcqa", "version": 1, "metrix": []}, "x.yaml")
    with pytest.raises(GlobMedError, match="missing required key 'version'"):
        parse_task({"task": "mcqa"}, "x.yaml")


def test_prompt_version_is_shared_or_per_task(monkeypatch):
    assert prompt_version(task_names()) == "1"  # what every results file so far records
    lfqa = get_task("lfqa")
    bumped = lfqa.__class__(**{**vars(lfqa), "prompt": lfqa.prompt.__class__(**{**vars(lfqa.prompt), "version": "2"})})
    monkeypatch.setattr("benchmark.prompts.get_task", lambda name: bumped if name == "lfqa" else get_task(name))
    assert prompt_version(["mcqa", "lfqa"]) == "mcqa:1,lfqa:2"
    assert prompt_version(["lfqa"]) == "2"
