"""`globmed release`: assemble the release folder, plan the upload, and push it to the Hub.

The release root holds one folder per Hub repo: `globmed` (dataset), `globmed-llm-<size>` (model: weights,
tokenizer, card, `.eval_results/`), `globmed-space` (Space: the app from space_app/, its requirements, card and
a results snapshot). Assembly regenerates every card so links and numbers are current. The upload plan lists
each repo's files and sizes and, when the remote listing is known, skips files whose content the Hub already
has (LFS sha256, or git blob id for small files), so pushing twice uploads nothing the second time.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from globmed.atomic import sha256_file
from globmed.command import Command
from globmed.errors import GlobMedError, require_online
from globmed.layout import DEFAULT_RELEASE_ROOT, dataset_dir, results_dir, space_dir
from globmed.outputs import atomic_dir, check_output_dir
from globmed.redact import scrub_text

logger = logging.getLogger(__name__)

KEPT_HIDDEN = {".eval_results", ".gitattributes"}  # hidden names that belong in a repo
SKIPPED_NAMES = {"__pycache__", "tests"}
DEFAULT_SPACE_SOURCE = Path(__file__).resolve().parents[1] / "space_app"


@dataclass
class RepoFileEntry:
    path_in_repo: str
    local: Path
    size: int
    sha256: str

    def git_blob_id(self) -> str:
        """The git object id the Hub reports for a non-LFS file: sha1 of `blob <size>\\0<content>`."""
        digest = hashlib.sha1(f"blob {self.size}\0".encode())
        with open(self.local, "rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
        return digest.hexdigest()


@dataclass
class RepoPlan:
    repo_id: str
    repo_type: str  # dataset, model or space
    folder: Path
    files: list[RepoFileEntry]
    upload: list[RepoFileEntry] = field(default_factory=list)
    unchanged: list[RepoFileEntry] = field(default_factory=list)
    remote_known: bool = False

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)


def human_size(n: float) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} GB"


def repo_files(folder: Path) -> list[RepoFileEntry]:
    """Every file that belongs in the repo, sorted; temp files, caches and hidden files left out."""
    entries = []
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if not path.is_file() or any(
            part in SKIPPED_NAMES or (part.startswith(".") and part not in KEPT_HIDDEN) for part in rel.parts
        ):
            continue
        entries.append(RepoFileEntry(rel.as_posix(), path, path.stat().st_size, sha256_file(path)))
    return entries


def is_unchanged(entry: RepoFileEntry, remote: Any) -> bool:
    """Compare with a huggingface_hub `RepoFile`: LFS sha256 when the Hub has it, else the git blob id."""
    if remote is None or getattr(remote, "size", None) != entry.size:
        return False
    lfs = getattr(remote, "lfs", None)
    if lfs is not None:
        return lfs.sha256 == entry.sha256
    return remote.blob_id == entry.git_blob_id()


def plan_repo(repo_id: str, repo_type: str, folder: Path, remote: dict[str, Any] | None) -> RepoPlan:
    """What to upload; `remote` is {path: RepoFile} from the Hub listing, or None when unknown (dry run)."""
    plan = RepoPlan(repo_id, repo_type, folder, repo_files(folder), remote_known=remote is not None)
    for entry in plan.files:
        same = bool(remote) and is_unchanged(entry, remote.get(entry.path_in_repo))
        (plan.unchanged if same else plan.upload).append(entry)
    return plan


def remote_listing(api: Any, repo_id: str, repo_type: str) -> dict[str, Any]:
    """{path: RepoFile} of the repo's main branch; {} when the repo does not exist yet."""
    from huggingface_hub.errors import RepositoryNotFoundError, RevisionNotFoundError
    from huggingface_hub.hf_api import RepoFile

    try:
        items = api.list_repo_tree(repo_id, repo_type=repo_type, recursive=True)
        return {item.path: item for item in items if isinstance(item, RepoFile)}
    except (RepositoryNotFoundError, RevisionNotFoundError):
        return {}


# ---------------------------------------------------------------- assembly


def model_folders(root: Path) -> list[Path]:
    return sorted(p for p in root.glob("globmed-llm-*") if (p / "globmed_training.json").is_file())


# What the Space imports besides its own package: the kernel (results contract included). Copied beside it, so the
# Space repo runs on the Hub with no install of the kit (its requirements.txt lists only third-party packages).
SPACE_DEPENDENCIES = {"globmed": ("*.py", "*.yaml")}
KIT_ROOT = Path(__file__).resolve().parents[1]


def copy_space_code(space_source: Path, dest: Path) -> None:
    """Lay out a self-contained Space: README.md and requirements.txt at the root, the app in space_app/."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "tests", ".*")
    shutil.copytree(space_source, dest / "space_app", ignore=ignore)
    for name in ("README.md", "requirements.txt"):
        shutil.move(dest / "space_app" / name, dest / name)
    for package, patterns in SPACE_DEPENDENCIES.items():
        (dest / package).mkdir()
        for pattern in patterns:
            for source in sorted((KIT_ROOT / package).glob(pattern)):
                shutil.copy2(source, dest / package / source.name)


def copy_redacted(source: Path, dest: Path) -> None:
    """Copy a results file into the Space with any credentials in its URLs masked (globmed.redact): a file from
    before redaction, or written by hand, may still hold a base URL with a password, and the Space is public."""
    text = source.read_text(encoding="utf-8")
    scrubbed = scrub_text(text)
    if scrubbed == text:
        shutil.copy2(source, dest)
        return
    logger.warning("%s: credentials in a URL masked in the Space's copy; rerun or fix the original", source)
    dest.write_text(scrubbed, encoding="utf-8")


def assemble(root: Path, org: str | None, space_source: Path = DEFAULT_SPACE_SOURCE, overwrite: bool = False
             ) -> list[tuple[str, str, Path]]:
    """Regenerate the cards and the Space folder; return [(repo_type, repo_id, folder)] in push order.

    ROOT/globmed-space is replaced as a whole, so one that release did not write needs `overwrite`.
    """
    from model_cards.common import dataset_repo_id, model_repo_id, space_repo_id
    from model_cards.dataset_card import write_dataset_card
    from model_cards.model_card import read_training_info, write_model_card
    from model_cards.space_card import RESULTS_SUBDIR, write_space_card

    root = Path(root)
    check_output_dir(space_dir(root), "release", overwrite, replaces=True)  # before any card is rewritten
    data = dataset_dir(root)
    if not (data / "README.md").is_file():
        raise GlobMedError(f"{data}: no dataset folder; run `globmed build --out {root}` first")
    write_dataset_card(data, org)
    repos = [("dataset", dataset_repo_id(org), data)]
    from globmed.results import load_results_dir

    results = results_dir(root)
    runs = load_results_dir(results) if results.is_dir() else []
    model_ids = []
    for folder in model_folders(root):
        for required in ("config.json", "tokenizer_config.json"):
            if not (folder / required).is_file():
                raise GlobMedError(f"{folder / required}: missing; the model folder must hold the merged model")
        write_model_card(folder, runs, org=org)
        model_ids.append(model_repo_id(org, read_training_info(folder)["model_name"]))
        repos.append(("model", model_ids[-1], folder))
    if not model_ids:
        logger.warning("no model folder (globmed-llm-*/globmed_training.json) in %s; releasing without a model", root)
    if not (space_source / "app.py").is_file():
        raise GlobMedError(f"{space_source / 'app.py'}: not found; pass --space-src DIR (the space_app folder)")
    with atomic_dir(space_dir(root), "release", overwrite) as tmp:
        copy_space_code(space_source, tmp)
        (tmp / RESULTS_SUBDIR).mkdir(exist_ok=True)
        for run_file in sorted(results.glob("*.json")) if results.is_dir() else []:
            copy_redacted(run_file, tmp / RESULTS_SUBDIR / run_file.name)
        write_space_card(tmp, model_ids, org, runs)
    repos.append(("space", space_repo_id(org), space_dir(root)))
    return repos


# ---------------------------------------------------------------- push


def hub_api():
    """An HfApi with the token from $HF_TOKEN or `hf auth login`; the token is never printed or written."""
    from huggingface_hub import HfApi, get_token

    token = get_token()
    if not token:
        raise GlobMedError("no Hugging Face token: set HF_TOKEN or run `hf auth login`, then rerun with --push")
    return HfApi(token=token)


def push_repo(api: Any, plan: RepoPlan) -> str:
    """create_repo (exist_ok) then one commit with every changed file; returns the commit URL or 'unchanged'."""
    from huggingface_hub import CommitOperationAdd

    ops = [CommitOperationAdd(path_in_repo=f.path_in_repo, path_or_fileobj=str(f.local)) for f in plan.upload]
    if not ops:
        return "unchanged"
    info = api.create_commit(
        plan.repo_id, ops, repo_type=plan.repo_type,
        commit_message=f"GlobMed release: {len(ops)} file(s) from `globmed release`",
    )
    return str(getattr(info, "commit_url", info))


def push_all(repos: list[tuple[str, str, Path]], private: bool = False) -> list[RepoPlan]:
    plans = []
    for repo_type, repo_id, _ in repos:
        require_online(f"{repo_type} repo {repo_id}", "unset HF_HUB_OFFLINE (and log in) or use --dry-run")
    api = hub_api()
    for repo_type, repo_id, folder in repos:
        try:
            api.create_repo(repo_id, repo_type=repo_type, exist_ok=True, private=private,
                            space_sdk="gradio" if repo_type == "space" else None)
            plan = plan_repo(repo_id, repo_type, folder, remote_listing(api, repo_id, repo_type))
            print_plan(plan)
            print(f"  -> {push_repo(api, plan)}")
        except GlobMedError:
            raise
        except Exception as err:  # network and HTTP errors: name the repo and the remedy, one line
            reason = str(err).splitlines()[0] if str(err) else type(err).__name__
            raise GlobMedError(f"push of {repo_type} repo {repo_id} failed: {reason}; check the network, your token's "
                               "write access to the org, then rerun (unchanged files are skipped)") from None
        plans.append(plan)
    return plans


def print_plan(plan: RepoPlan, verbose: bool = True) -> None:
    """One line per repo; with `verbose`, a line per file to upload (a dataset has over a hundred)."""
    state = "" if plan.remote_known else " (remote not consulted)"
    more = "" if verbose or not plan.upload else "; -v lists them"
    print(f"{plan.repo_type} {plan.repo_id} <- {plan.folder}: {len(plan.files)} files, {human_size(plan.size)}; "
          f"upload {len(plan.upload)}, unchanged {len(plan.unchanged)}{state}{more}")
    if verbose:
        for entry in plan.upload:
            print(f"  + {entry.path_in_repo}  {human_size(entry.size)}")


class ReleaseCommand(Command):
    name = "release"
    help = "Assemble the release folder (dataset, models, Space, cards) and print the upload plan, or push it."
    examples = """  globmed release --out release --dry-run
  HF_TOKEN=... globmed release --out release --push --org MyOrg
"""

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        from globmed.cli_args import add_overwrite_flag

        parser.add_argument("--out", type=Path, default=DEFAULT_RELEASE_ROOT,
                            help="release root (default: %(default)s)")
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument("--dry-run", action="store_true",
                          help="print the plan (repos, sizes; with -v every file); no network")
        mode.add_argument("--push", action="store_true", help="upload each repo to the Hub (needs --org and a token)")
        parser.add_argument("--org", default=None, help="Hub organisation (default: $GLOBMED_HUB_ORG, else GlobMed)")
        parser.add_argument("--private", action="store_true", help="create the repos as private")
        parser.add_argument("--space-src", type=Path, default=DEFAULT_SPACE_SOURCE,
                            help="the Space app folder to copy (default: the kit's space_app/)")
        add_overwrite_flag(parser)

    def run(self, args: argparse.Namespace) -> int:
        if args.push and not args.org:
            raise GlobMedError("--push needs --org ORG (the Hub organisation or user to publish under)")
        if args.push:
            for repo in ("dataset", "model", "space"):
                require_online(f"{repo} repo under {args.org}", "unset HF_HUB_OFFLINE (and log in) or use --dry-run")
        repos = assemble(args.out, args.org, args.space_src, args.overwrite)
        if args.push:
            push_all(repos, private=args.private)
            return 0
        for repo_type, repo_id, folder in repos:
            print_plan(plan_repo(repo_id, repo_type, folder, None), verbose=getattr(args, "verbose", 0) > 0)
        return 0
