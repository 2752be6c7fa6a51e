"""`globmed build` from the command line: summary, one-line errors with exit 2, offline Hub, load_dataset."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from globmed_kit.cli import main


def _run(argv, capsys):
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_build_prints_summary(published, tmp_path, capsys):
    yaml_path, _ = published
    code, out, _ = _run(["build", "--sources", str(yaml_path), "--languages", "en,sw", "--out", str(tmp_path),
                         "--no-progress"], capsys)
    assert code == 0
    assert "lang" in out and "mcqa" in out and "rejects by reason:" in out and "near_duplicate" in out
    assert (tmp_path / "globmed" / "build_report.json").is_file()


@pytest.mark.parametrize(
    ("yaml_text", "args", "needle"),
    [
        ("sources: [\n  - id: x\n  task: mcqa", [], "malformed YAML"),
        ("sources:\n  - {id: x, task: mcqa, format: json, files: a.json, path: nowhere, fields: {question: q, "
         "options: o, answer: a}}\n", [], "source file not found"),
        ("sources:\n  - {id: x, task: quiz, format: json, files: a.json, path: ., fields: {question: q}}\n", [],
         "task 'quiz'"),
        ("sources:\n  - {id: x, task: mcqa, format: json, files: a.json, path: ., colour: red, fields: {}}\n", [],
         "unknown key 'colour'"),
        ("sources:\n  - {id: x, task: mcqa, format: json, files: a.json, path: ., adapter: magic}\n", [],
         "unknown adapter 'magic'"),
        ("build: {near_treshold: 0.5}\nsources:\n  - {id: x, task: lfqa, format: json, files: a.json, path: ., "
         "fields: {question: q, answer: a}}\n", [],
         "build: unknown key 'near_treshold' (did you mean 'near_threshold'?)"),
        (None, ["--languages", "en,xx"], "unknown language code 'xx'"),
        (None, ["--sources", "nope.yaml"], "no such file"),
    ],
)
def test_errors_are_one_line_exit_2(tmp_path, capsys, yaml_text, args, needle):
    argv = ["build", "--out", str(tmp_path / "rel"), "--no-progress"]
    if yaml_text is not None:
        path = tmp_path / "bad.yaml"
        path.write_text(yaml_text)
        argv += ["--sources", str(path)]
    code, _out, err = _run(argv + args, capsys)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("globmed build: error:"), err
    assert needle in lines[0]
    assert not (tmp_path / "rel" / "globmed").exists()


def test_config_file_then_flags(published, tmp_path, capsys):
    """Defaults < the sources YAML's build: block < --config FILE < flags."""
    yaml_path, _ = published
    options = tmp_path / "build.yaml"
    options.write_text("near_threshold: 0.9\nseed: 7\nlanguages: [en, sw]\nsplit_ratios: {train: 0.5, validation: "
                       "0.25, test: 0.25}\n")
    code, _, err = _run(["build", "--sources", str(yaml_path), "--config", str(options), "--seed", "9",
                         "--no-near-dedup", "--out", str(tmp_path), "--no-progress"], capsys)
    assert code == 0, err
    config = json.loads((tmp_path / "globmed" / "build_report.json").read_text())["config"]
    assert (config["near_threshold"], config["seed"], config["near_dedup"]) == (0.9, 9, False)
    assert config["languages"] == ["en", "sw"] and config["split_ratios"]["train"] == 0.5
    options.write_text("near_treshold: 0.9\n")
    code, _, err = _run(["build", "--config", str(options), "--out", str(tmp_path / "rel")], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "build.yaml: build config: unknown key 'near_treshold' (did you mean 'near_threshold'?)" in err


def test_hub_sources_offline_fail_fast(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.delenv("GLOBMED_HUB_MIRROR", raising=False)
    code, _, err = _run(["build", "--sources", "hub", "--out", str(tmp_path)], capsys)
    assert code == 2
    assert "source medqa (Hub dataset ruiyang-medinfo/GlobMed_MedQA)" in err and "HF_HUB_OFFLINE" in err
    assert "--sources sample" in err


def test_subprocess_error_has_no_traceback(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "globmed_kit.cli", "build", "--languages", "klingon", "--out",
                           str(tmp_path)], capture_output=True, text=True, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("command", ["build"])
def test_help(command, capsys):
    with pytest.raises(SystemExit) as exc:
        main([command, "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "--sources" in out and "--config FILE" in out
    assert "--near-threshold X" in out and "(default: 0.8)" in out  # generated from BuildConfig


def test_load_dataset_offline_from_release_root(built):
    """From ROOT, load_dataset("globmed", CONFIG) resolves to ROOT/globmed, offline, in a fresh process."""
    result, _ = built
    root = result.out.parent
    script = textwrap.dedent("""
        import datasets, json
        out = {}
        for config in ("sw", "mcqa", "zu-nli", None):
            ds = datasets.load_dataset("globmed", config) if config else datasets.load_dataset("globmed")
            out[config or "default"] = {split: ds[split].num_rows for split in ds}
            out[(config or "default") + "_langs"] = sorted(set(ds["train"]["language"]))
            out[(config or "default") + "_tasks"] = sorted(set(ds["train"]["task"]))
        print(json.dumps(out))
    """)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "HF_HOME": str(root / ".hf")}
    proc = subprocess.run([sys.executable, "-c", script], cwd=root, capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    import json

    got = json.loads(proc.stdout.strip().splitlines()[-1])
    counts = result.report["counts"]
    assert got["zu-nli"] == counts["zu"]["nli"]
    assert got["sw_langs"] == ["sw"] and got["sw_tasks"] == ["lfqa", "mcqa", "nli"]
    assert got["mcqa_tasks"] == ["mcqa"] and got["mcqa_langs"] == ["en", "fr", "sw", "zu"]
    assert got["default"]["test"] == sum(c[t].get("test", 0) for c in counts.values() for t in c)
    assert got["sw"]["train"] == sum(counts["sw"][t]["train"] for t in counts["sw"])


def test_nothing_kept_is_an_error_and_writes_nothing(published, tmp_path, capsys):
    yaml_path, _ = published
    code, _, err = _run(["build", "--sources", str(yaml_path), "--languages", "ja", "--out", str(tmp_path),
                         "--no-progress"], capsys)
    assert code == 2 and "no rows kept (0 read" in err
    assert not (tmp_path / "globmed").exists()


def test_next_steps_suggest_only_what_the_splits_allow(tmp_path):
    """A test-only source (MedQA's test file alone) gives no train split: train is not suggested, bench is."""
    from dataset_builder.cli import next_steps

    dataset = tmp_path / "rel" / "globmed"
    both = next_steps(dataset, {"train": 10, "validation": 2, "test": 5})
    assert "globmed train --recipe" in both and "globmed bench --model MODEL" in both
    test_only = next_steps(dataset, {"train": 0, "validation": 0, "test": 5})
    assert "globmed train" not in test_only.replace("`globmed train` needs one", "")
    assert "no train split" in test_only and "globmed bench --model MODEL" in test_only
    assert "no test split" in next_steps(dataset, {"train": 10, "validation": 0, "test": 0})
