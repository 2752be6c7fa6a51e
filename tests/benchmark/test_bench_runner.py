"""`runner.run` leaves the caller's config alone and names the run from that config as given."""

from __future__ import annotations

import copy
import dataclasses
import json

from benchmark.backends import BackendConfig
from benchmark.provenance import dataset_info
from benchmark.runner import RunConfig, config_fingerprint, config_hash, resolve, run
from globmed.results import ModelInfo, RunResult


def api_config(out: str) -> RunConfig:
    return RunConfig(
        model=ModelInfo(name="tiny", path="org/tiny"),
        backend="openai",
        backend_config=BackendConfig(model="org/tiny", base_url="http://127.0.0.1:1/v1"),
        dataset="org/globmed",
        tasks=["mcqa", "lfqa"],
        languages=["en", "sw"],
        limit=3,
        out=out,
    )


def test_config_hash_is_unchanged():
    """Results on disk resume by this hash: a new value means every roster entry runs again."""
    fingerprint = config_fingerprint(api_config("results"), "0" * 64)
    assert fingerprint["scoring"] == "auto"
    assert config_hash(fingerprint) == "3322dec661bed15e98f5900285f4ada69d98d3942b9517650379e601ff62a267"


def test_k_shot_runs_of_the_seeded_sampler_are_not_resumed_as_first_n_runs():
    """Before issue 14 the k shots were drawn at random (seeded); those results must not count as done now.
    0-shot runs keep their hash (above): their prompts did not change."""
    k_shot = config_fingerprint(dataclasses.replace(api_config("results"), shots=2), "0" * 64)
    assert k_shot.pop("shots_sampler") == "first_n"
    earlier = k_shot  # the fingerprint as the seeded version computed it
    assert config_hash(config_fingerprint(dataclasses.replace(api_config("results"), shots=2), "0" * 64)) != (
        config_hash(earlier))
    assert "shots_sampler" not in config_fingerprint(api_config("results"), "0" * 64)


def test_resolve_fills_the_backend_defaults_on_a_copy(tmp_path):
    cfg = api_config(str(tmp_path))
    before = copy.deepcopy(cfg)
    resolved = resolve(cfg, tmp_path)
    assert resolved.scoring == "generate"  # the API backend has no log-likelihoods
    assert resolved.backend_config.cache_path == str(tmp_path / ".cache" / "responses.sqlite")
    assert cfg == before and cfg.backend_config.cache_path is None


def test_run_leaves_the_callers_config_unchanged(tiny_model_dir, tiny_dataset_dir, tmp_path):
    cfg = RunConfig(
        model=ModelInfo(name="tiny", path=str(tiny_model_dir)),
        backend_config=BackendConfig(model=str(tiny_model_dir), device="cpu"),
        dataset=str(tiny_dataset_dir),
        tasks=["mcqa"],
        languages=["en"],
        limit=2,
        resamples=20,
        out=str(tmp_path),
    )
    before = copy.deepcopy(cfg)
    path = run(cfg)
    assert cfg == before  # scoring is still "auto", though the run resolved it
    result = RunResult.load(path)
    assert result.config["scoring"] == "loglikelihood"
    digest = config_hash(config_fingerprint(before, dataset_info(before.dataset)["manifest_sha256"]))
    assert result.config["config_hash"] == digest and result.run_id == f"tiny__{digest[:10]}"
    mtime = path.stat().st_mtime_ns
    assert run(cfg) == path and path.stat().st_mtime_ns == mtime  # the same config finds its run done
    assert cfg == before


def test_a_run_on_a_folder_reads_it_without_datasets_builds(tiny_model_dir, tiny_dataset_dir, tmp_path, monkeypatch):
    """Every cell's test rows and shot pool come from one pyarrow read per split; --limit applies per cell."""
    import datasets
    import pyarrow.parquet as pq

    def no_build(*args, **kwargs):
        raise AssertionError("datasets.load_dataset called for a local folder")

    monkeypatch.setattr(datasets, "load_dataset", no_build)
    cfg = RunConfig(
        model=ModelInfo(name="tiny", path=str(tiny_model_dir)),
        backend_config=BackendConfig(model=str(tiny_model_dir), device="cpu"),
        dataset=str(tiny_dataset_dir), tasks=["mcqa", "nli"], languages=["en", "sw"], limit=3, shots=1,
        resamples=10, out=str(tmp_path),
    )
    path = run(cfg)
    samples = [json.loads(line) for line in path.with_suffix(".samples.jsonl").read_text().splitlines()]
    for lang in ("en", "sw"):
        for task in ("mcqa", "nli"):
            cell = [s for s in samples if (s["language"], s["task"]) == (lang, task)]
            shard = tiny_dataset_dir / "data" / lang / task / "test-00000-of-00001.parquet"
            assert [s["id"] for s in cell] == pq.read_table(shard).column("id").to_pylist()[:3]
            pool = pq.read_table(shard.with_name("validation-00000-of-00001.parquet")).column("question").to_pylist()
            assert all(sum(question in s["prompt"] for question in pool) == 1 for s in cell)  # one shot, from the pool
