"""The demo's stage runner: order, headers, and the one-line stop on the first failing stage."""

from __future__ import annotations

import io

import pytest

from globmed.errors import GlobMedError
from globmed_kit.cli import main
from globmed_kit.demo import BASE_RUN_NAME, LORA_RECIPE, TINY, Stage, cli_stage, demo_stages, run_stages


def test_runner_stops_at_the_first_failing_stage():
    calls: list[str] = []
    stages = [
        Stage("a", "first", lambda: calls.append("a")),
        Stage("b", "second", lambda: calls.append("b") or 3),
        Stage("c", "third", lambda: calls.append("c")),
    ]
    out = io.StringIO()
    with pytest.raises(GlobMedError) as exc:
        run_stages(stages, out)
    assert str(exc.value) == "stage 2/3 'b' failed with exit status 3"
    assert calls == ["a", "b"]
    text = out.getvalue()
    assert "==> [1/3] a: first" in text and "==> [2/3] b: second" in text and "[3/3]" not in text
    assert "[1/3] a done in" in text and "b done" not in text


def test_runner_turns_a_crash_into_one_line():
    def boom():
        raise KeyError("missing column")

    with pytest.raises(GlobMedError, match=r"^stage 1/2 'x' failed: KeyError: 'missing column'$"):
        run_stages([Stage("x", "crash", boom), Stage("y", "never", lambda: 0)], io.StringIO())


def test_cli_stage_failure_names_the_stage_and_command(tmp_path):
    stage = cli_stage("cards", "write a card", ["card", "dataset", tmp_path / "absent"])
    with pytest.raises(GlobMedError) as exc:
        run_stages([stage], io.StringIO())
    message = str(exc.value)
    assert message.startswith("stage 1/1 'cards' failed: `globmed card dataset ")
    assert "exited with status 2" in message and "\n" not in message


def test_demo_command_exits_non_zero_with_the_stage_name(tmp_path, capsys):
    rc = main(["demo", "--out", str(tmp_path), "--no-serve", "--stages", "card-dataset,release"])
    assert rc == 2
    err = capsys.readouterr().err
    assert "globmed demo: error: stage 1/2 'card-dataset' failed" in err
    assert main(["demo", "--stages", "bild"]) == 2
    assert "unknown stage(s) bild" in capsys.readouterr().err


def test_demo_stages_chain_the_cli_contract(tmp_path):
    stages = demo_stages(tmp_path, port=7999)
    assert [s.name for s in stages] == ["build", "train", "bench-base", "bench-finetuned", "compare",
                                        "card-dataset", "card-model", "release", "space"]
    argv = {s.name: s.argv for s in stages}
    assert argv["build"] == ["build", "--sources", "sample", "--out", str(tmp_path)]
    assert argv["train"][:3] == ["train", "--recipe", str(LORA_RECIPE)] and LORA_RECIPE.name == "config_lora.yaml"
    base = argv["bench-base"]
    assert base[base.index("--model") + 1] == str(tmp_path / "work" / "train" / TINY / "base_model")
    assert base[base.index("--name") + 1] == BASE_RUN_NAME
    tuned = argv["bench-finetuned"]
    assert tuned[tuned.index("--model") + 1] == str(tmp_path / TINY)
    assert tuned[tuned.index("--base-model") + 1] == BASE_RUN_NAME
    assert argv["release"] == ["release", "--out", str(tmp_path), "--dry-run"]
    assert [s.name for s in demo_stages(tmp_path, serve=False)][-1] == "release"


def test_compare_stage_finds_the_newest_run_of_each_model(tmp_path):
    from support.cards import synthetic_run, write_run

    from globmed_kit.demo import latest_run_file

    older, newer = synthetic_run(TINY, {"sw": 0.3}, run_id=f"{TINY}__ffff"), synthetic_run(TINY, {"sw": 0.4})
    older.provenance["date"], newer.provenance["date"] = "2026-01-01T00:00:00+00:00", "2026-02-01T00:00:00+00:00"
    write_run(tmp_path, older)
    newest = write_run(tmp_path, newer)
    write_run(tmp_path, synthetic_run(BASE_RUN_NAME, {"sw": 0.2}))
    assert latest_run_file(tmp_path, TINY) == newest
    with pytest.raises(GlobMedError, match="no results for model 'other'"):
        latest_run_file(tmp_path, "other")
