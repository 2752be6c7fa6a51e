"""What every card needs: Hub repo ids, library versions, rendering a template and reading front matter back.

Model, dataset and Space cards differ only by their card class, card-data class and template file, so the
shared steps live here instead of being copied into each generator.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from globmed.errors import GlobMedError
from globmed.layout import HUB_DATASET_NAME, SPACE_DIRNAME
from globmed.provenance import library_versions
from globmed.text_io import read_text

logger = logging.getLogger(__name__)

# Hub organisation used in links and ids when none is given: `--org`, else $GLOBMED_HUB_ORG, else this.
FALLBACK_ORG = "GlobMed"
# Libraries whose versions every card records (the ones that produced or load the artifact).
VERSIONED_LIBRARIES = (
    "globmed", "datasets", "huggingface_hub", "transformers", "torch", "trl", "peft", "gradio",
)
DISCLAIMER = (
    "GlobMed is for research on multilingual medical language technology. It is **not** a medical device and "
    "must not be used to diagnose, treat or make any clinical decision about a patient. Outputs can be wrong, "
    "outdated or unsafe, and errors are more frequent in the low-resource languages. Always rely on a qualified "
    "health professional."
)


def resolve_org(org: str | None) -> str:
    """The Hub organisation for ids and links; never empty."""
    org = (org or os.environ.get("GLOBMED_HUB_ORG") or FALLBACK_ORG).strip()
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", org):
        raise GlobMedError(f"Hub organisation {org!r} is not a valid name (letters, digits, '-', '_', '.')")
    return org


def dataset_repo_id(org: str | None) -> str:
    return f"{resolve_org(org)}/{HUB_DATASET_NAME}"


def model_repo_id(org: str | None, model_name: str) -> str:
    return f"{resolve_org(org)}/{model_name}"


def space_repo_id(org: str | None) -> str:
    return f"{resolve_org(org)}/{SPACE_DIRNAME}"


def card_versions(extra: dict[str, str] | None = None) -> dict[str, str]:
    """Installed versions of the libraries in VERSIONED_LIBRARIES (missing ones left out), then `extra`."""
    return {**library_versions(VERSIONED_LIBRARIES), **(extra or {})}


def render_card(card_cls: type, card_data: Any, template: str, **context: Any):
    """Render `templates/<template>` with `card_data` as front matter; `context` feeds the Jinja body.

    Empty metadata fields are dropped by the card-data class itself (`to_yaml` skips None values).
    """
    template_path = resources.files("model_cards").joinpath("templates", template)
    with resources.as_file(template_path) as path:
        return card_cls.from_template(card_data, template_path=str(path), **context)


_FRONT_MATTER = re.compile(r"\A---\r?\n(.*?)\r?\n---\r?\n?", re.DOTALL)


def split_front_matter(text: str, origin: str) -> tuple[dict[str, Any], str]:
    """(metadata, body) of a card; a card without front matter or with malformed YAML is an error."""
    match = _FRONT_MATTER.match(text)
    if match is None:
        raise GlobMedError(f"{origin}: no YAML front matter (a card starts with a '---' block)")
    try:
        data = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError as err:
        raise GlobMedError(f"{origin}: front matter is not valid YAML ({str(err).splitlines()[0]})") from None
    if not isinstance(data, dict):
        raise GlobMedError(f"{origin}: front matter must be a mapping, got {type(data).__name__}")
    return data, text[match.end():]


def read_front_matter(path: Path) -> dict[str, Any]:
    """Metadata of a card file, or {} when there is no such file."""
    if not path.is_file():
        return {}
    return split_front_matter(read_text(path, "card"), str(path))[0]


def percent(value: float | None, digits: int = 1) -> str:
    """0.4123 -> '41.2'; None -> '–' (a cell with no result)."""
    return "–" if value is None else f"{100 * value:.{digits}f}"


def signed_points(value: float | None) -> str:
    """A score difference in percentage points: 0.032 -> '+3.2'; one that rounds to 0.0 keeps one significant
    digit (-0.00003 -> '-0.003'), so an interval that excludes 0 never reads as ending at 0.0."""
    if value is None:
        return "–"
    points = 100 * value
    return f"{points:+.1g}" if 0 < abs(points) < 0.05 else f"{points:+.1f}"


def relative_percent(value: float | None) -> str:
    """A relative change: 0.41 -> '+41%'."""
    return "–" if value is None else f"{100 * value:+.0f}%"


def percent_ci(value: float | None, ci: Sequence[float] | None) -> str:
    """A score and its 95% interval in percent: '41.2 (30.1–52.3)'; '41.2 (no CI)' when none was computed."""
    if value is None:
        return "–"
    if not ci:
        return f"{percent(value)} (no CI)"
    dash = " to " if min(ci) < 0 else "–"  # the gap's interval can be negative: "-8.6–5.9" would misread
    return f"{percent(value)} ({percent(ci[0])}{dash}{percent(ci[1])})"


def signed_points_ci(value: float | None, ci: Sequence[float] | None) -> str:
    """A difference in points and its 95% paired interval: '+7.2 (−3.0 to +17.9)'."""
    if value is None:
        return "–"
    return f"{signed_points(value)} ({signed_points(ci[0])} to {signed_points(ci[1])})" if ci else (
        f"{signed_points(value)} (no CI)")


def yes_no(estimate: Any) -> str:
    """The significance column: 'yes' only when the paired interval excludes no change; '–' without one."""
    if estimate is None or estimate.ci is None:
        return "–"
    return "**yes**" if estimate.significant else "no"
