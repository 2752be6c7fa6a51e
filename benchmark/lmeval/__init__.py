"""Export GlobMed-Bench as lm-evaluation-harness tasks (see `export.py`)."""
