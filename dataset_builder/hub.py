"""Fetching source files from Hub dataset repos with huggingface_hub (offline mode fails fast), or from a mirror.

A local mirror (`GLOBMED_HUB_MIRROR=DIR`) holds the repos' files as DIR/ORG/NAME/<path in the repo>, e.g.
DIR/ruiyang-medinfo/GlobMed_MedQA/sw/test.json: a `hub:` source then reads from there, never from the network,
so `globmed build --sources hub` works air-gapped (HF_HUB_OFFLINE does not block it) and the tests can build the
real repo layout offline. The mirror holds one revision: a source's `hub.revision` is not looked at.

Before anything is built, `field_check.check_source_fields` opens the first rows of every fetched file and stops
on a mapped field the file does not have, since the field names of hub.yaml are not checked against the
published files anywhere else: a build must never guess silently which column holds the question.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from globmed.errors import GlobMedError, require_online

logger = logging.getLogger(__name__)

MIRROR_ENV = "GLOBMED_HUB_MIRROR"


def hub_mirror() -> Path | None:
    """The mirror folder named by GLOBMED_HUB_MIRROR, or None to use the Hub."""
    value = os.environ.get(MIRROR_ENV, "").strip()
    return Path(value).expanduser() if value else None


def check_hub_sources(specs) -> None:
    """Before reading anything: a Hub source while HF_HUB_OFFLINE is set (and no mirror) is a one-line error."""
    if not any(spec.hub for spec in specs):
        return
    mirror = hub_mirror()
    if mirror is not None:
        if not mirror.is_dir():
            raise GlobMedError(f"{MIRROR_ENV}={mirror}: no such folder (expected ORG/NAME/<files> under it)")
        return
    for spec in specs:
        if spec.hub:
            require_online(
                f"source {spec.id} (Hub dataset {spec.hub['repo']})",
                f"use --sources sample, a local sources YAML (path: ...), a local mirror ({MIRROR_ENV}=DIR), "
                "or unset HF_HUB_OFFLINE",
            )


def fetch(spec, relpath: str) -> Path:
    """One file of a Hub source: from the mirror if one is set, else downloaded (cached by huggingface_hub)."""
    repo = spec.hub["repo"]
    mirror = hub_mirror()
    if mirror is not None:
        path = mirror / repo / relpath
        if not path.is_file():
            raise GlobMedError(f"source {spec.id}: {path} not found in the Hub mirror ({MIRROR_ENV}={mirror})")
        return path
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import EntryNotFoundError, HfHubHTTPError, RepositoryNotFoundError

    try:
        return Path(hf_hub_download(repo, relpath, repo_type="dataset", revision=spec.hub.get("revision")))
    except EntryNotFoundError:
        raise GlobMedError(f"source {spec.id}: {relpath} not found in Hub dataset {repo}") from None
    except RepositoryNotFoundError:
        raise GlobMedError(f"source {spec.id}: Hub dataset {repo} not found (or gated: set HF_TOKEN)") from None
    except HfHubHTTPError as err:
        raise GlobMedError(f"source {spec.id}: cannot fetch {relpath} from {repo}: {err}") from None


def local_copy(spec, relpath: str) -> Path | None:
    """A Hub file already on this machine (mirror or huggingface_hub cache), without any network; else None."""
    mirror = hub_mirror()
    if mirror is not None:
        path = mirror / spec.hub["repo"] / relpath
        return path if path.is_file() else None
    from huggingface_hub import try_to_load_from_cache

    cached = try_to_load_from_cache(spec.hub["repo"], relpath, revision=spec.hub.get("revision"), repo_type="dataset")
    return Path(cached) if isinstance(cached, str) else None
