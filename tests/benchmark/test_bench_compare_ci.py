"""Paired bootstrap intervals of `globmed bench compare` on constructed results + samples files."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import numpy as np
import pytest

from benchmark.compare import compare_files, format_comparison
from globmed.atomic import atomic_write_json
from globmed.paired import headline_matrix
from globmed.results import ModelInfo, RunResult, TaskResult
from globmed_kit.cli import main

CELLS = ("en-mcqa", "fr-nli", "en-lfqa", "sw-mcqa", "yo-mcqa", "zu-nli")


def write_run(folder: Path, name: str, cells: dict[str, list[float]], primary: str = "acc") -> Path:
    """A results JSON + samples JSONL whose cell scores are the means of the given item scores."""
    results, samples = {}, []
    for key, scores in cells.items():
        language, task = key.split("-")
        metric = "rougeL" if task == "lfqa" else primary
        results[key] = TaskResult(
            language=language,
            task=task,
            primary_metric=metric,
            metrics={metric: float(np.mean(scores))},
            n=len(scores),
        )
        samples += [
            {"id": f"{key}-{i:03d}", "language": language, "task": task, "source": "s", "score": float(s)}
            for i, s in enumerate(scores)
        ]
    run = RunResult(
        model=ModelInfo(name=name), config={}, dataset={}, provenance={}, results=results, aggregates={}, run_id=name
    )
    path = folder / f"{name}.json"
    atomic_write_json(path, run.to_dict())
    (folder / f"{name}.samples.jsonl").write_text("".join(json.dumps(s) + "\n" for s in samples), encoding="utf-8")
    return path


def base_cells(seed: int = 0, n: int = 40) -> dict[str, list[float]]:
    rng = np.random.default_rng(seed)
    out = {}
    for key in CELLS:
        if key.endswith("lfqa"):
            out[key] = rng.uniform(0.05, 0.5, size=n).round(4).tolist()
        else:
            p = 0.2 if key.split("-")[0] in {"sw", "yo", "zu"} else 0.5
            out[key] = (rng.random(n) < p).astype(float).tolist()
    return out


@pytest.fixture()
def pair(tmp_path):
    """Base run and a fine-tune that is better on most items (flips 40% of the base's misses to hits)."""
    base = base_cells()
    rng = np.random.default_rng(1)
    tuned = {}
    for key, scores in base.items():
        x = np.asarray(scores)
        if key.endswith("lfqa"):
            tuned[key] = np.minimum(x + rng.uniform(0.05, 0.2, size=x.size), 1.0).round(4).tolist()
        else:
            tuned[key] = np.where((x == 0) & (rng.random(x.size) < 0.4), 1.0, x).tolist()
    return write_run(tmp_path, "base", base), write_run(tmp_path, "tuned", tuned)


def test_intervals_contain_the_point_estimates_and_are_seeded(pair):
    a, b = pair
    c = compare_files(a, b, resamples=400, seed=7)
    assert set(c["ci"]) == {"average_relative_improvement", "low_resource_fold_change", "high_resource_fold_change"}
    for name, (low, high) in c["ci"].items():
        assert low < c[name] < high, name
    assert c["bootstrap"]["paired_items"] == 40 * len(CELLS) and c["bootstrap"]["note"] is None
    # uniformly better: the whole interval is above 0 (ARI) and above 1 (fold changes)
    assert c["ci"]["average_relative_improvement"][0] > 0
    assert c["ci"]["low_resource_fold_change"][0] > 1 and c["ci"]["high_resource_fold_change"][0] > 1
    again = compare_files(a, b, resamples=400, seed=7)
    assert again["ci"] == c["ci"]
    assert compare_files(a, b, resamples=400, seed=8)["ci"] != c["ci"]
    text = format_comparison(c)
    low, high = c["ci"]["average_relative_improvement"]
    assert f"(95% CI {low * 100:+.1f}% to {high * 100:+.1f}%; significant)" in text
    assert "paired bootstrap: 400 replicates over 240 items" in text


def test_identical_runs_give_zero_with_an_interval_at_zero(tmp_path):
    cells = base_cells()
    c = compare_files(write_run(tmp_path, "a", cells), write_run(tmp_path, "b", cells), resamples=300)
    assert c["average_relative_improvement"] == 0.0
    assert c["ci"]["average_relative_improvement"] == [0.0, 0.0]
    assert c["ci"]["low_resource_fold_change"] == pytest.approx([1.0, 1.0])


def test_same_accuracy_on_different_items_gives_an_interval_around_zero(tmp_path):
    """B gets as many items right as A in every cell, but different ones: ARI 0, interval straddling 0."""
    cells = {k: v for k, v in base_cells().items() if not k.endswith("lfqa")}
    shifted = {k: list(np.roll(v, 7)) for k, v in cells.items()}
    c = compare_files(write_run(tmp_path, "a", cells), write_run(tmp_path, "b", shifted), resamples=300)
    assert c["average_relative_improvement"] == pytest.approx(0.0)
    low, high = c["ci"]["average_relative_improvement"]
    assert low < 0 < high


def test_pairing_is_by_sample_id_not_file_order(pair, tmp_path):
    a, b = pair
    c = compare_files(a, b, resamples=200, seed=3)
    samples = b.with_name("tuned.samples.jsonl")
    lines = samples.read_text(encoding="utf-8").splitlines()
    random.Random(0).shuffle(lines)
    samples.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert compare_files(a, b, resamples=200, seed=3)["ci"] == c["ci"]


def test_pairing_matters(tmp_path):
    """B = A with a few misses fixed: the paired interval is far narrower than an unpaired bootstrap's would be.

    Unpaired is emulated by permuting B's scores within each cell (same ids, same cell means), which keeps every
    point estimate and only breaks the item-level link between A and B.
    """
    rng = np.random.default_rng(2)
    base = {k: (rng.random(60) < 0.5).astype(float) for k in ("en-mcqa", "fr-mcqa", "de-nli")}
    tuned = {k: np.where((x == 0) & (rng.random(60) < 0.2), 1.0, x) for k, x in base.items()}
    a = write_run(tmp_path, "a", {k: v.tolist() for k, v in base.items()})
    paired = compare_files(a, write_run(tmp_path, "b", {k: v.tolist() for k, v in tuned.items()}), resamples=500)
    shuffled = {k: rng.permutation(v).tolist() for k, v in tuned.items()}
    unpaired = compare_files(a, write_run(tmp_path, "c", shuffled), resamples=500)
    assert unpaired["average_relative_improvement"] == pytest.approx(paired["average_relative_improvement"])
    (p_low, p_high), (u_low, u_high) = (x["ci"]["average_relative_improvement"] for x in (paired, unpaired))
    assert p_low > 0 and u_low < p_low  # a paired gain is never negative here; unpaired draws can be
    assert u_high - u_low > 2 * (p_high - p_low)


def test_missing_samples_file_prints_point_estimates(pair, capsys):
    a, b = pair
    a.with_name("base.samples.jsonl").unlink()
    assert main(["bench", "compare", str(a), str(b)]) == 0
    out = capsys.readouterr().out
    notes = [line for line in out.splitlines() if "no confidence intervals" in line]
    assert len(notes) == 1 and "base.samples.jsonl not found" in notes[0] and "point estimates only" in notes[0]
    assert "95% CI" not in out
    assert "average relative improvement: +" in out


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda rows: rows[1:], "do not match its results in cell"),
        (lambda rows: [{**rows[0], "id": "other"}, *rows[1:]], "not run on the same items"),
        (lambda rows: [rows[0], rows[0], *rows[2:]], "appears twice"),
        (lambda rows: [{k: v for k, v in rows[0].items() if k != "score"}, *rows[1:]], "missing 'score'"),
    ],
)
def test_unusable_samples_are_named(pair, edit, message):
    a, b = pair
    samples = b.with_name("tuned.samples.jsonl")
    rows = [json.loads(line) for line in samples.read_text(encoding="utf-8").splitlines()]
    samples.write_text("".join(json.dumps(r) + "\n" for r in edit(rows)), encoding="utf-8")
    c = compare_files(a, b, resamples=100)
    assert c["ci"] == {} and message in c["bootstrap"]["note"]
    assert c["average_relative_improvement"] is not None


def test_cli_json_output_and_bootstrap_flag(pair, tmp_path, capsys):
    a, b = pair
    out = tmp_path / "figures" / "compare.json"
    out.parent.mkdir()
    assert main(["bench", "compare", str(a), str(b), "--bootstrap", "200", "--seed", "11", "--json", str(out)]) == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["ci"] == compare_files(a, b, resamples=200, seed=11)["ci"]  # JSON floats round-trip exactly
    assert data["bootstrap"]["replicates"] == 200 and data["bootstrap"]["seed"] == 11
    assert data["ci"]["average_relative_improvement"][0] < data["average_relative_improvement"]
    assert f"wrote {out}" in capsys.readouterr().out
    written = out.read_bytes()
    again = ["bench", "compare", str(a), str(b), "--bootstrap", "50", "--json", str(out)]
    assert main(again) == 2 and out.read_bytes() == written  # an existing file is never replaced silently
    assert "exists; pass --overwrite" in capsys.readouterr().err
    assert main([*again, "--overwrite"]) == 0 and json.loads(out.read_text())["bootstrap"]["replicates"] == 50
    capsys.readouterr()
    assert main(["bench", "compare", str(a), str(b), "--bootstrap", "0"]) == 0
    assert "95% CI" not in capsys.readouterr().out
    assert main(["bench", "compare", str(a), str(b), "--bootstrap", "-3"]) == 2
    assert main(["bench", "--model", "x", "--json", str(out)]) == 2


def test_zero_base_cells_drop_out_per_replicate():
    """A cell whose base mean is 0 on a replicate leaves that replicate's ARI, as it leaves the point estimate."""
    means_a = np.array([[0.5, 0.0, 0.0], [0.2, 0.4, 0.0]])
    means_b = np.array([[0.6, 0.3, 0.1], [0.4, 0.4, 0.2]])
    figures = headline_matrix(means_a, means_b, np.array([False, True]))
    assert figures["average_relative_improvement"][:2] == pytest.approx([(0.2 + 1.0) / 2, 0.0])
    assert np.isnan(figures["average_relative_improvement"][2])
    assert figures["low_resource_fold_change"][:2] == pytest.approx([2.0, 1.0])
    assert np.isnan(figures["low_resource_fold_change"][2])


def test_every_printed_language_row_agrees_with_itself(tmp_path, capsys):
    """Issue 13 item 11: `rel.` is the relative change of the two printed means, not a mean of per-cell changes.

    Japanese is built so the two differ in sign: mcqa 0.30 -> 0.40 (+33%), nli 0.10 -> 0.00 (-100%), so the mean
    of per-cell changes is -33% while the language's mean is unchanged (0.20 -> 0.20). Each row is re-derived from
    its own printed numbers only: rel. from base and tuned (allowing for their 4-digit rounding), the difference
    likewise, and "yes" exactly when the printed interval excludes 0.
    """
    n = 20

    def hits(k: int) -> list[float]:
        return [1.0] * k + [0.0] * (n - k)

    base = {"ja-mcqa": hits(6), "ja-nli": hits(2), "en-mcqa": hits(10), "sw-mcqa": hits(3), "sw-nli": hits(5)}
    tuned = {"ja-mcqa": hits(8), "ja-nli": hits(0), "en-mcqa": hits(19), "sw-mcqa": hits(4), "sw-nli": hits(5)}
    a, b = write_run(tmp_path, "base", base), write_run(tmp_path, "tuned", tuned)
    assert main(["bench", "compare", str(a), str(b), "--bootstrap", "300"]) == 0
    out = capsys.readouterr().out
    pattern = (r"^(\w+)\s+(\d\.\d{4})\s+(\d\.\d{4})\s+([+-]\d+\.\d)%\s+([+-]\d\.\d{4}) "
               r"\(([+-]\d\.\d{4}) to ([+-]\d\.\d{4})\)\s+(yes|no)$")
    rows = {m[1]: m.groups()[1:] for line in out.splitlines() if (m := re.match(pattern, line))}
    assert set(rows) == {"en", "ja", "sw"}, out
    for lang, (a_txt, b_txt, rel_txt, diff_txt, low_txt, high_txt, mark) in rows.items():
        base_mean, tuned_mean, rel = float(a_txt), float(b_txt), float(rel_txt)
        half = 0.00005  # rounding of the printed means
        candidates = [100 * (y / x - 1) for x in (base_mean - half, base_mean + half)
                      for y in (tuned_mean - half, tuned_mean + half)]
        assert min(candidates) - 0.05 <= rel <= max(candidates) + 0.05, (lang, out)
        assert abs(float(diff_txt) - (tuned_mean - base_mean)) <= 2 * half + 0.00005, (lang, out)
        low, high = float(low_txt), float(high_txt)
        assert low <= float(diff_txt) <= high, (lang, out)
        assert (mark == "yes") == (low > 0 or high < 0), (lang, out)
    assert rows["ja"][:3] == ("0.2000", "0.2000", "+0.0")  # not -33.3%, the mean of the per-cell changes
    assert rows["en"][-1] == "yes" and rows["ja"][-1] == "no"
