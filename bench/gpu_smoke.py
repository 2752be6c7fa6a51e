"""GPU smoke test of the training engines and their step-time benchmark (run through bench/gpu_smoke.sh).

No download is possible on the GPU machine, so each model is random-initialised with a published Qwen3 shape
(bench/bench_train.py's QWEN3_SHAPES) and a BPE tokenizer trained on the bundled sample (built offline). Per size:

1. QLoRA: `--qlora-steps` steps of the size's config_qlora.yaml through `training.sft.prepare_run` (the real
   trainer: max length, packing, activation checkpointing, optimizer, per-device batch), then the merge
   (`training.export.save_final_model`: base reloaded in bf16, adapter folded in, safetensors written);
2. full fine-tuning: `--full-steps` steps of config_full.yaml on one GPU (out of memory is a result, not a crash);
3. `globmed bench --backend vllm` on the merged model, on about `--bench-items` sample test items, when vLLM is
   installed.

A step here is one micro-batch (`gradient_accumulation_steps=1`): memory is the recipe's, and the recipe's
accumulation multiplies the step time. Each row is printed as soon as it is measured, as a row of the README's GPU
table, and OUT/gpu_smoke.{json,md} are rewritten after each row. A time budget stops a training run between steps
and skips the stages that would start after it. `--cpu` runs the same stages on tiny stand-ins of the three shapes
(transformers stands in for vLLM) to check the script without a GPU.
"""

from __future__ import annotations

import argparse
import gc
import math
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_train import QWEN3_COMMON, QWEN3_SHAPES

from globmed.atomic import atomic_write_json, atomic_write_text

SIZES = {"1.7b": "Qwen3-1.7B", "4b": "Qwen3-4B", "8b": "Qwen3-8B"}
# --cpu: tiny stand-ins that keep each shape's layout (grouped-query attention, tied embeddings for 1.7B and 4B,
# untied for 8B), 0.2-0.6M parameters
CPU_SHAPES = {
    "1.7b": dict(hidden_size=64, intermediate_size=192, num_hidden_layers=2, num_attention_heads=4,
                 num_key_value_heads=2, head_dim=16, tie_word_embeddings=True),
    "4b": dict(hidden_size=80, intermediate_size=240, num_hidden_layers=3, num_attention_heads=4,
               num_key_value_heads=2, head_dim=20, tie_word_embeddings=True),
    "8b": dict(hidden_size=96, intermediate_size=288, num_hidden_layers=3, num_attention_heads=4,
               num_key_value_heads=2, head_dim=24, tie_word_embeddings=False),
}
CPU_VOCAB = 1024
# what --cpu changes in the GPU recipes (everything else, packing and activation checkpointing included, stays)
CPU_OVERRIDES = ["bf16=false", "use_cpu=true", "dtype=float32", "bnb_4bit_quant_storage=float32", "max_length=256",
                 "per_device_train_batch_size=2", "dataloader_num_workers=0"]
CAPACITIES_GB = (24, 40, 80)
FIT_MARGIN = 0.97  # a card's usable share: allocator fragmentation, other processes
COLUMNS = ("size", "run", "batch x length", "steps", "step s", "tokens/s", "peak GiB", "24 GB", "40 GB", "80 GB",
           "note")


class Report:
    """Rows of the README's GPU table, printed and written as they come."""

    def __init__(self, out: Path, device: dict[str, Any]) -> None:
        self.out, self.device, self.rows = out, device, []
        self.started = time.monotonic()
        print(f"device: {device['name']}  ({device['memory_gib']} GiB; torch {device['torch']})", flush=True)
        print(self.line(COLUMNS), flush=True)
        print(self.line(["---"] * len(COLUMNS)), flush=True)

    @staticmethod
    def line(cells) -> str:
        return "| " + " | ".join(str(c) for c in cells) + " |"

    def add(self, row: dict[str, Any]) -> None:
        self.rows.append(row)
        print(self.line(row.get(c, "") for c in COLUMNS), flush=True)
        self.save()

    def save(self) -> None:
        wall = round(time.monotonic() - self.started, 1)
        atomic_write_json(self.out / "gpu_smoke.json", {"device": self.device, "rows": self.rows, "wall_s": wall})
        table = [self.line(COLUMNS), self.line(["---"] * len(COLUMNS))]
        table += [self.line(r.get(c, "") for c in COLUMNS) for r in self.rows]
        atomic_write_text(self.out / "gpu_smoke.md", f"device: {self.device['name']}\n\n" + "\n".join(table) + "\n")


class Clock:
    """The time budget: `left()` seconds remain; stages that need more are skipped, training stops between steps."""

    def __init__(self, budget_s: float) -> None:
        self.deadline = time.monotonic() + budget_s

    def left(self) -> float:
        return self.deadline - time.monotonic()


def device_info(cpu: bool) -> dict[str, Any]:
    import torch

    info = {"torch": torch.__version__, "cuda": torch.version.cuda}
    if cpu:
        return {**info, "name": f"CPU, {torch.get_num_threads()} torch thread(s)", "memory_gib": "-"}
    props = torch.cuda.get_device_properties(0)
    return {**info, "name": props.name, "memory_gib": round(props.total_memory / 2**30, 1)}


def build_sample(out: Path) -> Path:
    """The bundled sample dataset, built offline (`globmed build`), reused when present."""
    from globmed_kit.cli import main

    dataset = out / "sample" / "globmed"
    built = (dataset / "MANIFEST.json").is_file()
    if not built and main(["-q", "build", "--out", str(out / "sample"), "--overwrite"]) != 0:
        raise SystemExit("gpu_smoke: building the bundled sample failed")
    return dataset


def sample_tokenizer(dataset: Path, vocab_size: int):
    """A BPE tokenizer (with the ChatML special tokens) trained on the sample's training chats."""
    from globmed.data import load_split
    from globmed.tiny_model import train_tokenizer
    from training.formatting import to_messages

    texts = [m["content"] for row in load_split(dataset, "train") for m in to_messages(row)]
    return train_tokenizer(texts, vocab_size=vocab_size)


def random_model(folder: Path, size: str, tokenizer, cpu: bool) -> Path:
    """A random-initialised Qwen3 of the size's shape (a tiny stand-in with --cpu), saved with the tokenizer."""
    import torch
    from transformers import Qwen3Config, Qwen3ForCausalLM

    if cpu:
        config = Qwen3Config(**{**QWEN3_COMMON, "vocab_size": CPU_VOCAB, **CPU_SHAPES[size]})
        dtype, device = torch.float32, "cpu"
    else:
        config = Qwen3Config(**QWEN3_COMMON, **QWEN3_SHAPES[SIZES[size]])
        dtype, device = torch.bfloat16, "cuda"
    config.eos_token_id, config.pad_token_id, config.bos_token_id = tokenizer.eos_token_id, tokenizer.pad_token_id, None
    torch.manual_seed(0)
    with torch.device(device):
        model = Qwen3ForCausalLM._from_config(config, dtype=dtype)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    del model
    free_memory()
    return folder


def free_memory(run=None) -> None:
    """Drop a finished run's model and optimizer (the Accelerator holds them too) and return the GPU memory."""
    import torch

    if run is not None:
        run.trainer.accelerator.free_memory()
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def step_timer(clock: Clock):
    """A TrainerCallback timing each optimizer step (CUDA synchronised) and stopping at the budget."""
    import torch
    from transformers import TrainerCallback

    class StepTimer(TrainerCallback):
        def __init__(self) -> None:
            self.ends: list[tuple[int, float]] = []  # (global step, time at its end)

        def on_step_end(self, args, state, control, **kwargs):
            if torch.cuda.is_available():
                torch.cuda.synchronize()
            self.ends.append((state.global_step, time.perf_counter()))
            if clock.left() <= 0:
                control.should_training_stop = True

    return StepTimer()


def peak_gib() -> tuple[float | None, float]:
    """(peak allocator-reserved GiB since the last reset + the CUDA context, the context alone); None on CPU."""
    import torch

    if not torch.cuda.is_available():
        return None, 0.0
    free, total = torch.cuda.mem_get_info()
    context = max(0.0, (total - free - torch.cuda.memory_reserved()) / 2**30)
    return torch.cuda.max_memory_reserved() / 2**30 + context, context


def fits(row: dict[str, Any], need: float | None) -> None:
    for capacity in CAPACITIES_GB:
        row[f"{capacity} GB"] = "-" if need is None else ("yes" if need <= capacity * FIT_MARGIN else "no")


def train_rows(run, timer, steps_wanted: int) -> dict[str, Any]:
    """Step time and tokens/s from the timer and TRL's `num_tokens` log, skipping two warm-up steps."""
    tokens = {e["step"]: e["num_tokens"] for e in run.trainer.state.log_history if "num_tokens" in e}
    ends = timer.ends
    done = ends[-1][0] if ends else 0
    row: dict[str, Any] = {"steps": f"{done}/{steps_wanted}"}
    warm = min(2, max(0, len(ends) - 2))
    if len(ends) - warm >= 2:
        (s0, t0), (s1, t1) = ends[warm], ends[-1]
        row["step s"] = round((t1 - t0) / (s1 - s0), 3)
        if s0 in tokens and s1 in tokens:
            row["tokens/s"] = round((tokens[s1] - tokens[s0]) / (t1 - t0))
    return row


def run_training_stage(size: str, method: str, base: Path, dataset: Path, out: Path, steps: int, cpu: bool,
                       clock: Clock, report: Report) -> Any:
    """Train `steps` steps of the size's recipe on the random base; returns the TrainingRun (None when it failed)."""
    import torch
    from transformers import PrinterCallback

    from training.config import load_recipe
    from training.sft import prepare_run

    name = f"smoke-{size}-{method}"
    overrides = [f"model_name_or_path={base}", f"model_name={name}", f"max_steps={steps}", "eval_strategy=no",
                 "save_strategy=no", "logging_steps=1", "gradient_accumulation_steps=1", "report_to=none",
                 "disable_tqdm=true",
                 *(CPU_OVERRIDES if cpu else [])]
    recipe = load_recipe(f"globmed-llm-{size}/sft/config_{method}.yaml", overrides)
    shape = f"{recipe.sft['per_device_train_batch_size']} x {recipe.sft['max_length']}"
    row: dict[str, Any] = {"size": SIZES[size] + (" (tiny stand-in)" if cpu else ""), "run": method,
                           "batch x length": shape}
    if torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats()
    run = None
    try:
        run = prepare_run(recipe, out / "release", dataset=dataset, overwrite=True)
        timer = step_timer(clock)
        run.trainer.add_callback(timer)
        run.trainer.remove_callback(PrinterCallback)  # a log line per step would bury the table
        run.trainer.train()
        row.update(train_rows(run, timer, steps))
        if row["steps"] != f"{steps}/{steps}":
            row["note"] = "stopped by the time budget"
    except torch.cuda.OutOfMemoryError:
        row.update(steps="0", note=f"out of memory on this {report.device['memory_gib']} GiB GPU")
        run = None
    need, _ = peak_gib()
    row["peak GiB"] = "-" if need is None else round(need, 1)
    if "out of memory" in row.get("note", ""):
        fits(row, None)
        for capacity in CAPACITIES_GB:
            if capacity <= float(report.device["memory_gib"]):
                row[f"{capacity} GB"] = "no"
    else:
        fits(row, need)
    report.add(row)
    return run


def merge_stage(run, report: Report) -> Path:
    """The QLoRA merge as `globmed train` does it; returns the merged folder."""
    import torch

    from training.export import save_final_model

    row: dict[str, Any] = {"size": report.rows[-1]["size"], "run": "merge"}
    started = time.perf_counter()
    save_final_model(run.trainer, run.recipe, run.base, run.final_dir, run.output_dir, run.dataset, run.data, {},
                     overwrite=True)
    row["step s"] = round(time.perf_counter() - started, 1)
    dtype = "bf16" if torch.cuda.is_available() else "fp32"
    row["note"] = f"save adapter, reload the base in {dtype}, merge, write safetensors (wall s)"
    report.add(row)
    return run.final_dir


def bench_stage(model_dir: Path, dataset: Path, out: Path, items: int, cpu: bool, report: Report) -> None:
    """`globmed bench` on the merged model: vLLM on the GPU (transformers with --cpu), about `items` test items."""
    from globmed.languages import language_codes
    from globmed.tasks import task_names

    combos = len(language_codes()) * len(task_names())
    limit = math.ceil(items / combos)
    backend = "transformers" if cpu else "vllm"
    row: dict[str, Any] = {"size": report.rows[-1]["size"], "run": f"globmed bench --backend {backend}"}
    if not cpu:
        try:
            import vllm  # noqa: F401
        except ImportError:
            report.add({**row, "note": "skipped: vLLM is not installed (pip install 'globmed[vllm]')"})
            return
    results = out / "results"
    command = [sys.executable, "-m", "globmed_kit.cli", "-q", "bench", "--model", str(model_dir), "--backend", backend,
               "--dataset", str(dataset), "--limit", str(limit), "--out", str(results), "--overwrite"]
    if not cpu:
        command += ["--max-model-len", "4096", "--gpu-memory-utilization", "0.85"]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        report.add({**row, "note": f"failed: {(done.stderr.strip().splitlines() or ['?'])[-1][:160]}"})
        return
    row.update({"steps": f"{limit * combos} items", "step s": round(wall, 1),
                "note": f"{limit * combos / wall:.1f} items/s end to end, engine start included"})
    report.add(row)


def smoke_size(size: str, args, dataset: Path, tokenizer, clock: Clock, report: Report) -> None:
    """QLoRA, merge, full fine-tuning and the bench on one size; a stage that would start after the budget is
    skipped and named in a row of its own."""
    skipped: list[str] = []

    def in_budget(stage: str) -> bool:
        if clock.left() > 0:
            return True
        skipped.append(stage)
        return False

    work = args.out / "work" / size
    try:
        if in_budget("all stages"):
            base = random_model(work / "base", size, tokenizer, args.cpu)
            merged = None
            run = run_training_stage(size, "qlora", base, dataset, work, args.qlora_steps, args.cpu, clock, report)
            if run is not None and in_budget("merge"):
                merged = merge_stage(run, report)
            free_memory(run)
            del run
            if in_budget("full"):
                run = run_training_stage(size, "full", base, dataset, work, args.full_steps, args.cpu, clock, report)
                free_memory(run)
                del run
            if merged is not None and in_budget("bench"):
                bench_stage(merged, dataset, work, args.bench_items, args.cpu, report)
        if skipped:
            report.add({"size": SIZES[size], "run": "-", "note": f"time budget spent: {', '.join(skipped)} skipped"})
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)  # 8B: 16 GB of base and 16 GB of merged weights


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cpu", action="store_true", help="tiny stand-ins on CPU (checks the script, no GPU)")
    parser.add_argument("--out", type=Path, default=Path("bench/out/gpu_smoke"))
    parser.add_argument("--sizes", default="1.7b,4b,8b", help="comma-separated, from 1.7b,4b,8b")
    parser.add_argument("--qlora-steps", type=int, default=20)
    parser.add_argument("--full-steps", type=int, default=10)
    parser.add_argument("--bench-items", type=int, default=200, help="about this many sample test items")
    parser.add_argument("--budget-s", type=float, default=450, help="time budget in seconds (default 450)")
    parser.add_argument("--keep", action="store_true", help="keep the random bases and merged models")
    args = parser.parse_args(argv)
    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    if unknown := [s for s in sizes if s not in SIZES]:
        parser.error(f"--sizes: unknown {', '.join(unknown)}; choose from {', '.join(SIZES)}")
    import logging

    import torch

    if not args.cpu and not torch.cuda.is_available():
        print("gpu_smoke: error: no CUDA GPU is visible; run with --cpu to check the script on tiny shapes",
              file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.WARNING)
    clock = Clock(args.budget_s)
    args.out.mkdir(parents=True, exist_ok=True)
    report = Report(args.out, device_info(args.cpu))
    dataset = build_sample(args.out)
    tokenizer = sample_tokenizer(dataset, CPU_VOCAB if args.cpu else 8192)
    for size in sizes:
        smoke_size(size, args, dataset, tokenizer, clock, report)
    if not args.keep:
        shutil.rmtree(args.out / "work", ignore_errors=True)
    report.save()
    failed = [r for r in report.rows if str(r.get("note", "")).startswith("failed")]
    print(f"wall {time.monotonic() - report.started:.0f} s; table: {args.out / 'gpu_smoke.md'}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
