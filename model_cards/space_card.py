"""The Space card (README.md of the Space folder): Gradio front matter linking the models and the dataset.

`sdk_version` is the installed gradio, the version the app was tested with. Keys the Space author put in the
front matter (emoji, colours, short description) are kept; the linked repos, licence and SDK are regenerated.
"""

from __future__ import annotations

import logging
from importlib import metadata
from pathlib import Path

from globmed.atomic import atomic_write_text
from globmed.errors import GlobMedError
from globmed.languages import language_codes
from globmed.results import RunResult, load_results_dir
from model_cards.common import DISCLAIMER, card_versions, dataset_repo_id, percent_ci, read_front_matter, render_card

logger = logging.getLogger(__name__)

APP_FILE = "space_app/app.py"
RESULTS_SUBDIR = "results"


def gradio_version() -> str:
    try:
        return metadata.version("gradio")
    except metadata.PackageNotFoundError:
        raise GlobMedError("gradio is not installed; `pip install -e .[space]` to write the Space card") from None


def build_space_card(space_dir: Path, models: list[str], org: str | None = None, runs: list[RunResult] | None = None):
    from huggingface_hub import SpaceCard, SpaceCardData

    space_dir = Path(space_dir)
    if not (space_dir / APP_FILE).is_file():
        raise GlobMedError(f"{space_dir / APP_FILE}: not found; the Space folder needs the app (space_app/app.py)")
    if runs is None:
        results = space_dir / RESULTS_SUBDIR
        runs = load_results_dir(results) if results.is_dir() else []
    regenerated = {"title", "sdk", "sdk_version", "app_file", "license", "models", "datasets", "tags"}
    kept = {k: v for k, v in read_front_matter(space_dir / "README.md").items() if k not in regenerated}
    kept.setdefault("short_description", "Multilingual medical LLM leaderboard")
    dataset_id = dataset_repo_id(org)
    data = SpaceCardData(
        title="GlobMed-Bench Leaderboard", sdk="gradio", sdk_version=gradio_version(), app_file=APP_FILE,
        license="apache-2.0", models=list(models), datasets=[dataset_id],
        tags=["leaderboard", "medical", "multilingual", "globmed"], **kept,
    )
    return render_card(
        SpaceCard, data, "space_card.md.jinja",
        dataset_id=dataset_id, models=list(models), runs=runs, languages=language_codes(), app_file=APP_FILE,
        disclaimer=DISCLAIMER, versions=card_versions(), pct_ci=percent_ci,
    )


def write_space_card(space_dir: Path, models: list[str], org: str | None = None,
                     runs: list[RunResult] | None = None) -> Path:
    from model_cards.checks import check_space_card

    space_dir = Path(space_dir)
    text = str(build_space_card(space_dir, models, org, runs))
    check_space_card(text, str(space_dir / "README.md"))
    atomic_write_text(space_dir / "README.md", text)
    logger.info("wrote Space card %s", space_dir / "README.md")
    return space_dir / "README.md"
