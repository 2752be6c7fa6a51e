"""GlobMed-LLM training: TRL SFT recipes (LoRA, QLoRA, full) and the `globmed train` entry point."""

import logging

# peft imports bitsandbytes along with transformers' Trainer; on an AVX512-BF16 CPU that import warns that a kernel
# for bitsandbytes' packed CPU inference layout cannot be fetched from the Hub: noise on every `globmed train`, and
# training never uses that layout (training.model.keep_cpu_4bit_differentiable). It is that module's only warning.
logging.getLogger("bitsandbytes.backends.cpu.ops").setLevel(logging.ERROR)
