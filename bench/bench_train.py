"""Training benchmarks (not tests): packing efficiency, CPU tokens/s of the tiny model, GPU step time/memory.

    make bench-train            # or: python bench/bench_train.py [--out bench/out/train] [--skip-cpu-train]

1. Packing efficiency = non-pad tokens / all tokens, with TRL's BFD packing at the recipe's max_length, on a
   sample-like dataset (the bundled sample if a built one is found at release/globmed, else a synthetic set
   with the sample's shape: 12 languages x 3 tasks x 24 train rows) and on a synthetic 50k-row set. Target >= 95%.
   For contrast: padding each batch to its longest row, without packing.
2. CPU tokens/s: the tiny LoRA recipe for a fixed number of steps (the whole `globmed train` path).
3. GPU (only when CUDA is available; skipped otherwise): step time and peak memory of QLoRA and full fine-tuning
   for Qwen3-1.7B/4B/8B-shaped models with random weights built from their configs (no download).
Results go to OUT/bench_train.json and are printed as a table.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")  # tokenizer threads would compete with torch for 2 cores

from globmed.atomic import atomic_write_json
from globmed.languages import language_codes

SYLLABLES = {
    "zh": list("的是不了在人有我他这中大来上国个到说们为子和你地出道也时年得就那要下以生会自着去之过家学对可里后小么心多天而能好都然没日于起还发成事只作当想看文无开手十用主行方又如前所本见经头面公同三已老从动两长知民样现"),  # noqa: E501
    "ja": list("あいうえおかきくけこさしすせそたちつてとなにぬねのはひふへほまみむめもやゆよらりるれろわをん病院薬症状診断治療患者"),  # noqa: E501
    "ko": list("가나다라마바사아자차카타파하거너더러머버서어저처커터퍼허고노도로모보소오조초코토포호병원약증상진단치료환자"),  # noqa: E501
}
LATIN = ["ka", "ma", "ta", "ri", "lo", "ne", "su", "di", "pa", "ko", "mi", "zu", "wo", "yo", "be", "fa", "gi", "hu"]
MEDICAL = ["patient", "fever", "insulin", "diagnosis", "therapy", "dose", "renal", "cardiac", "infection", "symptom"]


def _words(rng: random.Random, lang: str, n: int) -> str:
    if lang in SYLLABLES:
        return "".join(rng.choice(SYLLABLES[lang]) for _ in range(int(n * 1.6)))
    out = []
    for _ in range(n):
        if rng.random() < 0.15:
            out.append(rng.choice(MEDICAL))
        else:
            out.append("".join(rng.choice(LATIN) for _ in range(rng.randint(1, 4))))
    return " ".join(out)


def synthetic_rows(per_lang_task: int, split: str, seed: int = 0) -> list[dict]:
    """Rows in the record schema with the sample's length profile (question 15-80 words, explanations, lfqa)."""
    from globmed.schema import Record, TranslationInfo

    rng = random.Random(f"{seed}-{split}")
    labels = ["entailment", "neutral", "contradiction"]
    rows = []
    for lang in language_codes():
        for task in ("mcqa", "nli", "lfqa"):
            for i in range(per_lang_task):
                sid = f"{split}-{i}"
                context = _words(rng, lang, rng.randint(20, 60)) if task == "nli" or rng.random() < 0.2 else ""
                if task == "mcqa":
                    options = [_words(rng, lang, rng.randint(1, 6)) for _ in range(rng.choice((4, 5)))]
                    index = rng.randrange(len(options))
                    answer = options[index]
                elif task == "nli":
                    options, index = labels, rng.randrange(3)
                    answer = labels[index]
                else:
                    options, index, answer = [], -1, _words(rng, lang, rng.randint(40, 160))
                rows.append(Record(
                    id=f"synth{task}:{sid}:{lang}", parallel_id=f"synth{task}:{sid}", language=lang, task=task,
                    source=f"synth{task}", context=context, question=_words(rng, lang, rng.randint(15, 80)),
                    options=options, answer_index=index, answer=answer,
                    explanation=_words(rng, lang, rng.randint(10, 60)) if task == "mcqa" and rng.random() < 0.5 else "",
                    license="CC-BY-4.0", translation=TranslationInfo(method="machine"),
                ).to_row())
    return rows


def write_dataset(root: Path, per_lang_task: dict[str, int], seed: int = 0) -> Path:
    """A dataset folder in the published layout, read back through globmed.data.load_split like the real one."""
    from datasets import Dataset

    from globmed.schema import features

    for split, n in per_lang_task.items():
        by_key: dict[tuple[str, str], list[dict]] = {}
        for row in synthetic_rows(n, split, seed):
            by_key.setdefault((row["language"], row["task"]), []).append(row)
        for (lang, task), rows in by_key.items():
            out = root / "data" / lang / task / f"{split}-00000-of-00001.parquet"
            out.parent.mkdir(parents=True, exist_ok=True)
            Dataset.from_list(rows, features=features()).to_parquet(str(out))
    (root / "README.md").write_text("---\nconfigs: []\n---\n# synthetic GlobMed-shaped data for bench_train\n")
    return root


def tokenized_lengths(dataset_dir: Path, tokenizer, limit: int | None = None):
    """Token ids (+ assistant-only labels) of the formatted training chats, as SFTTrainer prepares them."""
    from datasets import Dataset

    from globmed.data import load_split
    from training.formatting import to_messages

    rows = load_split(dataset_dir, "train")
    if limit:
        rows = rows.select(range(min(limit, len(rows))))
    ids = []
    for row in rows:
        out = tokenizer.apply_chat_template(to_messages(row), tokenize=True, return_dict=True)
        ids.append(out["input_ids"])
    return Dataset.from_dict({"input_ids": ids})


def packing_efficiency(tokenized, max_length: int, batch_size: int) -> dict:
    from trl.data_utils import pack_dataset

    lengths = [min(len(x), max_length) for x in tokenized["input_ids"]]
    total = sum(len(x) for x in tokenized["input_ids"])
    packed = pack_dataset(tokenized, max_length, "bfd")
    packed_tokens = sum(len(x) for x in packed["input_ids"])
    fill = packed_tokens / (len(packed) * max_length)
    # no packing: batches (in data order) padded to their longest row
    batches = [lengths[i:i + batch_size] for i in range(0, len(lengths), batch_size)]
    padded = sum(max(b) * len(b) for b in batches)
    return {
        "rows": len(tokenized), "tokens": total, "max_length": max_length, "packs": len(packed),
        "packed_efficiency": round(fill, 4), "truncated_token_fraction": round(1 - packed_tokens / total, 5),
        "unpacked_padded_efficiency": round(sum(lengths) / padded, 4),
    }


def bench_packing(out: Path, tokenizer_dir: Path | None) -> list[dict]:
    from globmed.tiny_model import train_tokenizer

    results = []
    sample = Path("release/globmed")
    if (sample / "README.md").is_file():
        sample_dir, sample_name = sample, "bundled sample (release/globmed)"
    else:
        sample_dir = write_dataset(out / "sample-like", {"train": 24, "validation": 4})
        sample_name = "sample-shaped synthetic (12 langs x 3 tasks x 24)"
    big_dir = write_dataset(out / "synthetic-50k", {"train": 1389})  # 12 x 3 x 1389 = 50,004 rows
    from globmed.data import load_split
    from training.formatting import to_messages

    if tokenizer_dir is None:
        texts = [m["content"] for row in load_split(sample_dir, "train") for m in to_messages(row)]
        tokenizer = train_tokenizer(texts, vocab_size=2048)
    else:
        from transformers import AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir)
    from training.config import load_recipe

    # the packing lengths the shipped recipes use: the tiny CPU recipe's and the GPU recipes'
    recipes = ("globmed-llm-tiny/sft/config_lora.yaml", "globmed-llm-8b/sft/config_qlora.yaml")
    lengths = sorted({load_recipe(path).sft["max_length"] for path in recipes})
    for name, folder in ((sample_name, sample_dir), ("synthetic 50k rows", big_dir)):
        tokenized = tokenized_lengths(folder, tokenizer)
        for max_length in lengths:
            result = {"dataset": name, **packing_efficiency(tokenized, max_length, batch_size=4)}
            results.append(result)
            print(f"packing  {name:<48} L={max_length:<5} rows={result['rows']:<6} packs={result['packs']:<6} "
                  f"efficiency={result['packed_efficiency']:.2%} (unpacked {result['unpacked_padded_efficiency']:.2%}, "
                  f"truncated {result['truncated_token_fraction']:.3%})", flush=True)
    return results


def bench_cpu_train(out: Path, steps: int) -> dict:
    """The tiny LoRA recipe through `run_training` for a fixed number of steps; tokens/s from the trainer log."""
    from training.config import load_recipe
    from training.sft import run_training

    dataset = Path("release/globmed")
    if not (dataset / "README.md").is_file():
        dataset = out / "sample-like"
        if not (dataset / "README.md").is_file():
            write_dataset(dataset, {"train": 24, "validation": 4})
    recipe = load_recipe("globmed-llm-tiny/sft/config_lora.yaml",
                         [f"max_steps={steps}", "eval_strategy=no", "save_strategy=no"])
    start = time.perf_counter()
    result = run_training(recipe, out / "cpu-release", dataset=dataset)
    wall = time.perf_counter() - start
    state = json.loads((result.output_dir / "trainer_state.json").read_text())
    logged = [e for e in state["log_history"] if "num_tokens" in e]
    summary = [e for e in state["log_history"] if "train_runtime" in e][-1]
    tokens = logged[-1]["num_tokens"] if logged else None
    record = {
        "steps": result.global_step, "train_runtime_s": summary["train_runtime"], "wall_s": round(wall, 1),
        "tokens": tokens, "tokens_per_s": round(tokens / summary["train_runtime"], 1) if tokens else None,
        "torch_threads": __import__("torch").get_num_threads(), "cpus": os.cpu_count(),
        "eval_loss_before": result.initial_eval_loss, "eval_loss_after": result.eval_loss,
    }
    print(f"cpu      tiny LoRA recipe: {record['steps']} steps, {record['tokens']} tokens in "
          f"{record['train_runtime_s']:.1f}s -> {record['tokens_per_s']} tokens/s", flush=True)
    return record


QWEN3_COMMON = dict(vocab_size=151936, head_dim=128, max_position_embeddings=32768, rope_theta=1000000.0)
QWEN3_SHAPES = {  # from the published Qwen3-*-Base config.json files (with QWEN3_COMMON)
    "Qwen3-1.7B": dict(hidden_size=2048, intermediate_size=6144, num_hidden_layers=28, num_attention_heads=16,
                       num_key_value_heads=8, tie_word_embeddings=True),
    "Qwen3-4B": dict(hidden_size=2560, intermediate_size=9728, num_hidden_layers=36, num_attention_heads=32,
                     num_key_value_heads=8, tie_word_embeddings=True),
    "Qwen3-8B": dict(hidden_size=4096, intermediate_size=12288, num_hidden_layers=36, num_attention_heads=32,
                     num_key_value_heads=8, tie_word_embeddings=False),
}


def bench_gpu(out: Path, seq_len: int = 2048, batch: int = 2, steps: int = 5) -> list[dict]:
    """QLoRA and full FT steps on random-weight Qwen3-shaped models; OOM is recorded, not fatal."""
    import torch

    if not torch.cuda.is_available():
        print("gpu      skipped: CUDA is not available", flush=True)
        return []
    from transformers import AutoModelForCausalLM, BitsAndBytesConfig, Qwen3Config, Qwen3ForCausalLM

    results = []
    for name, shape in QWEN3_SHAPES.items():
        config = Qwen3Config(**QWEN3_COMMON, **shape)
        folder = out / "gpu-models" / name
        if not (folder / "config.json").is_file():
            torch.manual_seed(0)
            with torch.device("cuda"):
                model = Qwen3ForCausalLM(config).to(torch.bfloat16)
            model.save_pretrained(folder)
            del model
            torch.cuda.empty_cache()
        for method in ("qlora", "full"):
            torch.cuda.empty_cache()
            torch.cuda.reset_peak_memory_stats()
            record = {"model": name, "method": method, "seq_len": seq_len, "batch": batch,
                      "device": torch.cuda.get_device_name(0)}
            model = optimizer = None
            try:
                kwargs = {"dtype": torch.bfloat16, "attn_implementation": "sdpa", "device_map": {"": 0}}
                if method == "qlora":
                    kwargs["quantization_config"] = BitsAndBytesConfig(
                        load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
                        bnb_4bit_compute_dtype=torch.bfloat16)
                model = AutoModelForCausalLM.from_pretrained(folder, **kwargs)
                model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
                if method == "qlora":
                    from peft import LoraConfig, get_peft_model, prepare_model_for_kbit_training

                    model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=True)
                    model = get_peft_model(model, LoraConfig(r=64, lora_alpha=128, target_modules="all-linear",
                                                             task_type="CAUSAL_LM"))
                    import bitsandbytes as bnb

                    optimizer = bnb.optim.PagedAdamW8bit([p for p in model.parameters() if p.requires_grad], lr=2e-4)
                else:
                    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-5, fused=True)
                ids = torch.randint(0, config.vocab_size, (batch, seq_len), device="cuda")
                times = []
                for step in range(steps):
                    torch.cuda.synchronize()
                    t0 = time.perf_counter()
                    loss = model(input_ids=ids, labels=ids).loss
                    loss.backward()
                    optimizer.step()
                    optimizer.zero_grad(set_to_none=True)
                    torch.cuda.synchronize()
                    if step:  # the first step warms up kernels and allocates optimizer state
                        times.append(time.perf_counter() - t0)
                record.update(step_s=round(sum(times) / len(times), 3),
                              tokens_per_s=round(batch * seq_len * len(times) / sum(times)),
                              peak_mem_gib=round(torch.cuda.max_memory_allocated() / 2**30, 2))
            except torch.cuda.OutOfMemoryError:
                record.update(step_s=None, peak_mem_gib=None, note="out of memory on one GPU: use ZeRO-3/FSDP2")
            except ImportError as err:
                record.update(step_s=None, peak_mem_gib=None, note=f"missing package: {err.name}")
            finally:
                del model, optimizer
                torch.cuda.empty_cache()
            results.append(record)
            print(f"gpu      {name:<11} {method:<5} {record}", flush=True)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="bench/out/train")
    parser.add_argument("--cpu-steps", type=int, default=30, help="optimizer steps of the tiny recipe")
    parser.add_argument("--skip-cpu-train", action="store_true")
    parser.add_argument("--skip-packing", action="store_true")
    args = parser.parse_args(argv)
    import logging

    logging.basicConfig(level=logging.WARNING)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    report: dict = {}
    if not args.skip_cpu_train:  # first, on a quiet process
        report["cpu_train"] = bench_cpu_train(out, args.cpu_steps)
    if not args.skip_packing:
        report["packing"] = bench_packing(out, None)
    report["gpu"] = bench_gpu(out)
    atomic_write_json(out / "bench_train.json", report)
    print(f"written {out / 'bench_train.json'}")
    for max_length in sorted({r["max_length"] for r in report.get("packing", [])}):
        rows = [r for r in report["packing"] if r["max_length"] == max_length]
        met = all(r["packed_efficiency"] >= 0.95 for r in rows)
        print(f"packing target >= 95% at max_length {max_length}: {'met' if met else 'missed'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
