"""Lazy backend registry: a name maps to "module:Class", imported the first time it is used.

vLLM is an optional extra (`pip install globmed[vllm]`); it is only imported when `--backend vllm` is asked.
"""

from __future__ import annotations

from benchmark.backends.base import Backend, BackendConfig, Request
from globmed.registry import Registry

BACKENDS: Registry[type[Backend]] = Registry("backend")
BACKENDS.register("transformers", "benchmark.backends.hf:TransformersBackend")
BACKENDS.register("vllm", "benchmark.backends.vllm_backend:VLLMBackend")
BACKENDS.register("openai", "benchmark.backends.openai_api:OpenAIBackend")


def make_backend(name: str, config: BackendConfig) -> Backend:
    return BACKENDS.get(name)(config)


__all__ = ["BACKENDS", "Backend", "BackendConfig", "Request", "make_backend"]
