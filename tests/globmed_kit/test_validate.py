"""`globmed validate`: every shipped declarative file is valid (a regression test for recipes, sources, prompts),
and broken files give exit 2 with one line naming the file and the bad key."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from globmed.validation import package_dir
from globmed_kit.cli import main
from globmed_kit.validate import shipped_files
from globmed_kit.validate_checks import checkers

SAMPLE_SOURCES = package_dir("dataset_builder") / "sources" / "sample.yaml"
TINY_RECIPE = package_dir("training") / "recipes" / "globmed-llm-tiny" / "sft" / "config_lora.yaml"
TASKS_DIR = package_dir("benchmark") / "tasks"


def run(capsys, *argv: str) -> tuple[int, list[str]]:
    code = main(["validate", *argv])
    return code, capsys.readouterr().out.splitlines()


def user_sources(tmp_path: Path, edit=None) -> Path:
    """The bundled sample's sources YAML as a user's own file: absolute paths to the sample, optionally edited."""
    data = yaml.safe_load(SAMPLE_SOURCES.read_text(encoding="utf-8"))
    for entry in data["sources"]:
        entry["path"] = str((SAMPLE_SOURCES.parent / entry["path"]).resolve())
    if edit:
        edit(data)
    path = tmp_path / "my_sources.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def test_every_shipped_file_validates(capsys):
    code, lines = run(capsys)
    files = shipped_files()
    assert code == 0, "\n".join(line for line in lines if not line.startswith("ok"))
    assert len(lines) == len(files) + 1  # one line per file, then the summary
    assert all(line.startswith("ok  ") for line in lines[:-1])
    assert lines[-1] == f"{len(files)} files checked: {len(files)} ok, 0 with errors"
    assert {kind for _, kind in files} == set(checkers())  # every kind's checker is exercised on a real file
    recipes = [line for line in lines if "(recipe: " in line]
    assert len(recipes) == sum(kind == "recipe" for _, kind in files) >= 8
    assert any("(sources: 3 sources (lfqa, mcqa, nli), 12 languages" in line for line in lines)


def test_user_sources_yaml_detected_by_content(tmp_path, capsys):
    path = user_sources(tmp_path)
    code, lines = run(capsys, str(path))
    assert code == 0
    assert lines[0].startswith(f"ok  {path}  (sources: 3 sources")
    assert lines[-1] == "1 file checked: 1 ok, 0 with errors"


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda d: d["sources"][1].update(colour="red"), "sources[1]: unknown key 'colour'"),
        (lambda d: d["sources"][0].update(task="qa"), "source 'medqa': task 'qa' is not one of mcqa"),
        (lambda d: d["sources"][2].update(files="{lang}/missing_{split}.json"), "source file not found"),
        (lambda d: d.update(build={"near_treshold": 0.8}),
         "build: unknown key 'near_treshold' (did you mean 'near_threshold'?)"),
    ],
    ids=["unknown-key", "bad-task", "missing-file", "unknown-build-option"],
)
def test_broken_sources_yaml(tmp_path, capsys, edit, expected):
    path = user_sources(tmp_path, edit)
    code, lines = run(capsys, str(path))
    assert code == 2
    assert len(lines) == 2 and lines[-1] == "1 file checked: 0 ok, 1 with errors"
    assert lines[0].startswith(f"ERROR {path}: ")
    assert expected in lines[0]


def test_sources_yaml_fields_checked_against_the_data(tmp_path, capsys):
    """validate opens the first rows of each source's first file: a typo in `fields:` is named with the file's
    fields and the closest one, on the file's one ERROR line, however many sources have one."""

    def typos(data):
        data["sources"][0]["fields"]["question"] = "qestion"
        data["sources"][1]["fields"]["context"] = "sentence_1"

    path = user_sources(tmp_path, typos)
    code, lines = run(capsys, str(path))
    assert code == 2 and len(lines) == 2
    def fields(repo: str) -> str:  # the first row's keys, in file order
        rows = json.loads((SAMPLE_SOURCES.parent / "../sample" / repo / "en/train.json").read_text("utf-8"))
        return ", ".join(rows[0])

    assert lines[0] == (
        f"ERROR {path}: source 'medqa' (en/train.json): question: no field 'qestion' (fields: "
        f"{fields('GlobMed_MedQA')}; did you mean 'question'?); source 'mednli' (en/train.json): context: no field "
        f"'sentence_1' (fields: {fields('GlobMed_MedNLI')}; did you mean 'sentence1'?)"
    )


def test_opt_in_languages_and_empty_files_are_checked_too(tmp_path, capsys):
    """An opt-in language's files are checked though a default build would not read them; an empty file is an
    error (a user's mistake far more often than an intended empty split)."""
    (tmp_path / "ru.jsonl").write_text('{"вопрос": "Что?", "o": ["да", "нет"], "a": "A"}\n', encoding="utf-8")
    (tmp_path / "en.jsonl").write_text("")
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump({"sources": [{
        "id": "x", "task": "mcqa", "format": "jsonl", "path": ".", "files": "{lang}.jsonl", "languages": ["en", "ru"],
        "fields": {"question": "qestion", "options": "o", "answer": "a"}}]}, allow_unicode=True), encoding="utf-8")
    code, lines = run(capsys, str(path))
    assert code == 2
    assert lines[0].startswith(f"ERROR {path}: source 'x' (en.jsonl): no rows; source 'x' (ru.jsonl): question: no "
                               f"field 'qestion' (fields: вопрос, o, a")


def test_hub_sources_checked_in_a_local_mirror_only(tmp_path, capsys, monkeypatch):
    """A Hub file is read when already on this machine (GLOBMED_HUB_MIRROR here); validate never downloads."""
    path = tmp_path / "hub_sources.yaml"
    path.write_text("sources:\n  - {id: live, task: lfqa, format: json, hub: {repo: ORG/Live}, files: '{lang}.json',"
                    " languages: [en], fields: {question: message, answer: answer}}\n", encoding="utf-8")
    monkeypatch.delenv("GLOBMED_HUB_MIRROR", raising=False)
    code, lines = run(capsys, str(path))
    assert code == 0 and lines[0].startswith(f"ok  {path}  (sources: 1 source (lfqa)")
    mirror = tmp_path / "mirror"
    (mirror / "ORG" / "Live").mkdir(parents=True)
    (mirror / "ORG" / "Live" / "en.json").write_text('[{"question": "Q?", "answer": "A"}]', encoding="utf-8")
    monkeypatch.setenv("GLOBMED_HUB_MIRROR", str(mirror))
    code, lines = run(capsys, str(path))
    assert code == 2
    assert lines[0] == (f"ERROR {path}: source 'live' (en.json): question: no field 'message' "
                        "(fields: question, answer)")


def test_recipe_with_unknown_sft_key(tmp_path, capsys):
    data = yaml.safe_load(TINY_RECIPE.read_text(encoding="utf-8"))
    data["learnin_rate"] = 1e-4
    path = tmp_path / "recipe.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    code, lines = run(capsys, str(path))
    assert code == 2
    assert lines[0].startswith(f"ERROR {path}: ")
    assert "'learnin_rate'" in lines[0] and "did you mean 'learning_rate'" in lines[0]


def test_malformed_yaml_names_the_line(tmp_path, capsys):
    path = tmp_path / "sources.yaml"
    path.write_text("sources:\n  - id: x\n    task: [mcqa\n", encoding="utf-8")
    code, lines = run(capsys, str(path))
    assert code == 2
    assert lines[0].startswith(f"ERROR {path}: malformed YAML at line ")
    assert len(lines) == 2  # the reason stays on one line


def test_bad_roster_and_task(tmp_path, capsys):
    roster = tmp_path / "roster.yaml"
    roster.write_text("models:\n  - {name: m1, model: x, type: open}\n  - {name: m2, gpus: 2}\n", encoding="utf-8")
    task = tmp_path / "task.yaml"
    task.write_text((TASKS_DIR / "mcqa.yaml").read_text("utf-8").replace("[accuracy]", "[accuracy, bleu]"), "utf-8")
    code, lines = run(capsys, str(roster), str(task))
    assert code == 2
    assert lines[0].startswith(f"ERROR {roster}: models[1] (m2): unknown key 'gpus'; known: api_key_env, ")
    assert lines[1].startswith(f"ERROR {task}: metrics: unknown metric 'bleu'")


def test_bad_accelerate_config(tmp_path, capsys):
    path = tmp_path / "launch.yaml"
    path.write_text("compute_environment: LOCAL_MACHINE\ndistributed_type: MULTI_GPU\nnum_proceses: 8\n", "utf-8")
    code, lines = run(capsys, str(path))
    assert code == 2
    assert lines[0].startswith(f"ERROR {path}: ValueError: ") and "num_proceses" in lines[0]


def test_shipped_only_table_elsewhere_is_an_error(tmp_path, capsys):
    copy = tmp_path / "examples.yaml"
    shutil.copy(package_dir("space_app") / "examples.yaml", copy)
    code, lines = run(capsys, "--kind", "space-examples", str(copy))
    assert code == 2
    assert lines[0] == f"ERROR {copy}: the kit reads only space_app/examples.yaml; edit that file and validate it"


def test_task_file_prompts(tmp_path, capsys):
    """A task file's prompts: a row for every language, layouts that compile, training words the table has."""
    for name in ("mcqa.yaml", "nli.yaml", "lfqa.yaml"):
        shutil.copy(TASKS_DIR / name, tmp_path / name)
    mcqa, nli, lfqa = (tmp_path / name for name in ("mcqa.yaml", "nli.yaml", "lfqa.yaml"))
    data = yaml.safe_load(mcqa.read_text(encoding="utf-8"))
    del data["prompt"]["languages"]["wo"]
    mcqa.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    nli.write_text(nli.read_text(encoding="utf-8").replace("{% endfor %}$answer:", "{% endfor $answer:"), "utf-8")
    code, lines = run(capsys, str(lfqa), str(mcqa), str(nli))
    assert code == 2
    assert lines[0] == (
        f"ok  {lfqa}  (task: lfqa v1, generate_until, metrics rouge_l, chrf, prompt v1 in 12 languages)"
    )
    assert lines[1] == f"ERROR {mcqa}: prompt.languages: no row for wo (listed in globmed/languages.yaml)"
    assert lines[2].startswith(f"ERROR {nli}: prompt.doc_to_text in en: Jinja syntax error line 4: expected token")
    text = lfqa.read_text(encoding="utf-8")
    lfqa.write_text(text.replace("$question: {{ question }}\n  assistant", "$hint\n  assistant"), "utf-8")
    code, lines = run(capsys, str(lfqa))
    assert lines[0] == f"ERROR {lfqa}: training.user in en: no word for $hint"


def test_unknown_kind_named_vs_in_folder(tmp_path, capsys):
    (tmp_path / "notes.yaml").write_text("colour: red\n", encoding="utf-8")
    user_sources(tmp_path)
    code, lines = run(capsys, str(tmp_path / "notes.yaml"))
    assert code == 2 and "cannot tell what kind of file this is" in lines[0]
    code, lines = run(capsys, str(tmp_path))  # a folder: unknown files are listed as skipped, kit files checked
    assert code == 0
    assert lines[0].startswith("ok  ") and "my_sources.yaml" in lines[0]
    assert lines[1].startswith("skip ") and "notes.yaml" in lines[1]
    assert lines[-1] == "1 file checked: 1 ok, 0 with errors, 1 skipped"


def test_kind_flag_forces_the_loader(capsys):
    code, lines = run(capsys, "--kind", "sources", str(TINY_RECIPE))
    assert code == 2
    assert "sources: unknown key 'model_name'; known: build, sources" in lines[0]


def test_missing_path_is_one_line_error(tmp_path, capsys):
    assert main(["validate", str(tmp_path / "nope.yaml")]) == 2
    assert "no such file or folder" in capsys.readouterr().err


def test_help_has_examples(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["validate", "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "examples:" in out and "globmed validate my_sources.yaml" in out and "--kind" in out


def test_heavy_imports_stay_lazy(tmp_path):
    """--help and a sources-only check never import TRL (slow); only a recipe does."""
    import subprocess
    import sys

    sources = user_sources(tmp_path)
    script = (
        "import sys, contextlib, io\n"
        "from globmed_kit.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n"
        "        main(['validate', '--help'])\n"
        "    except SystemExit:\n"
        "        pass\n"
        "    help_trl = 'trl' in sys.modules\n"
        f"    code = main(['validate', {str(sources)!r}])\n"
        "print(help_trl, 'trl' in sys.modules, 'torch' in sys.modules, code)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False", "False", "0"]
