"""Chat backends behind one interface: an OpenAI-compatible HTTP endpoint, or transformers in process."""

from __future__ import annotations

from dataset_builder.translate.backends.base import BackendError, ChatBackend, ChatResult
from dataset_builder.translate.config import BackendConfig
from globmed.registry import Registry

BACKEND_CLASSES: Registry[type[ChatBackend]] = Registry("translation backend")
BACKEND_CLASSES.register("openai", "dataset_builder.translate.backends.openai_compat:OpenAICompatBackend")
BACKEND_CLASSES.register("transformers", "dataset_builder.translate.backends.transformers_local:TransformersBackend")


def make_backend(config: BackendConfig) -> ChatBackend:
    """The backend named by `config.kind`, imported only when asked for (transformers is heavy)."""
    return BACKEND_CLASSES.get(config.kind)(config)


__all__ = ["BackendError", "ChatBackend", "ChatResult", "make_backend"]
