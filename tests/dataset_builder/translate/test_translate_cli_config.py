"""CLI help and one-line errors; config merge order and its errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from dataset_builder.translate.config import load_config
from globmed.errors import GlobMedError
from globmed_kit.cli import main


@pytest.mark.parametrize(
    "argv",
    [["translate", "--help"], ["review", "--help"], ["review", "export", "--help"], ["review", "import", "--help"]],
)
def test_help(argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 0
    assert "usage: globmed" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--languages", "sx"], "unknown language code 'sx'. Did you mean"),
        (["--languages", "en"], "at least one target language other than en"),
        (["--languages", "sw", "--limit", "0"], "--limit must be >= 1"),
        (["--languages", "sw", "--source", "nosuch"], "--source nosuch: not in"),
        (["--languages", "sw", "--task", "essay"], "--task 'essay'"),
        (
            ["--languages", "sw", "--api-key-env", "GLOBMED_UNSET_VAR_X", "--base-url", "https://api.example.org/v1"],
            "GLOBMED_UNSET_VAR_X, but that environment",
        ),
        (["--languages", "sw", "--glossary", "/no/such.tsv"], "glossary /no/such.tsv: no such file"),
    ],
)
def test_translate_errors_are_one_line(tmp_path, tiny_dataset_dir, capsys, extra, message):
    argv = ["translate", "--dataset", str(tiny_dataset_dir), "--out", str(tmp_path / "o"), "--model", "m", *extra]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith("globmed translate: error:") and message in err
    assert not (tmp_path / "o" / "sources.yaml").exists()


def test_config_merge_order(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "backend": {"model": "from-yaml", "concurrency": 3, "timeout_s": 9},
                "pipeline": {"rounds": 5},
                "prices": {"from-yaml": {"input_per_million": 1, "output_per_million": 4}},
            }
        )
    )
    config = load_config(path, {"backend": {"concurrency": 7, "model": None}, "pipeline": {"rounds": None}})
    assert (config.backend.model, config.backend.concurrency, config.backend.timeout_s) == ("from-yaml", 7, 9)
    assert config.pipeline.rounds == 5 and config.backend.max_retries == 4  # yaml, default
    assert config.cost("from-yaml", 1_000_000, 500_000) == pytest.approx(3.0)
    assert config.cost("unpriced", 10, 10) == 0.0


def test_flags_win_over_the_config_file(tmp_path):
    from dataset_builder.translate.cli import translate_config
    from globmed_kit.cli import build_parser

    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump({"backend": {"model": "from-yaml", "concurrency": 3, "timeout_s": 9},
                                    "pipeline": {"rounds": 5, "review": False}}))
    argv = ["translate", "--dataset", "d", "--languages", "sw", "--out", "o", "--config", str(path)]
    args = build_parser("translate").parse_args([*argv, "--concurrency", "7", "--timeout", "30", "--review",
                                                 "--backend", "transformers", "--cache-sync", "full"])
    config = translate_config(args)
    assert (config.backend.model, config.backend.concurrency, config.backend.timeout_s) == ("from-yaml", 7, 30)
    assert config.backend.kind == "transformers" and config.pipeline.cache_sync == "full"
    assert config.pipeline.rounds == 5 and config.pipeline.review is True
    assert translate_config(build_parser("translate").parse_args(argv)).pipeline.review is False


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"backend": {"model": "m", "concurency": 3}},
         "translate config: backend: unknown key 'concurency' (did you mean 'concurrency'?); known: api_key_env, "),
        ({"backnd": {}}, "translate config: unknown key 'backnd' (did you mean 'backend'?); known: backend, pipeline"),
        ({"backend": {"model": "m", "kind": "grpc"}}, "backend.kind 'grpc'"),
        ({"backend": {"model": "m"}, "pipeline": {"rounds": 0}}, "pipeline.rounds must be >= 1"),
        ({"backend": {}}, "no model given"),
        ({"backend": {"model": "m"}, "prices": {"m": {"input": 1}}}, "prices.m: unknown key 'input'; known: input_"),
    ],
)
def test_config_errors_name_the_key(tmp_path, data, message):
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(GlobMedError, match=None) as err:
        load_config(path)
    assert message in str(err.value)


def test_shipped_example_config_and_glossary_load():
    from importlib import resources

    from dataset_builder.translate.glossary import Glossary

    folder = resources.files("dataset_builder.translate")
    config = load_config(Path(str(folder.joinpath("config.example.yaml"))))
    assert config.backend.model == "Qwen/Qwen3-8B" and config.pipeline.rounds == 3
    assert config.cost("gpt-4o-mini", 1_000_000, 1_000_000) == pytest.approx(0.75)
    glossary = Glossary.load(Path(str(folder.joinpath("glossary.sample.tsv"))))
    found = glossary.required_terms(["History of Hypertension and acute myocardial infarction"], "zh")
    assert found == {"hypertension": ("高血压",), "myocardial infarction": ("心肌梗死",)}


def test_cache_key_follows_outcome_settings_only(tmp_path):
    from dataset_builder.translate.glossary import Glossary
    from dataset_builder.translate.prompts import load_prompts
    from dataset_builder.translate.runner import pipeline_fingerprint

    prompts = load_prompts()
    base = load_config(None, {"backend": {"model": "m"}, "pipeline": {}})
    fp = pipeline_fingerprint(base, prompts, None)
    assert fp == pipeline_fingerprint(
        load_config(None, {"backend": {"model": "m", "concurrency": 64}, "pipeline": {"include_flagged": True}}),
        prompts,
        None,
    )
    assert fp != pipeline_fingerprint(
        load_config(None, {"backend": {"model": "m"}, "pipeline": {"rounds": 1}}), prompts, None
    )
    g1 = Glossary.from_rows([("fever", "sw", "homa")])
    g2 = Glossary.from_rows([("fever", "sw", "joto")])
    assert len({fp, pipeline_fingerprint(base, prompts, g1), pipeline_fingerprint(base, prompts, g2)}) == 3
    edited = tmp_path / "prompts.yaml"
    bundled = Path(__file__).resolve().parents[3] / "dataset_builder" / "translate" / "prompts.yaml"
    edited.write_text(bundled.read_text(encoding="utf-8").replace("professional medical translator", "translator"))
    assert load_prompts(edited).version.split("+")[0] == "v1" and load_prompts(edited).version != prompts.version


def test_unloadable_in_process_model_is_one_error(tmp_path, tiny_dataset_dir, capsys):
    argv = [
        "translate",
        "--dataset",
        str(tiny_dataset_dir),
        "--languages",
        "sw",
        "--task",
        "nli",
        "--limit",
        "1",
        "--out",
        str(tmp_path / "o"),
        "--backend",
        "transformers",
        "--model",
        str(tmp_path / "no-model"),
        "--no-progress",
    ]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith("globmed translate: error: model ") and "cannot be loaded with transformers" in err
