"""Two processes on CPU (`accelerate launch`, training/accelerate/cpu_ddp.yaml, gloo) train the tiny LoRA recipe
exactly as one process does with twice the gradient accumulation; FSDP2 on CPU and what blocks it.

Each rank runs `globmed train` under tests/support/train_probe.py, which records what that rank saw (mixture ids,
packed rows, the rows of every micro-batch, its final weights, its writes under the release root).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from support.cpu_training import REPO, subprocess_env

PROBE = REPO / "tests" / "support" / "train_probe.py"
RECIPE = "globmed-llm-tiny/sft/config_lora.yaml"
MODEL = "globmed-llm-tiny"
PER_DEVICE, STEPS = 2, 4
SETTINGS = [
    "languages=en,sw,zh,yo", "tiny_hidden_size=64", "tiny_num_layers=2", "tiny_intermediate_size=128",
    "tiny_vocab_size=512",
    "mixture_rows=48", "max_eval_rows=8", "max_length=256", f"per_device_train_batch_size={PER_DEVICE}",
    "eval_strategy=no", "logging_steps=1", "save_strategy=steps", "save_steps=2", f"max_steps={STEPS}",
    "warmup_steps=0", "learning_rate=5e-3",
]


def _sets(settings: list[str]) -> list[str]:
    return [x for item in settings for x in ("--set", item)]


@pytest.fixture(scope="module")
def ddp_run(tiny_dataset_dir, tmp_path_factory, free_port_factory):
    base = tmp_path_factory.mktemp("ddp")
    root, probe_dir = base / "release", base / "probe"
    probe_dir.mkdir()
    command = [sys.executable, "-m", "accelerate.commands.launch",
               "--config_file", str(REPO / "training" / "accelerate" / "cpu_ddp.yaml"), "--num_processes", "2",
               "--main_process_port", str(free_port_factory()), str(PROBE), str(probe_dir), str(root),
               "train", "--recipe", RECIPE, "--out", str(root), "--dataset", str(tiny_dataset_dir), *_sets(SETTINGS)]
    done = subprocess.run(command, cwd=REPO, env=subprocess_env(), capture_output=True, text=True, timeout=400)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    ranks = [json.loads((probe_dir / f"rank{r}.json").read_text()) for r in (0, 1)]
    return {"root": root, "ranks": ranks, "log": done.stdout + done.stderr}


@pytest.fixture(scope="module")
def one_process_run(tiny_dataset_dir, tmp_path_factory):
    """The reference: one process, gradient_accumulation_steps=2, same settings, same spies."""
    from support.train_probe import install

    from globmed_kit.cli import main

    root = tmp_path_factory.mktemp("one-process") / "release"
    record: dict = {}
    with pytest.MonkeyPatch.context() as patch:
        install(record, patch.setattr)
        code = main(["-q", "train", "--recipe", RECIPE, "--out", str(root), "--dataset", str(tiny_dataset_dir),
                     *_sets([*SETTINGS, "gradient_accumulation_steps=2"])])
    assert code == 0
    return {"root": root, "record": record}


def _log(root: Path) -> list[dict]:
    state = json.loads((root / "work" / "train" / MODEL / "trainer_state.json").read_text())
    return [entry for entry in state["log_history"] if "loss" in entry]


def test_two_cpu_processes_form_one_gloo_ddp_run(ddp_run):
    for rank, record in enumerate(ddp_run["ranks"]):
        assert record["rank"] == rank and record["world_size"] == 2
        assert record["distributed_type"].endswith("MULTI_CPU") and record["backend"] == "gloo"
        assert record["wrapped"] == "DistributedDataParallel"
    # gradients are all-reduced: both ranks end with the same weights (an evaluation before train() once left the
    # model unwrapped, and each rank trained its own copy)
    assert ddp_run["ranks"][0]["trained_weights"] == ddp_run["ranks"][1]["trained_weights"]


def test_only_rank_0_writes_the_model_folder_and_card(ddp_run):
    rank0, rank1 = (record["writes"] for record in ddp_run["ranks"])
    # rank 1 only creates (exist_ok) the checkpoint folders the Trainer shares; torch.save and safetensors write
    # from C and escape the audit hook, but every write of the model folder and the card starts with a Python
    # mkdtemp/mkstemp and ends with a rename, which it records
    assert rank1 and all(path.startswith(f"work/train/{MODEL}/checkpoint-") for _, path in rank1), rank1
    assert any(event == "os.rename" and path == MODEL for event, path in rank0)  # the merged folder moved into place
    assert any(event == "os.rename" and path == f"{MODEL}/README.md" for event, path in rank0)  # the card
    model_dir = ddp_run["root"] / MODEL
    assert {"README.md", "model.safetensors", "globmed_training.json"} <= {p.name for p in model_dir.iterdir()}
    info = json.loads((model_dir / "globmed_training.json").read_text())
    assert info["hyperparameters"]["world_size"] == 2 and info["hyperparameters"]["global_step"] == STEPS


def test_both_ranks_build_the_same_mixture_and_packing(ddp_run, one_process_run):
    rank0, rank1 = ddp_run["ranks"]
    reference = one_process_run["record"]
    assert len(rank0["mixture_ids"]) == 48 and {i.rsplit(":", 1)[1] for i in rank0["mixture_ids"]} == {
        "en", "sw", "zh", "yo"} and len(set(rank0["packed_rows"])) > 8
    assert rank0["mixture_ids"] == rank1["mixture_ids"] == reference["mixture_ids"]  # same ids, same order
    assert rank0["packed_rows"] == rank1["packed_rows"] == reference["packed_rows"]


def test_global_batch_is_twice_the_per_device_batch(ddp_run, one_process_run):
    rank0, rank1 = ddp_run["ranks"]
    micro = one_process_run["record"]["steps"]
    assert len(rank0["steps"]) == len(rank1["steps"]) == STEPS and len(micro) == 2 * STEPS
    for step in range(STEPS):
        first, second = rank0["steps"][step], rank1["steps"][step]
        assert len(first) == len(second) == PER_DEVICE
        assert not set(first) & set(second)  # the ranks train on different rows
        # one optimizer step of 2 ranks = the two accumulated micro-batches of one process, row for row
        assert [first, second] == micro[2 * step:2 * step + 2]
    tokens = [entry["num_tokens"] for entry in _log(ddp_run["root"])]
    assert tokens == [entry["num_tokens"] for entry in _log(one_process_run["root"])]


def test_loss_matches_one_process_with_twice_the_accumulation(ddp_run, one_process_run):
    ddp, single = _log(ddp_run["root"]), _log(one_process_run["root"])
    assert [e["step"] for e in ddp] == [e["step"] for e in single] == list(range(1, STEPS + 1))
    # Tolerance 1e-3 on losses near 6.2. Both runs see the same rows in each step and normalise the loss by the
    # same token count (num_items_in_batch, summed over ranks / over micro-batches); they differ only in the order
    # of float32 sums (gloo adds the two ranks' gradients, one process accumulates them). That is ~1e-7 relative
    # per step, but AdamW's first updates are close to lr * sign(g), so a gradient component near zero that flips
    # sign moves a weight by up to 2 * lr (1e-2): 1e-3 allows a few such flips, and is 60x smaller than the loss
    # change over these 4 steps, which any real difference (an unsynchronised rank, a batch counted twice or
    # normalised per rank) shifts by far more.
    for a, b in zip(ddp, single, strict=True):
        assert a["loss"] == pytest.approx(b["loss"], abs=1e-3), (a, b)
    assert single[0]["loss"] - single[-1]["loss"] > 0.06  # training moved the loss
    weights = ddp_run["ranks"][0]["trained_weights"]
    reference = one_process_run["record"]["trained_weights"]
    assert weights == pytest.approx(reference, rel=1e-3, abs=1e-3)


FSDP2_ON_CPU = """
import os, sys
os.environ.update(LOCAL_RANK="0", RANK="0", WORLD_SIZE="1", LOCAL_WORLD_SIZE="1", MASTER_ADDR="127.0.0.1",
                  MASTER_PORT=sys.argv[1], ACCELERATE_USE_FSDP="true", FSDP_VERSION="2")
import torch
from accelerate import Accelerator
from accelerate.utils import FullyShardedDataParallelPlugin
from torch.distributed.fsdp import fully_shard

accelerator = Accelerator(cpu=True, fsdp_plugin=FullyShardedDataParallelPlugin(fsdp_version=2))
prepared = accelerator.prepare(torch.nn.Linear(4, 4))
layer = torch.nn.Linear(4, 4)
fully_shard(layer)  # torch itself, on the gloo group accelerate opened
layer(torch.randn(2, 4)).sum().backward()
print(accelerator.distributed_type, accelerator.state.backend, accelerator.is_fsdp2, type(prepared).__name__,
      type(layer.weight).__name__, layer.weight.grad is not None)
"""


def test_fsdp2_on_cpu_is_what_accelerate_blocks(free_port_factory):
    """torch's FSDP2 (`fully_shard`) runs on CPU with gloo, but accelerate 1.15 only selects FSDP for accelerator
    processes: a CPU process with an FSDP2 plugin becomes MULTI_CPU and is wrapped in DDP, silently. When this test
    fails, accelerate has changed: run tests/training/test_distributed.py's DDP tests with an FSDP2 CPU config."""
    done = subprocess.run([sys.executable, "-c", FSDP2_ON_CPU, str(free_port_factory())], env=subprocess_env(),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    distributed_type, backend, is_fsdp2, wrapped, weight, has_grad = done.stdout.split()[-6:]
    assert (weight, has_grad) == ("DTensor", "True")  # torch shards and trains on CPU
    assert (distributed_type, backend, is_fsdp2, wrapped) == (
        "DistributedType.MULTI_CPU", "gloo", "False", "DistributedDataParallel")
    # training/README.md names this blocker for the accelerate version that shows it
    import accelerate

    readme = " ".join((REPO / "training" / "README.md").read_text(encoding="utf-8").split())
    version = ".".join(accelerate.__version__.split(".")[:2])
    assert "FSDP2 on CPU does not run" in readme and f"accelerate {version} selects FSDP only for accelerator" in readme
