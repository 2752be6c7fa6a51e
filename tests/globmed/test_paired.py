"""The one significance rule and the paired gains, and that the CLI, the model card and the Space agree."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from support.cards import make_release_root, synthetic_run, write_run, write_samples

from globmed.bootstrap import significant
from globmed.paired import PairedRuns
from globmed.results import load_results_dir


@pytest.mark.parametrize(
    ("ci", "null", "expected"),
    [
        ([0.01, 0.2], 0.0, True),
        ([-0.2, -0.01], 0.0, True),
        ([-0.01, 0.2], 0.0, False),
        ([0.0, 0.2], 0.0, False),  # touching no change is not excluding it
        ([1.05, 1.8], 1.0, True),  # a fold change is tested against 1
        ([0.9, 1.8], 1.0, False),
        (None, 0.0, False),  # no interval, no claim
    ],
)
def test_significant_only_when_the_interval_excludes_no_change(ci, null, expected):
    assert significant(ci, null) is expected


def _pair(folder: Path):
    base = synthetic_run("base", {"en": 0.5, "fr": 0.4, "sw": 0.2, "yo": 0.3})
    tuned = synthetic_run("tuned", {"en": 0.55, "fr": 0.5, "sw": 0.3, "yo": 0.3}, base_model="base")
    for run in (base, tuned):
        write_run(folder, run)
    return base, tuned, write_samples(folder, base), write_samples(folder, tuned)


def test_gains_are_the_differences_of_the_means_over_the_shared_cells(tmp_path):
    base, tuned, samples_a, samples_b = _pair(tmp_path)
    paired = PairedRuns.build(base, tuned, samples_a, samples_b, resamples=300)

    def mean(run, keep) -> float:
        return float(np.mean([r.score for r in run.results.values() if keep(r)]))

    sw = paired.gain("per_language", "sw")
    assert sw.base == pytest.approx(mean(base, lambda r: r.language == "sw"))
    assert sw.tuned == pytest.approx(mean(tuned, lambda r: r.language == "sw"))
    assert sw.difference.value == pytest.approx(sw.tuned - sw.base)
    assert sw.relative == pytest.approx(sw.tuned / sw.base - 1)
    assert sw.items == sum(r.n for r in base.results.values() if r.language == "sw")
    low, high = sw.difference.ci
    assert low <= sw.difference.value <= high
    nli = paired.gain("per_task", "nli")
    assert nli.tuned - nli.base == pytest.approx(mean(tuned, lambda r: r.task == "nli") - mean(
        base, lambda r: r.task == "nli"))
    yo = paired.gain("per_language", "yo")  # same score and the same items: no change, and not significant
    assert yo.difference.value == pytest.approx(0.0) and not yo.significant
    assert paired.gain("cell", "de-mcqa").difference.value is None  # not a shared cell
    unpaired = PairedRuns.build(base, tuned)
    assert unpaired.gain("per_language", "sw").difference.ci is None and not unpaired.gain("overall").significant
    assert "not given" in unpaired.note


def test_cli_card_and_space_agree_on_every_shown_gain(tmp_path, capsys):
    """The same two runs: `bench compare`, the model card and the Space's gains table show the same intervals and
    call the same gains significant."""
    from globmed_kit.cli import main
    from model_cards.model_card import write_model_card
    from space_app.leaderboard import Leaderboard
    from space_app.plots import paired_gains

    model_source = tmp_path / "model-source"
    model_source.mkdir()
    (model_source / "config.json").write_text(json.dumps({"num_hidden_layers": 2, "hidden_size": 64}))
    dataset = tmp_path / "dataset"
    (dataset / "data").mkdir(parents=True)  # the model card needs no dataset rows
    root = make_release_root(tmp_path / "release", model_source, dataset)
    results = root / "results"
    files = {run.model.name: results / f"{run.run_id}.json" for run in load_results_dir(results)}
    assert main(["bench", "compare", str(files["globmed-llm-tiny-base"]), str(files["globmed-llm-tiny"])]) == 0
    cli = capsys.readouterr().out
    card = write_model_card(root / "globmed-llm-tiny").read_text(encoding="utf-8")
    # headline figures: the card's lines are the CLI's, word for word
    for label in ("average relative improvement", "low-resource fold change", "high-resource fold change"):
        cli_text = next(line for line in cli.splitlines() if line.startswith(label)).split(":", 1)[1].strip()
        assert f"- {label}: {cli_text}" in card
    # per language: the CLI's interval of tuned - base (4 digits) and verdict = the card's (points, 1 digit)
    matched = []
    for match in re.finditer(r"^(\w\w)\s+\S+\s+\S+\s+\S+\s+([+-][\d.]+) \(([+-][\d.]+) to ([+-][\d.]+)\)\s+(yes|no)$",
                             cli, re.MULTILINE):
        lang, point, low, high, verdict = match.groups()
        row = next(line for line in card.splitlines() if f"(`{lang}`)" in line)
        shown = re.search(r"\| ([+-][\d.]+) \(([+-][\d.]+) to ([+-][\d.]+)\) \|", row).groups()
        cli_points = [100 * float(x) for x in (point, low, high)]
        assert [float(x) for x in shown] == pytest.approx(cli_points, abs=0.051)  # 1 digit vs 4 digits
        assert row.endswith("| **yes** |" if verdict == "yes" else "| no |")
        matched.append(lang)
    assert matched == ["en", "fr", "sw", "yo"], cli
    # the Space's table (overall, high- and low-resource) = the card's summary rows
    board = Leaderboard(load_results_dir(results))
    space = paired_gains(board, results).iloc[0]
    for key, label in (("Overall", "**overall**"), ("High-resource", "**high-resource mean**"),
                       ("Low-resource", "**low-resource mean**")):
        row = next(line for line in card.splitlines() if line.startswith(f"| {label} |"))
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        assert cells[4] == space[f"{key} gain, points (95% CI)"]
        assert cells[6].strip("*") == space[f"{key} significant"]
    no_samples = paired_gains(board, None).iloc[0]
    assert no_samples["Overall gain, points (95% CI)"].endswith("(no interval)")
    assert no_samples["Overall significant"] == "–"
