"""GlobMed-LLM training: TRL SFT recipes (LoRA, QLoRA, full) and the `globmed train` entry point."""
