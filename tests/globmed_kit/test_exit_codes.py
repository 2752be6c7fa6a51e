"""Exit statuses that tell the truth: a command that did not do what was asked fails with one line (exit 2).

(`globmed translate` against an unreachable endpoint: tests/dataset_builder/translate/test_translate_unreachable.py.)
"""

from __future__ import annotations

import pytest
from support.cards import write_training_info

from globmed_kit.cli import main


def _one_error_line(capsys, command: str) -> str:
    captured = capsys.readouterr()
    lines = [line for line in captured.err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith(f"globmed {command}: error: "), captured.err
    return lines[0]


def test_card_model_with_a_missing_results_folder_fails(tmp_path, capsys):
    model = tmp_path / "globmed-llm-tiny"
    write_training_info(model)  # a model folder the card can be written for
    missing = tmp_path / "no-such-results"
    assert main(["card", "model", str(model), "--results", str(missing)]) == 2
    assert f"--results {missing}: no such folder" in _one_error_line(capsys, "card")
    assert not (model / "README.md").exists()  # no card saying "(no results)"


@pytest.mark.parametrize("stages", [",", " , ", "space"])
def test_demo_stage_list_that_selects_nothing_fails(tmp_path, capsys, stages):
    """`space` is a known stage, but --no-serve leaves it out: nothing would run."""
    assert main(["demo", "--out", str(tmp_path), "--no-serve", "--stages", stages]) == 2
    assert "selects no stage to run; known: " in _one_error_line(capsys, "demo")
    assert not any(tmp_path.iterdir())  # no stage ran


def test_demo_unknown_stage_fails(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path), "--stages", "build,bild"]) == 2
    assert "unknown stage(s) bild" in _one_error_line(capsys, "demo")
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize("text", ["", "# only a comment\n", "{}\n", "---\n"])
def test_train_with_an_empty_recipe_says_so(tmp_path, capsys, text):
    recipe = tmp_path / "empty.yaml"
    recipe.write_text(text, encoding="utf-8")
    assert main(["train", "--recipe", str(recipe), "--out", str(tmp_path / "out")]) == 2
    assert f"{recipe}: the recipe is empty" in _one_error_line(capsys, "train")
    assert not (tmp_path / "out").exists()
