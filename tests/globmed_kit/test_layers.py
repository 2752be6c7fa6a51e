"""The layers contract of pyproject.toml, run by import-linter on a copy of the tree: the tree as it is keeps it,
and each kind of violation (the kernel importing a part, a part importing another, a part importing the commands)
breaks it. So `make lint` (run by `make test`) fails on the imports the architecture forbids."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("globmed", "globmed_kit", "dataset_builder", "benchmark", "training", "model_cards", "space_app")
LINT = Path(sys.executable).parent / "lint-imports"


@pytest.fixture(scope="module")
def tree(tmp_path_factory) -> Path:
    """The packages' Python files and pyproject.toml, copied (import-linter reads sources, imports nothing)."""
    if not LINT.exists():
        pytest.fail(f"{LINT} missing: `make test` installs import-linter (setup.cfg dev extra)")
    copy = tmp_path_factory.mktemp("layers")
    for package in PACKAGES:
        shutil.copytree(ROOT / package, copy / package, ignore=shutil.ignore_patterns("__pycache__", "*.pyc",
                                                                                         "*.yaml", "*.json", "*.md"))
    shutil.copy2(ROOT / "pyproject.toml", copy / "pyproject.toml")
    return copy


def lint(tree: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run([str(LINT), "--no-cache"], cwd=tree, env=env, capture_output=True, text=True, timeout=300)


def test_the_tree_keeps_the_contract(tree):
    proc = lint(tree)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "2 kept, 0 broken" in proc.stdout  # the layers, and no lm_eval in the kit


def test_importing_lm_eval_breaks_it(tree):
    probe = tree / "benchmark" / "_probe.py"
    probe.write_text("import lm_eval\n", encoding="utf-8")
    try:
        proc = lint(tree)
    finally:
        probe.unlink()
    assert proc.returncode != 0 and "BROKEN" in proc.stdout and "lm_eval" in proc.stdout


@pytest.mark.parametrize(("module", "line", "message"), [
    ("globmed/_probe.py", "import dataset_builder.pipeline\n", "globmed is not allowed to import dataset_builder"),
    ("benchmark/_probe.py", "from training import sft\n", "benchmark is not allowed to import training"),
    ("space_app/_probe.py", "import globmed_kit.release\n", "space_app is not allowed to import globmed_kit"),
])
def test_a_forbidden_import_breaks_it(tree, module, line, message):
    probe = tree / module
    probe.write_text(line, encoding="utf-8")
    try:
        proc = lint(tree)
    finally:
        probe.unlink()
    assert proc.returncode != 0
    assert message in proc.stdout and "BROKEN" in proc.stdout
