"""bench/gpu_smoke.sh: its CPU part runs here (tiny stand-ins), and it prints the README's GPU table."""

from __future__ import annotations

import json
import re
import subprocess

import pytest
from support.cpu_training import REPO, subprocess_env

SCRIPT = REPO / "bench" / "gpu_smoke.sh"


def _table_rows(text: str) -> list[list[str]]:
    return [[cell.strip() for cell in line.strip()[1:-1].split("|")] for line in text.splitlines()
            if line.startswith("| ")]


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    """One size (the 8B layout: untied embeddings), a few steps: the whole script, QLoRA to bench, on CPU."""
    out = tmp_path_factory.mktemp("gpu-smoke")
    done = subprocess.run([str(SCRIPT), "--cpu", "--sizes", "8b", "--qlora-steps", "4", "--full-steps", "3",
                           "--bench-items", "36", "--out", str(out)], cwd=REPO, env=subprocess_env(),
                          capture_output=True, text=True, timeout=400)
    return {"out": out, "done": done}


def test_cpu_smoke_runs_every_stage(smoke):
    done = smoke["done"]
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    header, _, *rows = _table_rows(done.stdout)
    by_run = {row[header.index("run")]: dict(zip(header, row, strict=True)) for row in rows}
    assert set(by_run) == {"qlora", "merge", "full", "globmed bench --backend transformers"}
    assert by_run["qlora"]["steps"] == "4/4" and by_run["full"]["steps"] == "3/3"
    for run in ("qlora", "full"):
        assert float(by_run[run]["step s"]) > 0 and int(by_run[run]["tokens/s"]) > 0
        assert by_run[run]["batch x length"] == "2 x 256"  # the --cpu overrides of the recipe
    assert "fp32" in by_run["merge"]["note"]
    assert by_run["globmed bench --backend transformers"]["steps"] == "36 items"
    saved = json.loads((smoke["out"] / "gpu_smoke.json").read_text())
    assert [row["run"] for row in saved["rows"]] == [row[header.index("run")] for row in rows]
    assert not (smoke["out"] / "work").exists()  # random bases and merged models are removed


def test_the_readme_gpu_table_has_the_script_columns(smoke):
    """The script's output is what the README's GPU table holds: same columns, in the same order."""
    header = _table_rows(smoke["done"].stdout)[0]
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    tables = [rows[0] for rows in (_table_rows(block) for block in readme.split("\n\n")) if rows]
    assert header in tables, header
    assert (smoke["out"] / "gpu_smoke.md").read_text().count(" | ".join(header)) == 1


def test_without_cuda_the_script_says_to_use_cpu(tmp_path):
    env = {**subprocess_env(), "CUDA_VISIBLE_DEVICES": ""}  # hides a GPU where there is one
    done = subprocess.run([str(SCRIPT), "--out", str(tmp_path)], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 2 and re.search(r"no CUDA GPU.*--cpu", done.stderr), done.stderr[-1000:]
