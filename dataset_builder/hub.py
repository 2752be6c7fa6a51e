"""Fetching source files from Hub dataset repos with huggingface_hub (offline mode fails fast)."""

from __future__ import annotations

import logging
from pathlib import Path

from globmed.errors import GlobMedError, require_online

logger = logging.getLogger(__name__)


def check_hub_sources(specs) -> None:
    """Before reading anything: a Hub source while HF_HUB_OFFLINE is set is a one-line error naming it."""
    for spec in specs:
        if spec.hub:
            require_online(
                f"source {spec.id} (Hub dataset {spec.hub['repo']})",
                "use --sources sample or a local sources YAML (path: ...), or unset HF_HUB_OFFLINE",
            )


def fetch(spec, relpath: str) -> Path:
    """Download one file of a Hub source (cached by huggingface_hub) and return its local path."""
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import EntryNotFoundError, HfHubHTTPError, RepositoryNotFoundError

    repo = spec.hub["repo"]
    try:
        return Path(hf_hub_download(repo, relpath, repo_type="dataset", revision=spec.hub.get("revision")))
    except EntryNotFoundError:
        raise GlobMedError(f"source {spec.id}: {relpath} not found in Hub dataset {repo}") from None
    except RepositoryNotFoundError:
        raise GlobMedError(f"source {spec.id}: Hub dataset {repo} not found (or gated: set HF_TOKEN)") from None
    except HfHubHTTPError as err:
        raise GlobMedError(f"source {spec.id}: cannot fetch {relpath} from {repo}: {err}") from None
