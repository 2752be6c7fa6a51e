"""A `globmed bench` process loads only what it uses (issue 14, "less around the loop").

The scoring loop needs torch and transformers; nothing else heavy belongs in the process: the dataset is read
with pyarrow (no `datasets`), metrics are scored without `evaluate` (whose import pulls in
`transformers.pipelines`), and neither pandas nor the Space's gradio is touched. (lfqa's ROUGE-L imports
`rouge_score`, whose `nltk` brings scipy, scikit-learn and pandas: the choice tasks are checked here.) The
console script also spares the interpreter's exit the cycle collector's passes over everything torch left.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

HEAVY = ("datasets", "evaluate", "pandas", "gradio", "sklearn", "matplotlib", "plotly")


def test_a_bench_run_imports_nothing_it_does_not_use(tiny_model_dir, tiny_dataset_dir, tmp_path):
    argv = ["globmed", "bench", "--model", str(tiny_model_dir), "--dataset", str(tiny_dataset_dir),
            "--tasks", "mcqa,nli", "--languages", "en,sw", "--limit", "2", "--shots", "1",
            "--device", "cpu", "--out", str(tmp_path / "results")]
    code = textwrap.dedent(f"""
        import atexit, gc, json, sys
        atexit.register(lambda: print(json.dumps({{"frozen": gc.get_freeze_count() > 0}})))  # runs after main's
        from globmed_kit.cli import main
        sys.argv = {argv!r}
        status = main()
        print(json.dumps({{"status": status, "heavy": sorted(m for m in {HEAVY!r} if m in sys.modules)}}))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    first, second = (json.loads(line) for line in out.stdout.strip().splitlines()[-2:])
    assert first == {"status": 0, "heavy": []}
    assert second == {"frozen": True}
    assert len(list((tmp_path / "results").glob("*.samples.jsonl"))) == 1


def test_main_called_with_arguments_leaves_the_collector_alone():
    """Tests and callers that pass argv keep a normal garbage collector (the freeze is for the console script)."""
    code = textwrap.dedent("""
        import atexit, gc
        atexit.register(lambda: print("frozen objects:", gc.get_freeze_count()))
        from globmed_kit.cli import main
        main([])
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "frozen objects: 0"
