"""What every part needs to reach a model: which model, how to load it locally, how to call its endpoint.

One dataclass for the benchmark, translation and any other caller of the model-access layer
(`globmed.llm_client`, `globmed.llm_local`). A part that needs more (the benchmark's batching and vLLM
settings, translation's reviewer model and generation settings) subclasses it and adds only its own fields,
so a YAML section or a roster entry keeps one flat list of keys and every key is consumed by someone.

The API key is never a field: `api_key_env` names the environment variable that holds it, read when a
client is built and only ever put in the Authorization header. `base_url` may carry credentials of its own
(userinfo, a `?api_key=` query): they are sent, and everything that writes or logs the URL redacts it
(globmed.redact).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from urllib.parse import urlparse

from globmed.errors import GlobMedError
from globmed.http_retry import RetryPolicy
from globmed.redact import redact_url

logger = logging.getLogger(__name__)


@dataclass
class BackendConfig:
    # model
    model: str = field(
        default="", metadata={"help": "model name at the endpoint, or a local folder / Hub id for transformers"}
    )
    revision: str | None = field(default=None, metadata={"help": "Hub revision (branch, tag or commit) to load"})
    dtype: str = field(default="auto", metadata={"help": "auto, float32, bfloat16 or float16 (local models)"})
    device: str = field(default="auto", metadata={"help": "auto, cpu, cuda or cuda:N (local models)"})
    trust_remote_code: bool = field(default=False, metadata={"help": "run the model repo's own code when loading"})
    # endpoint
    base_url: str = field(default="http://127.0.0.1:8000/v1", metadata={"help": "OpenAI-compatible base URL (…/v1)"})
    api_key_env: str | None = field(
        default=None, metadata={"help": "NAME of the environment variable holding the API key; none = send no key"}
    )
    concurrency: int = field(default=8, metadata={"help": "requests in flight at once"})
    timeout_s: float = field(default=120.0, metadata={"help": "per-request timeout in seconds", "flag": "--timeout"})
    max_retries: int = field(default=4, metadata={"help": "retries on 429, 5xx, timeouts and connection errors"})
    backoff_base_s: float = field(
        default=0.5, metadata={"help": "first backoff delay; doubles each retry, with jitter"}
    )
    backoff_max_s: float = field(default=30.0, metadata={"help": "cap of one backoff delay (and of Retry-After)"})

    def __post_init__(self) -> None:
        if self.concurrency < 1:
            raise GlobMedError(f"backend concurrency must be >= 1, got {self.concurrency}")
        if self.max_retries < 0 or self.timeout_s <= 0:
            raise GlobMedError("backend max_retries must be >= 0 and timeout_s > 0")

    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy(self.max_retries, self.backoff_base_s, self.backoff_max_s)

    def api_key(self) -> str | None:
        """The key from the environment (never stored on the config object, never logged).

        A named variable that is unset is an error, except for an endpoint on loopback (a local server, usually
        keyless), which is then called without a key.
        """
        if not self.api_key_env:
            return None
        key = os.environ.get(self.api_key_env)
        if key:
            return key
        if is_loopback(self.base_url):
            logger.warning("%s is not set; calling the local endpoint %s without an API key",
                           self.api_key_env, redact_url(self.base_url))
            return None
        raise GlobMedError(
            f"api_key_env names {self.api_key_env}, but that environment variable is not set "
            f"(it should hold the API key for {redact_url(self.base_url)})"
        )


def is_loopback(url: str) -> bool:
    return (urlparse(url).hostname or "") in {"127.0.0.1", "localhost", "::1"}
