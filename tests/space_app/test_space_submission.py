"""Submission checks against hostile uploads, the pending store and the approve step."""

from __future__ import annotations

import json
import os

import pytest

from globmed.errors import GlobMedError
from globmed.results import RunResult
from space_app import submission as sub
from space_app.results_source import load_runs
from space_app.settings import SpaceSettings

LIMIT = 200_000


def mutate(data: dict, path: str, value) -> dict:
    """Set a nested key given as 'a.b.c'."""
    node = data
    keys = path.split(".")
    for key in keys[:-1]:
        node = node[key]
    node[keys[-1]] = value
    return data


def encode(data) -> bytes:
    return json.dumps(data).encode("utf-8")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("results.sw-mcqa.metrics.acc", 1.5), "results.sw-mcqa.metrics.acc: Input should be less than or equal to 1"),
        (("results.sw-mcqa.metrics.acc", -0.1), "results.sw-mcqa.metrics.acc: Input should be greater than or equal"),
        (("aggregates.gap", 3.0), "aggregates.gap: Input should be less than or equal to 1 (got 3.0)"),
        (("aggregates.per_language.sw", 1.2), "aggregates.per_language.sw: "),
        (("aggregates.ci.overall", [0.9, 0.1]), "aggregates.ci.overall: must be [low, high]"),
        (("model.size_b", -8), "model.size_b: "),
        (("model.size_b", 1e12), "model.size_b: "),
        (("results.sw-mcqa.n", 10**9), "results.sw-mcqa.n: "),
        (("results.sw-mcqa.n", 0), "results.sw-mcqa.n: Input should be greater than or equal to 1"),
        (("results.sw-mcqa.unparsed", 900), "results.sw-mcqa.unparsed: is more than n"),
        (("results.sw-mcqa.metrics.acc_ci_low", 0.99), "results.sw-mcqa.metrics: the interval"),
        (("results.sw-mcqa.by_source.medqa.acc", 7), "results.sw-mcqa.by_source.medqa.acc: must be a score in [0, 1]"),
        (("model.name", "<script>alert(1)</script>"), "model.name: must not contain HTML"),
        (("model.name", "<img src=x onerror=alert(1)>"), "model.name: must not contain HTML"),
        (("model.name", "bad\u202ename"), "model.name: contains control or invisible"),
        (("model.name", "x" * 500), "model.name: String should have at most 100 characters"),
        (("model.link", "javascript:alert(1)"), "model.link: must be an https:// URL"),
        (("model.type", "closed"), "model.type: must be one of proprietary, open, medical, globmed (got 'closed')"),
        (("run_id", "../../etc/passwd"), "run_id: must be 1-200 letters"),
        (("run_id", "a/b"), "run_id: "),
        (("schema_version", 99), "schema_version: must be 1"),
    ],
)
def test_hostile_values_are_refused_with_a_reason(run_dict, change, message):
    data = run_dict(2)
    data["results"]["sw-mcqa"]["by_source"] = {"medqa": {"acc": 0.5, "n": 10}}
    run, check = sub.validate_upload(encode(mutate(data, *change)), LIMIT, sub.Known())
    assert run is None and not check.ok
    assert check.message.startswith(message)


def test_unknown_language_and_mismatched_key(run_dict):
    data = run_dict(1)
    data["results"]["xx-mcqa"] = dict(data["results"].pop("sw-mcqa"), language="xx")
    message = sub.validate_upload(encode(data), LIMIT, sub.Known())[1].message
    assert message.startswith("results.xx-mcqa.language: unknown language") and message.endswith("(got 'xx')")
    data = run_dict(1)
    data["results"]["sw-nli"] = data["results"].pop("sw-mcqa")
    data["results"].pop("sw-lfqa")
    assert sub.validate_upload(encode(data), LIMIT, sub.Known())[1].message == "results.sw-nli: must be named sw-mcqa"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"", "empty"),
        (b"\xff\xfe\x00", "not UTF-8"),
        (b"{not json", "not valid JSON"),
        (b"[1, 2]", "Input should be an object (got array)"),
        (b'{"x": NaN}', "x: nan is not a finite number"),
        (b'{"x": Infinity}', "x: inf is not a finite number"),
        (b"[" * 100_000 + b"]" * 100_000, "not valid JSON"),
        (b'{"schema_version": 1}', "model: Field required"),
    ],
)
def test_malformed_files_are_refused(raw, message):
    if len(raw) > LIMIT:
        run, check = sub.validate_upload(raw, len(raw), sub.Known())
    else:
        run, check = sub.validate_upload(raw, LIMIT, sub.Known())
    assert run is None and message in check.message


def test_nan_score_in_json_is_refused(run_dict):
    raw = encode(run_dict(0)).replace(b'"acc": ', b'"acc": NaN, "x": ', 1)
    run, check = sub.validate_upload(raw, LIMIT, sub.Known())
    assert run is None and check.message.startswith("results.en-mcqa.metrics.acc: nan is not a finite number")


def test_huge_upload_is_refused_by_size_without_reading_it(tmp_path):
    huge = tmp_path / "huge.json"
    with huge.open("wb") as handle:  # sparse: 5 GB on paper, nothing on disk
        handle.truncate(5 * 1024**3)
    check, raw = sub.read_upload(huge, LIMIT)
    assert not check.ok and raw == b"" and "limit is 200,000 bytes" in check.message
    assert not sub.read_upload(tmp_path / "missing.json", LIMIT)[0].ok


def test_duplicate_run_is_refused(run_dict):
    data = run_dict(4)
    known = sub.Known(run_ids={data["run_id"]})
    assert "already on the leaderboard" in sub.validate_upload(encode(data), LIMIT, known)[1].message


def test_valid_upload_is_stored_under_a_generated_name_and_approved(run_dict, tmp_path, results_dir):
    data = run_dict(5)
    data["model"]["name"] = "Fine & dandy (v2)"
    data["run_id"] = "submitted-run-1"
    upload = tmp_path / "upload" / "../../evil name.json"
    upload.parent.mkdir(parents=True, exist_ok=True)
    upload.write_bytes(encode(data))
    check, raw = sub.read_upload(upload, LIMIT)
    run, check = sub.validate_upload(raw, LIMIT, sub.Known())
    assert check.ok and run is not None
    data_dir = tmp_path / "space-data"
    submission_id = sub.store_pending(run, data_dir)
    assert sub.SUBMISSION_ID.match(submission_id)
    written = [p.relative_to(data_dir) for p in data_dir.rglob("*") if p.is_file()]
    assert [str(p) for p in written] == [f"pending/{submission_id}.json"]
    assert RunResult.load(data_dir / written[0]).to_dict() == run.to_dict()
    assert [sid for sid, _ in sub.list_pending(data_dir).runs] == [submission_id]

    before = load_runs(results_dir, "", data_dir / "approved", data_dir / "cache")
    assert run.run_id not in {r.run_id for r in before.runs}
    sub.approve(data_dir, submission_id)
    after = load_runs(results_dir, "", data_dir / "approved", data_dir / "cache")
    assert run.run_id in {r.run_id for r in after.runs} and len(after.runs) == len(before.runs) + 1
    assert sub.list_pending(data_dir) == sub.Pending()


@pytest.mark.parametrize("bad_id", ["../../etc/passwd", "20261125T130000Z-0123456789ab/../../x", "", "x.json"])
def test_approve_refuses_ids_that_are_not_generated(tmp_path, bad_id):
    with pytest.raises(GlobMedError, match="not a submission id"):
        sub.approve(tmp_path, bad_id)


def test_approve_and_reject_need_an_existing_pending_file(tmp_path, run_dict):
    with pytest.raises(GlobMedError, match="no pending submission"):
        sub.approve(tmp_path, "20261125T130000Z-0123456789ab")
    run = RunResult.from_dict(run_dict(6))
    submission_id = sub.store_pending(run, tmp_path)
    target = sub.reject(tmp_path, submission_id)
    assert target == tmp_path / "rejected" / f"{submission_id}.json" and target.is_file()
    assert not os.listdir(tmp_path / "pending")


def test_requests_repo_offline_fails_clearly(tmp_path, run_dict, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    run = RunResult.from_dict(run_dict(7))
    with pytest.raises(GlobMedError, match="requests dataset org/requests needs the Hugging Face Hub"):
        sub.store_pending(run, tmp_path, requests_repo="org/requests")


def test_error_messages_are_escaped_for_markdown():
    shown = sub.escape_message("model.name '<b>x</b>' [a](javascript:1)")
    assert "<b>" not in shown and "\\[a\\]" in shown


def test_submit_upload_messages(tmp_path, run_dict):
    from space_app import text

    data_dir = tmp_path / "data"
    settings = SpaceSettings(data_dir=data_dir, max_upload_bytes=LIMIT)
    assert sub.submit_upload(None, settings, sub.Known()) == text.SUBMIT_NO_FILE
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(mutate(run_dict(8), "model.name", "<script>x</script>")))
    message = sub.submit_upload(bad, settings, sub.Known())
    assert "not accepted" in message and "<script>" not in message and not data_dir.exists()
    good = tmp_path / "good.json"
    good.write_text(json.dumps(run_dict(9)))
    message = sub.submit_upload(good, settings, sub.Known())
    assert "pending review" in message
    assert len(list((data_dir / "pending").glob("*.json"))) == 1


def test_the_same_model_and_scores_under_a_new_run_id_is_a_duplicate(run_dict):
    data = run_dict(4)
    known = sub.Known.of([RunResult.from_dict(data)])
    copied = json.loads(json.dumps(data))
    copied["run_id"] = "copied-under-a-new-id"
    run, check = sub.validate_upload(encode(copied), LIMIT, known)
    assert run is None and "with these exact scores is already on the leaderboard or pending" in check.message
    for path, value in (("model.revision", "v2"), ("results.sw-mcqa.metrics.acc_ci_high", 0.999)):
        changed = mutate(json.loads(json.dumps(copied)), path, value)
        assert sub.validate_upload(encode(changed), LIMIT, known)[1].ok, path


def test_pending_submissions_count_as_known_to_the_submit_button(run_dict, tmp_path, results_dir):
    from space_app.callbacks import Callbacks, SpaceState

    data_dir = tmp_path / "data"
    data = run_dict(12)
    sub.store_pending(RunResult.from_dict(data), data_dir)
    on = Callbacks(SpaceState(SpaceSettings(results_dir=results_dir, data_dir=data_dir)), {})
    data["run_id"] = "same-run-new-id"
    upload = tmp_path / "copy.json"
    upload.write_text(json.dumps(data))
    assert "with these exact scores is already" in on.handle_submission({"path": str(upload)})
    assert len(list((data_dir / "pending").glob("*.json"))) == 1


HOSTILE_LINK = "https://huggingface.co/x)![t](http://evil/a.png)"


@pytest.mark.parametrize(("link", "message"), [
    (HOSTILE_LINK, "model.link: holds characters a URL may not"),
    ("http://huggingface.co/Qwen/Qwen3-8B", "model.link: must be an https:// URL"),
    ("https://evil.example/a.png", "model.link: must point to huggingface.co"),
    ("https://user:pw@huggingface.co/x", "model.link: must not hold a user name, password or port"),
    ("https://huggingface.co:8443/x", "model.link: must not hold a user name, password or port"),
])
def test_links_must_be_https_to_an_allowed_host(run_dict, link, message):
    run, check = sub.validate_upload(encode(mutate(run_dict(5), "model.link", link)), LIMIT, sub.Known())
    assert run is None and check.message.startswith(message)


def test_a_maintainer_extends_the_link_hosts_in_the_space_settings(run_dict, tmp_path, monkeypatch):
    upload = tmp_path / "card-elsewhere.json"
    upload.write_text(json.dumps(mutate(run_dict(6), "model.link", "https://models.example.org/card")))
    default = SpaceSettings.from_env(data_dir=tmp_path / "a", max_upload_bytes=LIMIT)
    assert "model.link: must point to huggingface.co" in sub.submit_upload(upload, default, sub.Known())
    monkeypatch.setenv("GLOBMED_LINK_HOSTS", "huggingface.co, Models.Example.org")
    extended = SpaceSettings.from_env(data_dir=tmp_path / "b", max_upload_bytes=LIMIT)
    assert extended.link_hosts == ["huggingface.co", "models.example.org"]
    assert "pending review" in sub.submit_upload(upload, extended, sub.Known())


def test_a_broken_pending_file_is_skipped_and_reported(run_dict, tmp_path, results_dir, capsys, caplog):
    from globmed_kit.cli import main
    from space_app.callbacks import Callbacks, SpaceState

    data_dir = tmp_path / "data"
    good_id = sub.store_pending(RunResult.from_dict(run_dict(3)), data_dir)
    broken = data_dir / "pending" / "20200101T000000Z-0123456789ab.json"
    broken.write_text('{"schema_version": 1, "model": ')
    pending = sub.list_pending(data_dir)
    assert [submission_id for submission_id, _ in pending.runs] == [good_id]
    assert list(pending.skipped) == [broken.name] and "not valid JSON" in pending.skipped[broken.name]
    assert f"skipping pending submission {broken}" in caplog.text

    assert main(["space", "--data-dir", str(data_dir), "--list-pending"]) == 0
    out = capsys.readouterr().out
    assert good_id in out and f"skipped {broken.name} (reject it or fix it): {broken}: not valid JSON" in out

    on = Callbacks(SpaceState(SpaceSettings(results_dir=results_dir, data_dir=data_dir)), {})
    upload = tmp_path / "new.json"
    upload.write_text(json.dumps(mutate(run_dict(13), "run_id", "fresh-run-13")))
    assert "pending review" in on.handle_submission({"path": str(upload)})

    assert main(["space", "--data-dir", str(data_dir), "--approve", broken.stem]) == 2
    assert "not valid JSON" in capsys.readouterr().err
    assert sub.reject(data_dir, broken.stem) == data_dir / "rejected" / broken.name


def test_messages_are_escaped_exactly_once(tmp_path, run_dict):
    """A duplicate's message quotes its run id: it must read 'id' on the page, not &#x27;id&#x27;."""
    from markdown_it import MarkdownIt

    data = run_dict(12)
    data["model"]["name"] = "AT&T's model"
    upload = tmp_path / "dup.json"
    upload.write_text(json.dumps(data))
    settings = SpaceSettings(data_dir=tmp_path / "data", max_upload_bytes=LIMIT)
    message = sub.submit_upload(upload, settings, sub.Known(run_ids={data["run_id"]}))
    rendered = MarkdownIt().render(message)
    assert f"run '{data['run_id']}' is already on the leaderboard" in html_text(rendered)
    assert "&#x27;" not in rendered and "&amp;#" not in rendered
    upload.write_text(json.dumps({**data, "run_id": "new-run-id"}))
    accepted = html_text(MarkdownIt().render(sub.submit_upload(upload, settings, sub.Known())))
    assert "for AT&T's model is pending review" in accepted


def html_text(rendered: str) -> str:
    """What a browser shows for rendered Markdown: tags dropped, entities decoded once."""
    import html
    import re

    return html.unescape(re.sub(r"<[^>]+>", "", rendered))


def test_a_samples_file_is_refused_as_not_the_results_file(tmp_path, run_dict):
    from space_app import text

    samples = tmp_path / "upload" / "qwen3-8b__0123456789.samples.jsonl"
    samples.parent.mkdir()
    samples.write_text(json.dumps({"doc": 1}) + "\n")
    settings = SpaceSettings(data_dir=tmp_path / "data", max_upload_bytes=LIMIT)
    message = sub.submit_upload(samples, settings, sub.Known())
    assert "not accepted" in message and "samples file" in message and "not the results file" in message
    assert ".samples.jsonl" in text.SUBMIT_NO_FILE and ".samples.jsonl" in text.UPLOAD_LABEL
