"""LoRA with the embeddings trained in full on a base that ties them to the output layer (the tiny model).

A random-weight base cannot be taught by LoRA alone: its frozen output layer caps how far the logits move, so
the tiny recipe trains the embeddings too. The trained copy must stay tied to the output layer, or training
optimises one model and the merged folder holds another.
"""

from __future__ import annotations

import torch

from training.config import load_recipe
from training.export import merge_adapter
from training.model import lora_config

IDS = torch.tensor([[5, 17, 42, 99, 7, 3, 17, 42]])


def _logits(model) -> torch.Tensor:
    model.eval()
    with torch.no_grad():
        return model(input_ids=IDS).logits


def test_trained_embeddings_drive_the_logits_and_survive_the_merge(tiny_model_dir, tmp_path):
    from peft import get_peft_model
    from transformers import AutoModelForCausalLM

    recipe = load_recipe("globmed-llm-tiny/sft/config_lora.yaml")  # trains embed_tokens and the norms
    base = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    assert base.config.tie_word_embeddings
    before = _logits(base)
    model = get_peft_model(base, lora_config(recipe, base))
    model.train()
    optimizer = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=1.0)
    for _ in range(3):
        model(input_ids=IDS, labels=IDS).loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    trained = _logits(model)
    # the output layer is the trained embedding copy, not the frozen original
    assert model.get_output_embeddings().weight.data_ptr() == model.get_input_embeddings().weight.data_ptr()

    model.save_pretrained(tmp_path / "adapter")
    merged = merge_adapter(str(tiny_model_dir), tmp_path / "adapter", recipe)
    merged.save_pretrained(tmp_path / "merged")
    served = _logits(AutoModelForCausalLM.from_pretrained(tmp_path / "merged"))

    assert not torch.allclose(before, served, atol=1e-3)  # training changed the model
    assert torch.allclose(trained, served, atol=1e-4), (trained - served).abs().max()
