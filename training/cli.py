"""`globmed train`: fine-tune a GlobMed-LLM from a recipe (heavy imports happen inside `run`)."""

from __future__ import annotations

import argparse
import sys
import warnings

from globmed.command import Command
from globmed.layout import DEFAULT_RELEASE_ROOT

# peft reads `model.is_gradient_checkpointing` on each PeftModel it wraps (training, then the merge), which
# transformers 5 deprecates: advice for peft's authors that a user of `globmed train` can do nothing about.
PEFT_DEPRECATION = r"`is_gradient_checkpointing` is deprecated"


class TrainCommand(Command):
    name = "train"
    help = (
        "Fine-tune a GlobMed-LLM with TRL SFT from a recipe (training/recipes/<model>/sft/config_<variant>.yaml): "
        "a flat YAML of trl.SFTConfig, trl.ModelConfig and trl.ScriptArguments keys, which `trl sft --config` "
        "reads, plus GlobMed's own keys (training.config.GlobMedArguments). Merge order: dataclass defaults < "
        "recipe YAML < --set. The merged model lands in ROOT/<model_name>, checkpoints in "
        "ROOT/work/train/<model_name>/. Runs on CPU (tiny recipe) and under `accelerate launch`."
    )
    examples = """  globmed train --recipe training/recipes/globmed-llm-tiny/sft/config_lora.yaml --out release
  globmed train --recipe globmed-llm-tiny/sft/config_full --set max_steps=20 --set languages=en,sw
  globmed train --recipe globmed-llm-8b/sft/config_qlora.yaml --resume --push-to-hub ORG/globmed-llm-8b
  accelerate launch --config_file training/accelerate/deepspeed_zero3.yaml -m globmed_kit.cli train \\
      --recipe globmed-llm-8b/sft/config_full.yaml
  globmed train --recipe globmed-llm-1.7b/sft/config_qlora.yaml --print-config   resolved recipe, no training
"""

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        from globmed.cli_args import add_overwrite_flag

        parser.add_argument("--recipe", required=True, help="recipe YAML, or a name under training/recipes")
        parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                            help="override one recipe key, typed as TRL types its flag (repeatable; a list takes "
                                 "a,b), e.g. learning_rate=1e-4")
        parser.add_argument("--out", default=str(DEFAULT_RELEASE_ROOT), help="release root (default ./release)")
        add_overwrite_flag(parser)
        parser.add_argument("--dataset", default=None,
                            help="dataset folder or Hub repo (default: the recipe's dataset_name, else ROOT/globmed)")
        parser.add_argument("--resume", action="store_true", help="continue from the last checkpoint")
        parser.add_argument("--push-to-hub", default=None, metavar="ORG/NAME",
                            help="upload the merged model (needs HF_TOKEN in the environment)")
        parser.add_argument("--print-config", action="store_true",
                            help="print the resolved recipe (a flat YAML for `trl sft --config`) and exit")

    def run(self, args: argparse.Namespace) -> int:
        import yaml

        from training.config import load_recipe

        recipe = load_recipe(args.recipe, args.overrides)
        if args.print_config:
            sys.stdout.write(yaml.safe_dump(recipe.to_dict(), sort_keys=False, allow_unicode=True))
            return 0
        from functools import partial

        from globmed.log import library_bars_hidden
        from model_cards.model_card import write_model_card
        from training.sft import run_training

        # The card is written once the merged folder is complete and before any push, so the Hub gets it too.
        org = args.push_to_hub.split("/", 1)[0] if args.push_to_hub else None
        with warnings.catch_warnings(), library_bars_hidden():  # the trainer's bar stays: one per phase
            warnings.filterwarnings("ignore", message=PEFT_DEPRECATION, category=FutureWarning)
            result = run_training(recipe, args.out, dataset=args.dataset, resume=args.resume,
                                  push_to_hub=args.push_to_hub, after_save=partial(write_model_card, org=org),
                                  overwrite=args.overwrite)
        print(f"model: {result.model_dir}  (step {result.global_step}, train loss {_loss(result.train_loss)}, "
              f"eval loss {_loss(result.eval_loss)})")
        return 0


def _loss(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4f}"
