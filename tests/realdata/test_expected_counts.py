"""expected_counts.json is exactly what derive_expected_counts.py writes, and the script uses no project code."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPT = HERE / "derive_expected_counts.py"


def test_committed_counts_equal_the_scripts_output(realdata, tmp_path):
    out = tmp_path / "expected_counts.json"
    # -I -S: no site-packages and no script folder on sys.path, so only the standard library can be imported
    subprocess.run([sys.executable, "-I", "-S", str(SCRIPT), "--realdata", str(realdata), "--out", str(out)],
                   check=True, capture_output=True, text=True, timeout=300)
    assert out.read_bytes() == (HERE / "expected_counts.json").read_bytes(), \
        "expected_counts.json is stale or hand-edited: rerun python tests/realdata/derive_expected_counts.py"
