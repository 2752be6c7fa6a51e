"""Generated prompt files match their table; task YAMLs are strict; prompts are composed as lm-eval does."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from benchmark.prompts import generate as gen
from benchmark.prompts import load_prompts
from benchmark.tasks import get_task, parse_task
from globmed.errors import GlobMedError
from globmed.languages import language_codes


def test_generated_files_are_up_to_date_and_marked():
    table = yaml.safe_load(gen.TABLE.read_text(encoding="utf-8"))
    assert set(table["languages"]) == set(language_codes())
    for code, row in table["languages"].items():
        path = gen.HERE / f"{code}.yaml"
        text = path.read_text(encoding="utf-8")
        assert text.startswith("# GENERATED")
        assert yaml.safe_load(text) == gen.render_language(code, row, str(table["prompt_version"])), code


def test_generator_does_not_overwrite_without_force(tmp_path: Path):
    assert len(gen.generate(out_dir=tmp_path)) == 12
    (tmp_path / "sw.yaml").write_text("edited")
    assert gen.generate(out_dir=tmp_path) == []
    assert (tmp_path / "sw.yaml").read_text() == "edited"
    assert len(gen.generate(out_dir=tmp_path, force=True)) == 12


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
