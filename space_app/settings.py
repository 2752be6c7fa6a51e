"""Deployment settings of the Space: paths, Hub repo ids and limits, read from the environment in one place.

On a Hugging Face Space the settings come from the Space's variables and secrets (`GLOBMED_RESULTS_REPO`, ...);
locally `globmed space` fills them from its flags. Nothing here touches the network or the disk: reading the
results and creating folders happens when the app is built, not at import.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path

from globmed.layout import DEFAULT_RELEASE_ROOT, results_dir

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_RESULTS_DIR = results_dir(DEFAULT_RELEASE_ROOT)
DEFAULT_DATA_DIR = DEFAULT_RELEASE_ROOT / "space-data"
# The bundled sample (written by dataset_builder) whose LiveQA test questions seed the chat examples.
DEFAULT_SAMPLE_DIR = REPO_ROOT / "dataset_builder" / "sample"
# Where a submitted model.link may point (https only); a maintainer extends it with GLOBMED_LINK_HOSTS.
DEFAULT_LINK_HOSTS = ("huggingface.co",)

# Environment variable names (values are read at call time, never at import).
ENV = {
    "results_dir": "GLOBMED_RESULTS_DIR",
    "results_repo": "GLOBMED_RESULTS_REPO",
    "requests_repo": "GLOBMED_REQUESTS_REPO",
    "data_dir": "GLOBMED_DATA_DIR",
    "chat_model": "GLOBMED_CHAT_MODEL",
    "chat_endpoint": "GLOBMED_CHAT_ENDPOINT",
    "chat_endpoint_model": "GLOBMED_CHAT_ENDPOINT_MODEL",
    "link_hosts": "GLOBMED_LINK_HOSTS",
}
# Secrets: only their names live here; values are read when needed and never logged.
API_KEY_ENV = ("GLOBMED_CHAT_API_KEY", "OPENAI_API_KEY")
HF_TOKEN_ENV = "HF_TOKEN"


@dataclass
class SpaceSettings:
    """Everything the app needs to know about where it runs."""

    # --- results ---
    results_dir: Path | None = field(default=None, metadata={"help": "folder of GlobMed-Bench results JSON"})
    results_repo: str = field(default="", metadata={"help": "Hub dataset repo of results JSON (used if no folder)"})
    # --- submissions ---
    data_dir: Path = field(default=DEFAULT_DATA_DIR, metadata={"help": "the app's only writable folder"})
    requests_repo: str = field(default="", metadata={"help": "Hub dataset repo that receives pending submissions"})
    max_upload_bytes: int = field(default=2_000_000, metadata={"help": "largest accepted results JSON"})
    link_hosts: list[str] = field(default_factory=lambda: list(DEFAULT_LINK_HOSTS), metadata={
        "help": "hosts a submitted model.link may point to (comma-separated in GLOBMED_LINK_HOSTS)"})
    # --- chat ---
    chat_model: Path | None = field(default=None, metadata={"help": "local model folder for the chat demo"})
    chat_endpoint: str = field(default="", metadata={"help": "OpenAI-compatible base URL, e.g. http://host/v1"})
    chat_endpoint_model: str = field(default="", metadata={"help": "model name to send to the endpoint"})
    chat_max_new_tokens: int = field(default=256, metadata={"help": "length limit of one chat answer"})
    chat_temperature: float = field(default=0.7, metadata={"help": "sampling temperature; 0 for greedy decoding"})
    sample_dir: Path = field(default=DEFAULT_SAMPLE_DIR, metadata={"help": "bundled sample with GlobMed_LiveQA"})

    def __post_init__(self) -> None:
        self.results_dir = Path(self.results_dir) if self.results_dir else None
        self.data_dir = Path(self.data_dir)
        self.chat_model = Path(self.chat_model) if self.chat_model else None
        self.sample_dir = Path(self.sample_dir)
        if isinstance(self.link_hosts, str):
            self.link_hosts = [host.strip().lower() for host in self.link_hosts.split(",") if host.strip()]

    @property
    def pending_dir(self) -> Path:
        return self.data_dir / "pending"

    @property
    def approved_dir(self) -> Path:
        return self.data_dir / "approved"

    @property
    def upload_dir(self) -> Path:
        """Gradio's upload folder (GRADIO_TEMP_DIR): inside data_dir, emptied as each upload is checked."""
        return self.data_dir / "uploads"

    @property
    def hub_cache_dir(self) -> Path:
        return self.data_dir / "hub-results"

    @classmethod
    def from_env(cls, **overrides: object) -> SpaceSettings:
        """Defaults, then environment variables, then explicit overrides (flags); None overrides are ignored."""
        values: dict[str, object] = {}
        names = {f.name for f in fields(cls)}
        for name, var in ENV.items():
            if os.environ.get(var):
                values[name] = os.environ[var]
        for name, value in overrides.items():
            if name not in names:
                raise TypeError(f"SpaceSettings has no field {name!r}")
            if value is not None and value != "":
                values[name] = value
        return cls(**values)  # type: ignore[arg-type]


def chat_api_key() -> str | None:
    """The endpoint's API key from the environment, if any (never stored on the settings object)."""
    return next((os.environ[name] for name in API_KEY_ENV if os.environ.get(name)), None)
