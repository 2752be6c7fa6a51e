"""A bad input file is one line naming it, exit 2, never a traceback (issue 12 item 8), on every command that reads
one: non-UTF-8 text, malformed or wrongly shaped YAML, 0-byte, garbage or corrupt parquet, an empty or half-saved
model folder, and a port the Space cannot listen on.

Each case writes its bad file under tmp_path and runs `globmed -q CMD ...` through `main(argv)` (-q: the INFO
log lines are not what is tested); the error line must name the file and say what is wrong with it. Where the
error gives a position, it is checked against the position of the bad character computed here from the text.
"""

from __future__ import annotations

import shutil
import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from globmed_kit.cli import main

LATIN1_YAML = "# written by an editor set to Latin-1\nname: café\n"
LATIN1_JSON = '{"model_name": "x",\n  "note": "café"}\n'
LATIN1_CSV = "id,question\n1,Quelle dose de caféine ?\n"
LATIN1_TSV = "source_term\tlanguage\ttarget_term\nfever\tfr\tfièvre\n"
UNREACHABLE = "http://127.0.0.1:9/v1"  # the discard port: nothing answers, and nothing may be asked


def position(text: str) -> str:
    """Line and column (1-based, in characters) of the first non-ASCII character, as an editor shows it."""
    index = next(i for i, ch in enumerate(text) if ord(ch) > 127)
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    return f"byte 0x{text[index].encode('latin-1')[0]:02x} at line {line} column {column}"


def latin1(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("latin-1"))
    return path


@dataclass
class Case:
    argv: list[str]
    names: str  # what the error line must name (the file, or the flag)
    says: str  # what it must say about it


@dataclass
class Inputs:
    """What the cases build on: a dataset folder (session fixture) and a built release root (this module's)."""

    tmp: Path
    dataset: Path
    release: Path


# ---------------------------------------------------------------- helpers that write one bad input


def _parquet_dataset(inputs: Inputs, payload: Callable[[Path], bytes]) -> tuple[Path, Path]:
    """A dataset folder (README.md of a real one) whose only shard, en/mcqa/test, is `payload(real shard)`."""
    folder = inputs.tmp / "ds"
    folder.mkdir()
    shutil.copy(inputs.dataset / "README.md", folder / "README.md")
    real = inputs.dataset / "data" / "en" / "mcqa" / "test-00000-of-00001.parquet"
    shard = folder / "data" / "en" / "mcqa" / "test-00000-of-00001.parquet"
    shard.parent.mkdir(parents=True)
    shard.write_bytes(payload(real))
    return folder, shard


def _empty(real: Path) -> bytes:
    return b""


def _garbage(real: Path) -> bytes:
    return b"not a parquet file, just some text\n" * 8


PARQUET = {"empty": (_empty, "Parquet file size is 0 bytes"), "garbage": (_garbage, "magic bytes not found")}


def _sources_yaml(inputs: Inputs, data_file: Path, fmt: str) -> Path:
    import yaml

    entry = {"id": "bad", "task": "mcqa", "license": "MIT", "format": fmt, "path": str(data_file.parent),
             "files": [{"path": data_file.name, "split": "test", "language": "en"}],
             "fields": {"id": "id", "question": "question", "options": "options", "answer": "answer"}}
    path = inputs.tmp / "sources.yaml"
    path.write_text(yaml.safe_dump({"sources": [entry]}), encoding="utf-8")
    return path


def _translate(inputs: Inputs, *extra: str, dataset: Path | None = None) -> list[str]:
    return ["translate", "--dataset", str(dataset or inputs.dataset), "--languages", "sw", "--task", "mcqa",
            "--limit", "1", "--out", str(inputs.tmp / "mt"), "--model", "m", "--base-url", UNREACHABLE,
            "--max-retries", "0", "--no-progress", *extra]


def _bench(inputs: Inputs, model: str, dataset: Path | None = None, *extra: str) -> list[str]:
    return ["bench", "--model", model, "--dataset", str(dataset or inputs.dataset), "--languages", "en",
            "--tasks", "mcqa", "--out", str(inputs.tmp / "results"), *extra]


def _model_folder(inputs: Inputs, files: dict[str, str]) -> Path:
    folder = inputs.tmp / "model"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


# ---------------------------------------------------------------- the cases, one per command and input kind


def build_sources_not_utf8(inputs: Inputs) -> Case:
    bad = latin1(inputs.tmp / "sources.yaml", LATIN1_YAML)
    return Case(["build", "--sources", str(bad), "--out", str(inputs.tmp / "rel")], str(bad), position(LATIN1_YAML))


def build_source_file_not_utf8(inputs: Inputs) -> Case:
    bad = latin1(inputs.tmp / "files" / "items.csv", LATIN1_CSV)
    sources = _sources_yaml(inputs, bad, "csv")
    return Case(["build", "--sources", str(sources), "--languages", "en", "--out", str(inputs.tmp / "rel"),
                 "--no-progress"], str(bad), position(LATIN1_CSV))


def _build_parquet(kind: str) -> Callable[[Inputs], Case]:
    def case(inputs: Inputs) -> Case:
        payload, says = PARQUET[kind]
        bad = inputs.tmp / "files" / "items.parquet"
        bad.parent.mkdir()
        bad.write_bytes(payload(inputs.dataset / "data" / "en" / "mcqa" / "test-00000-of-00001.parquet"))
        sources = _sources_yaml(inputs, bad, "parquet")
        return Case(["build", "--sources", str(sources), "--languages", "en", "--out", str(inputs.tmp / "rel"),
                     "--no-progress"], str(bad), says)
    return case


def translate_config_not_utf8(inputs: Inputs) -> Case:
    bad = latin1(inputs.tmp / "translate.yaml", LATIN1_YAML)
    return Case(_translate(inputs, "--config", str(bad)), str(bad), position(LATIN1_YAML))


def translate_prompts_not_utf8(inputs: Inputs) -> Case:
    bad = latin1(inputs.tmp / "prompts.yaml", LATIN1_YAML)
    return Case(_translate(inputs, "--prompts", str(bad)), str(bad), position(LATIN1_YAML))


def translate_prompts_malformed(inputs: Inputs) -> Case:
    bad = inputs.tmp / "prompts.yaml"
    bad.write_text("version: v1\ntranslate: {system: [unclosed\n", encoding="utf-8")
    return Case(_translate(inputs, "--prompts", str(bad)), str(bad), "malformed YAML at line 3")


def translate_prompts_list(inputs: Inputs) -> Case:
    bad = inputs.tmp / "prompts.yaml"
    bad.write_text("- version: v1\n- translate: {}\n", encoding="utf-8")
    return Case(_translate(inputs, "--prompts", str(bad)), str(bad), "expected a mapping, got list")


def _prompts_with(inputs: Inputs, step: str, key: str, value: str) -> Path:
    """The bundled prompts.yaml with one template replaced by `value` (YAML text)."""
    import yaml

    from dataset_builder.translate import prompts

    data = yaml.safe_load(Path(prompts.__file__).with_name("prompts.yaml").read_text(encoding="utf-8"))
    data[step][key] = yaml.safe_load(value)
    path = inputs.tmp / "prompts.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def translate_prompt_template_list(inputs: Inputs) -> Case:
    bad = _prompts_with(inputs, "review", "system", "[first line, second line]")
    return Case(_translate(inputs, "--prompts", str(bad)), str(bad), "review: system: expected a template string")


def translate_prompt_template_syntax(inputs: Inputs) -> Case:
    bad = _prompts_with(inputs, "revise", "user", "'Fix {{ text }'")
    return Case(_translate(inputs, "--prompts", str(bad)), str(bad), "revise: user: template syntax error at line 1")


def translate_glossary_not_utf8(inputs: Inputs) -> Case:
    bad = latin1(inputs.tmp / "glossary.tsv", LATIN1_TSV)
    return Case(_translate(inputs, "--glossary", str(bad)), str(bad), position(LATIN1_TSV))


def _translate_parquet(kind: str) -> Callable[[Inputs], Case]:
    def case(inputs: Inputs) -> Case:
        payload, says = PARQUET[kind]
        folder, shard = _parquet_dataset(inputs, payload)
        return Case(_translate(inputs, dataset=folder), str(shard), says)
    return case


def train_recipe_not_utf8(inputs: Inputs) -> Case:
    bad = latin1(inputs.tmp / "config_lora.yaml", LATIN1_YAML)
    return Case(["train", "--recipe", str(bad), "--out", str(inputs.tmp / "rel")], str(bad), position(LATIN1_YAML))


def bench_roster_not_utf8(inputs: Inputs) -> Case:
    bad = latin1(inputs.tmp / "roster.yaml", LATIN1_YAML)
    return Case(["bench", "--roster", str(bad), "--out", str(inputs.tmp / "results")], str(bad), position(LATIN1_YAML))


def _bench_parquet(kind: str) -> Callable[[Inputs], Case]:
    def case(inputs: Inputs) -> Case:
        payload, says = PARQUET[kind]
        folder, shard = _parquet_dataset(inputs, payload)
        return Case(_bench(inputs, "no-such-org/no-such-model", folder), str(shard), says)  # not a folder: data first
    return case


def bench_empty_model_folder(inputs: Inputs) -> Case:
    folder = _model_folder(inputs, {})
    return Case(_bench(inputs, str(folder)), str(folder), "an empty folder")


def bench_model_without_weights(inputs: Inputs) -> Case:
    folder = _model_folder(inputs, {"config.json": '{"model_type": "qwen3"}', "tokenizer_config.json": "{}",
                                    "training_args.bin": ""})  # what TRL leaves beside the model: not weights
    return Case(_bench(inputs, str(folder)), str(folder), "config.json but no weights")


def review_import_sheet_not_utf8(inputs: Inputs) -> Case:
    translations = inputs.tmp / "mt"
    translations.mkdir()
    (translations / "sources.yaml").write_text(
        "sources:\n  - {id: s, task: mcqa, format: json, path: GlobMed_s, files: '{lang}/{split}.json',\n"
        "     languages: [en, fr], splits: {test: test}, adapter: globmed_native}\n",
        encoding="utf-8",
    )
    sheet = latin1(inputs.tmp / "review_fr.csv", LATIN1_CSV)
    return Case(["review", "import", "--translations", str(translations), str(sheet)], str(sheet),
                position(LATIN1_CSV))


def card_dataset_report_not_utf8(inputs: Inputs) -> Case:
    folder = inputs.tmp / "globmed"
    shutil.copytree(inputs.release / "globmed", folder)
    bad = latin1(folder / "build_report.json", LATIN1_JSON)
    return Case(["card", "dataset", str(folder)], str(bad), position(LATIN1_JSON))


def _trained_model(root: Path) -> Path:
    """A model folder as `globmed train` leaves it, but with a non-UTF-8 globmed_training.json."""
    folder = root / "globmed-llm-tiny"
    folder.mkdir(parents=True)
    (folder / "config.json").write_text("{}", encoding="utf-8")
    (folder / "tokenizer_config.json").write_text("{}", encoding="utf-8")
    return latin1(folder / "globmed_training.json", LATIN1_JSON)


def card_model_training_not_utf8(inputs: Inputs) -> Case:
    bad = _trained_model(inputs.tmp / "rel")
    return Case(["card", "model", str(bad.parent)], str(bad), position(LATIN1_JSON))


def release_training_not_utf8(inputs: Inputs) -> Case:
    root = inputs.tmp / "rel"
    shutil.copytree(inputs.release, root)
    bad = _trained_model(root)
    return Case(["release", "--out", str(root), "--dry-run"], str(bad), position(LATIN1_JSON))


def _space_port(port: int) -> Callable[[Inputs], Case]:
    def case(inputs: Inputs) -> Case:
        return Case(_space(inputs, port), f"--port {port}", "expected 1 to 65535")
    return case


def _space(inputs: Inputs, port: int) -> list[str]:
    (inputs.tmp / "results").mkdir(exist_ok=True)
    return ["space", "--port", str(port), "--results", str(inputs.tmp / "results"),
            "--data-dir", str(inputs.tmp / "space-data")]


CASES: dict[str, Callable[[Inputs], Case]] = {
    "build --sources not UTF-8": build_sources_not_utf8,
    "build source csv not UTF-8": build_source_file_not_utf8,
    **{f"build source parquet {kind}": _build_parquet(kind) for kind in PARQUET},
    "translate --config not UTF-8": translate_config_not_utf8,
    "translate --prompts not UTF-8": translate_prompts_not_utf8,
    "translate --prompts malformed YAML": translate_prompts_malformed,
    "translate --prompts a YAML list": translate_prompts_list,
    "translate --prompts template a list": translate_prompt_template_list,
    "translate --prompts template syntax": translate_prompt_template_syntax,
    "translate --glossary not UTF-8": translate_glossary_not_utf8,
    **{f"translate input parquet {kind}": _translate_parquet(kind) for kind in PARQUET},
    "train --recipe not UTF-8": train_recipe_not_utf8,
    "bench --roster not UTF-8": bench_roster_not_utf8,
    **{f"bench dataset parquet {kind}": _bench_parquet(kind) for kind in PARQUET},
    "bench empty model folder": bench_empty_model_folder,
    "bench model folder without weights": bench_model_without_weights,
    "review import sheet not UTF-8": review_import_sheet_not_utf8,
    "card dataset build_report.json not UTF-8": card_dataset_report_not_utf8,
    "card model globmed_training.json not UTF-8": card_model_training_not_utf8,
    "release globmed_training.json not UTF-8": release_training_not_utf8,
    **{f"space --port {port}": _space_port(port) for port in (99999, 0, -1)},
}


@pytest.fixture(scope="module")
def release_root(tmp_path_factory) -> Path:
    """The bundled sample built (English only) into a release root, as `globmed build` writes it."""
    root = tmp_path_factory.mktemp("release")
    assert main(["-q", "build", "--languages", "en", "--out", str(root), "--no-progress"]) == 0
    return root


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_is_one_line_naming_it(name, tmp_path, tiny_dataset_dir, release_root, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a command that wrongly wrote to its default folder would write here
    case = CASES[name](Inputs(tmp_path, tiny_dataset_dir, release_root))
    capsys.readouterr()
    code = main(["-q", *case.argv])
    err = capsys.readouterr().err
    command = case.argv[0]
    assert code == 2, err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"globmed {command}: error: ") and case.names in lines[0] and case.says in lines[0]


def test_space_port_in_use_is_one_line(tmp_path, capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code = main(["-q", *_space(Inputs(tmp_path, tmp_path, tmp_path), port)])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert err.strip().splitlines() == [err.strip()]
    assert err.startswith(f"globmed space: error: --port {port}: cannot listen on 127.0.0.1:{port}")
