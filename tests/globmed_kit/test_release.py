"""The release folder contract (used from DIR by load_dataset / from_pretrained / the Space) and the push plan."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from support.cards import make_release_root

from globmed_kit.cli import main
from globmed_kit.release import DEFAULT_SPACE_SOURCE, assemble, plan_repo, push_all, remote_listing, repo_files


@pytest.fixture(scope="module")
def space_source() -> Path:
    return DEFAULT_SPACE_SOURCE


@pytest.fixture(scope="module")
def released(tmp_path_factory, tiny_model_dir, tiny_dataset_dir, space_source) -> Path:
    root = make_release_root(tmp_path_factory.mktemp("rel") / "release", tiny_model_dir, tiny_dataset_dir)
    assert main(["release", "--out", str(root), "--dry-run", "--org", "TestOrg", "--space-src", str(space_source)]) == 0
    return root


def test_release_folder_is_usable_offline_from_root(released):
    script = textwrap.dedent("""
        import sys
        from datasets import load_dataset
        from transformers import AutoModelForCausalLM, AutoTokenizer
        ds = load_dataset("globmed", "sw")
        assert set(ds) == {"train", "validation", "test"}, set(ds)
        assert set(ds["test"]["language"]) == {"sw"} and len(ds["test"]) > 0
        assert set(load_dataset("globmed", "sw-mcqa", split="test")["task"]) == {"mcqa"}
        model = AutoModelForCausalLM.from_pretrained("globmed-llm-tiny")
        AutoTokenizer.from_pretrained("globmed-llm-tiny")
        print("OK", model.config.model_type, len(ds["test"]))
    """)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    proc = subprocess.run([sys.executable, "-c", script], cwd=released, env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip().startswith("OK qwen3")


def test_space_folder_runs_without_the_kit_installed(released):
    """The Space repo carries the core modules it imports, so the Hub can run it from its requirements alone."""
    kit_root = str(Path(__file__).resolve().parents[2])
    script = textwrap.dedent(f"""
        import sys
        sys.path[:] = [p for p in sys.path if p.rstrip("/") != {kit_root!r}]
        sys.path.insert(0, ".")
        import globmed.results, globmed.languages, space_app.app
        from space_app.app import create_app
        for module in (globmed.results, globmed.languages, space_app.app):
            assert module.__file__.startswith({str(released / "globmed-space")!r}), module.__file__
        print("OK", len(globmed.languages.all_languages()))
    """)
    proc = subprocess.run([sys.executable, "-c", script], cwd=released / "globmed-space", capture_output=True,
                          text=True, timeout=300, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip() == "OK 12"


def test_release_layout(released):
    space = released / "globmed-space"
    names = {p.name for p in space.iterdir()}
    assert {"space_app", "globmed", "requirements.txt", "README.md"} <= names
    assert not names & {"benchmark", "dataset_builder", "training", "model_cards"}  # the kernel and the app only
    assert (space / "space_app" / "app.py").is_file()
    assert sorted(p.name for p in (space / "results").glob("*.json")) == sorted(
        p.name for p in (released / "results").glob("*.json"))
    assert "TestOrg/globmed-llm-tiny" in (space / "README.md").read_text()
    model = released / "globmed-llm-tiny"
    assert (model / ".eval_results" / "globmed-bench.yaml").is_file()
    assert "TestOrg/globmed" in (model / "README.md").read_text()
    assert (released / "globmed" / "eval.yaml").is_file()


def test_dry_run_plan_lists_repos_files_and_sizes(released, space_source, capsys):
    argv = ["release", "--out", str(released), "--dry-run", "--org", "PlanOrg", "--space-src", str(space_source)]
    assert main(argv) == 0
    quiet = capsys.readouterr().out
    assert len(quiet.splitlines()) == 3 and "+ model.safetensors" not in quiet and "-v lists them" in quiet
    assert main(["-v", *argv]) == 0
    out = capsys.readouterr().out
    for repo in ("dataset PlanOrg/globmed", "model PlanOrg/globmed-llm-tiny", "space PlanOrg/globmed-space"):
        assert repo in out
    model_files = repo_files(released / "globmed-llm-tiny")
    assert f"model PlanOrg/globmed-llm-tiny <- {released / 'globmed-llm-tiny'}: {len(model_files)} files" in out
    assert "+ model.safetensors" in out and "+ .eval_results/globmed-bench.yaml" in out
    assert "+ data/sw/mcqa/test-00000-of-00001.parquet" in out


def fake_remote(folder: Path, lfs_suffixes=(".parquet", ".safetensors")) -> list:
    """The listing the Hub would return after the folder was pushed (LFS for binaries, git blob ids else).

    The ids come from git itself (`git hash-object`) and the LFS oids from hashlib, never from the product's
    hashing, so a wrong blob id in the product makes the plan re-upload and this test fail.
    """
    from huggingface_hub.hf_api import RepoFile

    entries = repo_files(folder)
    blob_ids = subprocess.run(["git", "hash-object", "--no-filters", "--", *(str(e.local) for e in entries)],
                              capture_output=True, text=True, check=True).stdout.split()
    items = []
    for entry, blob_id in zip(entries, blob_ids, strict=True):
        lfs = None
        if entry.path_in_repo.endswith(lfs_suffixes):
            lfs = {"size": entry.size, "oid": hashlib.sha256(entry.local.read_bytes()).hexdigest(), "pointerSize": 134}
        items.append(RepoFile(path=entry.path_in_repo, size=entry.size, oid=blob_id, lfs=lfs))
    return items


def test_push_plan_is_idempotent_against_an_unchanged_remote(released, monkeypatch):
    from huggingface_hub import HfApi
    from huggingface_hub.errors import RepositoryNotFoundError

    folder = released / "globmed-llm-tiny"
    listing = fake_remote(folder)
    monkeypatch.setattr(HfApi, "list_repo_tree", lambda self, repo_id, **kw: iter(listing))
    api = HfApi(token=False)
    first = plan_repo("o/m", "model", folder, None)
    assert len(first.upload) == len(first.files) > 3 and not first.unchanged
    second = plan_repo("o/m", "model", folder, remote_listing(api, "o/m", "model"))
    assert second.upload == [] and len(second.unchanged) == len(second.files)
    listing = [f for f in listing if f.path != "config.json"] + [
        type(listing[0])(path="config.json", size=listing[0].size, oid="0" * 40)]
    changed = plan_repo("o/m", "model", folder, remote_listing(api, "o/m", "model"))
    assert [f.path_in_repo for f in changed.upload] == ["config.json"]

    def missing(self, repo_id, **kw):
        import httpx

        request = httpx.Request("GET", f"https://huggingface.co/api/models/{repo_id}/tree/main")
        raise RepositoryNotFoundError("404 Repository Not Found", response=httpx.Response(404, request=request))

    monkeypatch.setattr(HfApi, "list_repo_tree", missing)
    assert remote_listing(api, "o/new", "model") == {}


def test_push_commits_once_per_repo_then_nothing(released, space_source, monkeypatch, capsys, tmp_path):
    from huggingface_hub import HfApi

    secret = "hf_FakeTokenNeverPrinted0123456789"
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    monkeypatch.setenv("HF_TOKEN", secret)
    remote: dict[str, list] = {}
    commits: list[tuple[str, list[str]]] = []
    monkeypatch.setattr(HfApi, "create_repo", lambda self, repo_id, **kw: repo_id)
    monkeypatch.setattr(HfApi, "list_repo_tree", lambda self, repo_id, **kw: iter(remote.get(repo_id, [])))

    def create_commit(self, repo_id, operations, **kw):
        commits.append((repo_id, [op.path_in_repo for op in operations]))
        remote[repo_id] = fake_remote(folders[repo_id])
        return "https://hub/commit"

    monkeypatch.setattr(HfApi, "create_commit", create_commit)
    repos = assemble(released, "PushOrg", space_source)
    folders = {repo_id: folder for _, repo_id, folder in repos}
    push_all(repos)
    assert [c[0] for c in commits] == ["PushOrg/globmed", "PushOrg/globmed-llm-tiny", "PushOrg/globmed-space"]
    assert "README.md" in commits[1][1] and "model.safetensors" in commits[1][1]
    commits.clear()
    push_all(repos)  # rerun: nothing changed, nothing committed
    assert commits == []
    out = capsys.readouterr()
    assert secret not in out.out + out.err
    assert "upload 0" in out.out


def test_push_fails_fast_offline_or_without_org(released, monkeypatch, capsys):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert main(["release", "--out", str(released), "--push", "--org", "O"]) == 2
    err = capsys.readouterr().err
    assert "dataset repo under O" in err and "--dry-run" in err and err.count("\n") == 1
    assert main(["release", "--out", str(released), "--push"]) == 2
    assert "--push needs --org" in capsys.readouterr().err


def test_release_without_dataset_names_the_fix(tmp_path, capsys):
    assert main(["release", "--out", str(tmp_path), "--dry-run"]) == 2
    assert f"run `globmed build --out {tmp_path}` first" in capsys.readouterr().err
