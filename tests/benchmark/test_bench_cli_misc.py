"""CLI help and one-line errors, roster parsing and resume, lm-eval export parsed by lm-eval's own loader."""

from __future__ import annotations

import pytest
import yaml
from support.needs import need_module

from globmed_kit.cli import main


def test_help_lists_actions(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["bench", "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "compare" in out and "--roster" in out and "export-lmeval" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["bench"], "exactly one of --model"),
        (["bench", "--model", "x", "--backend", "vlm"], "unknown backend 'vlm'. Did you mean vllm"),
        (["bench", "--model", "x", "--languages", "sww"], "unknown language code 'sww'"),
        (["bench", "--model", "x", "--tasks", "mcq"], "unknown task 'mcq'"),
        (["bench", "--model", "x", "--resamples", "-1"], "--resamples must be >= 0 (0: no confidence"),
        (["bench", "compare", "only-one.json"], "compare takes two results files"),
        (["bench", "compare", "missing-a.json", "missing-b.json"], "missing-a.json: cannot read results JSON"),
    ],
)
def test_one_line_errors(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1


def test_config_file_then_flags_make_the_run_config(tmp_path, capsys):
    from benchmark.cli import base_config, flag_sets
    from globmed.cli_args import file_and_flags
    from globmed.languages import language_codes
    from globmed_kit.cli import build_parser

    path = tmp_path / "bench.yaml"
    path.write_text("model: org/from-file\ndtype: float16\nshots: 2\nlanguages: [sw, en]\njudge_model: judge\n"
                    "extra_body: {chat_template_kwargs: {enable_thinking: false}}\n")
    args = build_parser("bench").parse_args(["bench", "--config", str(path), "--shots", "1", "--batch-size", "4",
                                             "--model-type", "globmed", "--timeout", "9"])
    config = base_config(file_and_flags(args, flag_sets(), "bench config"))
    assert (config.model.name, config.model.path, config.model.type) == ("org/from-file", "org/from-file", "globmed")
    assert config.shots == 1 and config.languages == ["en", "sw"] and config.tasks == ["mcqa", "nli", "lfqa"]
    backend = config.backend_config
    assert (backend.model, backend.dtype, backend.batch_size, backend.timeout_s) == ("org/from-file", "float16", 4, 9)
    assert backend.extra_body == {"chat_template_kwargs": {"enable_thinking": False}}
    assert backend.api_key_env == "OPENAI_API_KEY" and config.judge.model == "judge"
    bare = build_parser("bench").parse_args(["bench", "--model", "m"])
    assert base_config(file_and_flags(bare, flag_sets(), "bench config")).languages == language_codes()
    path.write_text("shot: 2\n")
    assert main(["bench", "--config", str(path), "--model", "m"]) == 2
    assert "bench.yaml: bench config: unknown key 'shot' (did you mean 'shots'?)" in capsys.readouterr().err
    assert main(["bench", "--model", "m", "--batch-size", "0"]) == 2
    assert "batch_size: expected a positive integer or 'auto', got 0" in capsys.readouterr().err


def test_missing_dataset_is_a_one_line_error(tiny_model_dir, tmp_path, capsys):
    argv = ["bench", "--model", str(tiny_model_dir), "--dataset", str(tmp_path / "nope"), "--out", str(tmp_path)]
    assert main(argv) == 2
    assert "no such folder" in capsys.readouterr().err


def test_bundled_roster_parses_and_rejects_typos(tmp_path):
    from pathlib import Path

    from benchmark.roster import load_roster
    from benchmark.runner import RunConfig
    from globmed.results import ModelInfo

    base = RunConfig(model=ModelInfo(name="x"), languages=["en"])
    roster = Path(__file__).resolve().parents[2] / "benchmark" / "rosters" / "globmed.yaml"
    configs = load_roster(roster, base)
    names = {c.model.name: c for c in configs}
    assert {"Qwen3-1.7B", "Qwen3-4B", "Qwen3-8B", "globmed-llm-8b"} <= set(names)
    assert names["gpt-4o"].backend == "openai" and names["gpt-4o"].backend_config.api_key_env == "OPENAI_API_KEY"
    assert names["globmed-llm-8b"].model.base_model == "Qwen3-8B"
    assert {c.model.type for c in configs} >= {"proprietary", "open", "globmed"}
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({"models": [{"name": "m", "modle": "x"}]}))
    from globmed.errors import GlobMedError

    with pytest.raises(GlobMedError, match=r"models\[0\] \(m\): unknown key 'modle' \(did you mean 'model'\?\)"):
        load_roster(bad, base)


def test_roster_runs_and_resumes(tiny_model_dir, tiny_dataset_dir, tmp_path):
    roster = tmp_path / "roster.yaml"
    roster.write_text(
        yaml.safe_dump(
            {
                "defaults": {"limit": 2},
                "models": [
                    {"name": "tiny-a", "model": str(tiny_model_dir), "chat_template": "off"},
                    {"name": "tiny-b", "model": str(tiny_model_dir), "type": "globmed", "base_model": "tiny-a"},
                ],
            }
        )
    )
    out = tmp_path / "results"
    argv = [
        "bench",
        "--roster",
        str(roster),
        "--dataset",
        str(tiny_dataset_dir),
        "--languages",
        "en,sw",
        "--tasks",
        "mcqa,nli",
        "--out",
        str(out),
        "--resamples",
        "50",
    ]
    assert main(argv) == 0
    files = sorted(out.glob("*.json"))
    assert len(files) == 2
    stamps = [f.stat().st_mtime_ns for f in files]
    assert main(argv) == 0
    assert [f.stat().st_mtime_ns for f in files] == stamps  # resumed: nothing rerun
    assert main(["bench", "compare", str(files[0]), str(files[1])]) == 0


def test_lmeval_export_parses_with_lm_eval(tiny_dataset_dir, tmp_path):
    out = tmp_path / "tasks"
    assert main(["bench", "export-lmeval", "--dataset", str(tiny_dataset_dir), "--out", str(out)]) == 0
    task = yaml.safe_load((out / "sw" / "globmed_sw_mcqa.yaml").read_text())
    assert task["dataset_path"] == "parquet" and task["output_type"] == "multiple_choice"
    assert len(list(out.rglob("*.yaml"))) == 12 * 3 + 12 + 1
    lm_eval = need_module("lm_eval", "pip install -e '.[dev]' (lm-eval is a test dependency)")
    from lm_eval.tasks import TaskManager

    from benchmark.prompts import load_prompts

    manager = TaskManager(include_path=str(out))
    assert {"globmed", "globmed_sw", "globmed_sw_mcqa"} <= set(manager.all_tasks)
    tasks = manager.load_task_or_group(["globmed_sw_mcqa", "globmed_sw_nli"])
    mcqa = tasks["globmed_sw_mcqa"]
    doc = next(iter(mcqa.test_docs()))
    ours = load_prompts("sw").build("mcqa", doc)
    assert mcqa.fewshot_context(doc, 0) == ours
    assert mcqa.doc_to_choice(doc) == ["A", "B", "C", "D"] and mcqa.doc_to_target(doc) == doc["answer_index"]
    assert lm_eval.__version__
