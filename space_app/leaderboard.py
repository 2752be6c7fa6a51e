"""Pure leaderboard logic: runs -> numeric tables -> filtered, sorted, formatted rows. No Gradio import.

`Leaderboard` turns the results once into arrays (runs x languages per task), so every filter, search and
sort a visitor makes is a few vectorised pandas operations (the benchmark in bench/bench_space.py holds the
p95 under 100 ms for 1,000 runs). `Query` is everything a visitor can set; `Leaderboard.table(query)` answers
it with a numeric frame and `format_table` makes the displayed one: cells of HTML-safe text (percentages, CIs,
escaped names, model links), which table_html.py lays out as the page's table.
"""

from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass, field, replace
from urllib.parse import quote

import numpy as np
import pandas as pd

from globmed.languages import all_languages, high_resource_codes, low_resource_codes
from globmed.layout import HUB_REPO_ID
from globmed.results import RunResult
from globmed.schema import TASKS
from space_app.display import OVERALL_VIEW, PAGE_ROWS, SUMMARY_COLUMNS, Column, all_columns

SUMMARY_KEYS = [col.key for col in SUMMARY_COLUMNS]
GROUP_MEAN = {"high": "high_mean", "low": "low_mean"}  # a language group -> the summary that ranks it
HUB_LINK = re.compile(r"^https://huggingface\.co/([A-Za-z0-9][\w.-]*/[\w.-]+)/?$")
LOCAL_MARK = " (local)"  # after the name of a run whose model is a local folder: no link to follow
MISSING = "–"


@dataclass
class Query:
    """What a visitor asked for. Defaults show everything, sorted by overall score."""

    view: str = OVERALL_VIEW  # "overall" or a task name (the tab)
    tasks: list[str] = field(default_factory=lambda: list(TASKS))  # tasks averaged in the overall view
    search: str = ""  # "qwen; llama": a run matches if any term is in its name, run id or path
    types: list[str] | None = None  # model types to keep; None keeps all
    backends: list[str] | None = None  # backends to keep; None keeps all
    size_min: float | None = None  # billions of parameters; runs of undisclosed size are kept
    size_max: float | None = None  # only if include_unknown_size
    include_unknown_size: bool = True
    language_group: str = "all"  # "all", "high" or "low": the languages shown, averaged into Overall and ranked
    sort_by: str = "overall"  # a column key
    descending: bool = True
    columns: list[str] | None = None  # column keys to show (the model is always shown); None: defaults
    show_ci: bool = False


def search_terms(text: str) -> list[str]:
    """Split a search box into lower-case terms on `;` or `,` ("qwen; llama" -> ["qwen", "llama"])."""
    return [term.strip().lower() for term in re.split(r"[;,]", text or "") if term.strip()]


def is_local(run: RunResult) -> bool:
    """Whether the run loaded a model folder on the benchmarking machine rather than a Hub id or an API model.

    `release/globmed-llm-tiny` looks like a Hub id (`org/name`), so the path alone cannot tell; the benchmark
    records revision "local" for a folder (benchmark/backends), and absolute, relative or deeper paths are local.
    """
    path = (run.model.path or "").strip()
    if run.model.revision == "local" or path.startswith(("/", ".", "~")) or "\\" in path:
        return True
    return path.count("/") > 1


def hub_id(run: RunResult) -> str:
    """The model's Hub id: its path when that is one, else the repo of an https://huggingface.co/ORG/NAME link."""
    path = (run.model.path or "").strip()
    if HUB_REPO_ID.match(path) and not is_local(run):
        return path
    match = HUB_LINK.match((run.model.link or "").strip())
    return match.group(1) if match else ""


def model_link(run: RunResult) -> str:
    """The model card URL: ModelInfo.link if it is https, else the Hub page of a Hub id, else "" (local runs).

    Show it through `markdown_link`, which percent-encodes it.
    """
    link = (run.model.link or "").strip()
    if link.lower().startswith("https://"):
        return link
    repo = hub_id(run)
    return f"https://huggingface.co/{repo}" if repo else ""


def escape_markdown(text: str) -> str:
    """Make arbitrary text inert inside Markdown: HTML-escape `&`, `<` and `>`, then backslash Markdown's specials.

    Quotes stay as they are: harmless in Markdown text, and `&#x27;` would be shown raw once its `#` is escaped.
    """
    return re.sub(r"([\\`*_{}\[\]()#+!|~>-])", r"\\\1", html.escape(text, quote=False))


def safe_url(url: str) -> str:
    """A URL percent-encoded down to a safe character set (no quote, bracket, space or angle bracket is left)."""
    return quote(url, safe=":/?#=&%.~+-_@")


def markdown_link(name: str, url: str) -> str:
    """`[name](url)` with the name escaped and the URL restricted to a safe character set."""
    label = escape_markdown(name)
    return f"[{label}]({safe_url(url)})" if url else label


def html_link(name: str, url: str) -> str:
    """`<a href=url>name</a>` (a new tab, no referrer) with the name HTML-escaped and the URL made safe; the
    escaped name alone when there is no URL."""
    label = html.escape(name, quote=False)
    if not url:
        return label
    return f'<a href="{html.escape(safe_url(url))}" target="_blank" rel="noopener noreferrer">{label}</a>'


def run_label(run: RunResult) -> str:
    """How a run is named in pickers: unique, because the run id is part of it."""
    return f"{run.model.name} · {run.run_id}"


def ci_half_width(metrics: dict[str, float], primary: str) -> float:
    low, high = metrics.get(f"{primary}_ci_low"), metrics.get(f"{primary}_ci_high")
    if low is None or high is None:
        return math.nan
    return (float(high) - float(low)) / 2


def as_float(value: object) -> float:
    try:
        result = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan
    return result


class Leaderboard:
    """All runs as arrays, built once per results load and shared by every visitor; `table` answers a Query.

    Nothing changes it after it is built (its arrays are read-only): a reload builds a new one, so a visitor's
    query never sees half of each, and no session needs its own copy.
    """

    def __init__(self, runs: list[RunResult]):
        self.runs = list(runs)
        self.languages = [lang.code for lang in all_languages()]
        self._lang_index = {code: i for i, code in enumerate(self.languages)}
        self._high = np.array([code in set(high_resource_codes()) for code in self.languages])
        self._low = np.array([code in set(low_resource_codes()) for code in self.languages])
        n, width = len(self.runs), len(self.languages)
        self.scores = {task: np.full((n, width), np.nan) for task in TASKS}
        self.ci = {task: np.full((n, width), np.nan) for task in TASKS}
        self.file_per_language = np.full((n, width), np.nan)
        self.file_summary = {key: np.full(n, np.nan) for key in SUMMARY_KEYS}
        self.file_summary_ci = {key: np.full(n, np.nan) for key in SUMMARY_KEYS}
        self._text_cache: dict[tuple, dict[str, np.ndarray]] = {}
        self.metrics: dict[str, set[str]] = {task: set() for task in TASKS}  # task -> primary metrics in the runs
        for row, run in enumerate(self.runs):
            self._fill(row, run)
        self.meta = pd.DataFrame(
            {
                "model": [run.model.name for run in self.runs],
                "link": [model_link(run) for run in self.runs],
                "type": [run.model.type for run in self.runs],
                "size_b": [as_float(run.model.size_b) for run in self.runs],
                # a run without a backend is "unknown", so the backend filter (all ticked) still shows it
                "backend": [str(run.config.get("backend") or "unknown") for run in self.runs],
                "base_model": [run.model.base_model or "" for run in self.runs],
                "run_id": [run.run_id for run in self.runs],
            }
        )
        # Display text is escaped once here, not on every interaction.
        links = zip(self.meta["model"], self.meta["link"], self.runs, strict=True)
        self.meta["model_html"] = [html_link(name, url) + ("" if url or not is_local(run) else LOCAL_MARK)
                                   for name, url, run in links]
        for key in ("type", "backend", "base_model", "run_id"):
            self.meta[f"{key}_html"] = [html.escape(str(v)) for v in self.meta[key]]
        self._haystack = pd.Series(
            [f"{run.model.name} {run.run_id} {run.model.path}".lower() for run in self.runs], dtype=object
        )
        for arrays in (self.scores, self.ci, self.file_summary, self.file_summary_ci):
            for array in arrays.values():
                array.flags.writeable = False
        self.file_per_language.flags.writeable = False
        for view in (OVERALL_VIEW, *TASKS):  # every tab's cells as first shown, formatted now, not on a visit
            self.score_texts(Query(view=view))

    def _fill(self, row: int, run: RunResult) -> None:
        for result in run.results.values():
            col = self._lang_index.get(result.language)
            if col is None or result.task not in self.scores:
                continue
            self.scores[result.task][row, col] = result.score
            self.metrics[result.task].add(result.primary_metric)
            self.ci[result.task][row, col] = ci_half_width(result.metrics, result.primary_metric)
        per_language = run.aggregates.get("per_language") or {}
        for code, value in per_language.items():
            if code in self._lang_index:
                self.file_per_language[row, self._lang_index[code]] = as_float(value)
        cis = run.aggregates.get("ci") or {}
        for key in SUMMARY_KEYS:
            self.file_summary[key][row] = as_float(run.aggregates.get(key))
            bounds = cis.get(key)
            if isinstance(bounds, (list, tuple)) and len(bounds) == 2:
                self.file_summary_ci[key][row] = (as_float(bounds[1]) - as_float(bounds[0])) / 2

    # ----- values -------------------------------------------------------------------------------------
    def view_scores(self, view: str, tasks: list[str] | None = None) -> tuple[np.ndarray, np.ndarray, dict, dict]:
        """(language scores, their CI half-widths, summary scores, summary CIs) for one view.

        The overall view with every task selected shows the run's own published aggregates (as its card
        does); with a subset of tasks it re-averages the per-task scores. A task view averages over that
        task only, and its language cells carry the task's bootstrap CI.
        """
        n = len(self.runs)
        if view == OVERALL_VIEW:
            chosen = [task for task in (TASKS if tasks is None else tasks) if task in self.scores]
            if not chosen:
                empty = np.full((n, len(self.languages)), np.nan)
                return empty, empty.copy(), self._summaries(empty), {k: np.full(n, np.nan) for k in SUMMARY_KEYS}
            stacked = np.stack([self.scores[task] for task in chosen])
            with np.errstate(all="ignore"), _quiet_nanmean():
                values = np.nanmean(stacked, axis=0)
            ci = np.full_like(values, np.nan)
            summary = self._summaries(values)
            summary_ci = {key: np.full(n, np.nan) for key in SUMMARY_KEYS}
            if set(chosen) == set(TASKS):
                published = ~np.isnan(self.file_per_language)
                values = np.where(published, self.file_per_language, values)
                summary = self._summaries(values)
                for key in SUMMARY_KEYS:
                    summary[key] = np.where(np.isnan(self.file_summary[key]), summary[key], self.file_summary[key])
                summary_ci = self.file_summary_ci
            return values, ci, summary, summary_ci
        if view not in self.scores:
            raise KeyError(f"unknown leaderboard view {view!r}; known: {OVERALL_VIEW}, {', '.join(self.scores)}")
        values = self.scores[view]
        return values, self.ci[view], self._summaries(values), {key: np.full(n, np.nan) for key in SUMMARY_KEYS}

    def _summaries(self, values: np.ndarray) -> dict[str, np.ndarray]:
        with np.errstate(all="ignore"), _quiet_nanmean():
            high = np.nanmean(values[:, self._high], axis=1) if self._high.any() else np.full(len(values), np.nan)
            low = np.nanmean(values[:, self._low], axis=1) if self._low.any() else np.full(len(values), np.nan)
            overall = np.nanmean(values, axis=1) if values.shape[1] else np.full(len(values), np.nan)
        return {"overall": overall, "high_mean": high, "low_mean": low, "gap": high - low}

    # ----- the query ----------------------------------------------------------------------------------
    def search_mask(self, text: str) -> np.ndarray:
        """Which runs match any term of the search box (all of them for an empty search)."""
        terms = search_terms(text)
        if not terms:
            return np.ones(len(self.runs), dtype=bool)
        hits = np.zeros(len(self.runs), dtype=bool)
        for term in terms:
            hits |= self._haystack.str.contains(term, regex=False).to_numpy()
        return hits

    def mask(self, query: Query, search: bool = True) -> np.ndarray:
        """Which runs pass the filters and, with `search`, the search."""
        keep = self.search_mask(query.search) if search else np.ones(len(self.runs), dtype=bool)
        if query.types is not None:
            keep &= self.meta["type"].isin(query.types).to_numpy()
        if query.backends is not None:
            keep &= self.meta["backend"].isin(query.backends).to_numpy()
        size = self.meta["size_b"].to_numpy()
        unknown = np.isnan(size)
        in_range = ~unknown
        if query.size_min is not None:
            in_range &= size >= query.size_min
        if query.size_max is not None:
            in_range &= size <= query.size_max
        keep &= in_range | (unknown & query.include_unknown_size)
        return keep

    def ranked_scores(self, query: Query) -> tuple[np.ndarray, np.ndarray, dict, dict]:
        """`view_scores` of the query's view, with Overall the mean over the chosen language group.

        "Low-resource" ranks by the low-resource mean (the run's published one when every task is chosen), so
        choosing a group re-ranks the board instead of only hiding columns.
        """
        values, ci, summary, summary_ci = self.view_scores(query.view, query.tasks)
        group = GROUP_MEAN.get(query.language_group)
        if group:
            summary = {**summary, "overall": summary[group]}
            summary_ci = {**summary_ci, "overall": summary_ci[group]}
        return values, ci, summary, summary_ci

    def table(self, query: Query) -> pd.DataFrame:
        """Numeric frame for a query: meta columns, rank, scores in [0, 1], `<key>_ci` half-widths; filtered, sorted.

        The rank orders by Overall the runs that pass the filters; the search only picks rows among them, so a
        searched run keeps the rank it has on the filtered board.
        """
        values, ci, summary, summary_ci = self.ranked_scores(query)
        board = self.mask(query, search=False)
        rank = np.full(len(self.runs), np.nan)
        rank[board] = pd.Series(summary["overall"][board]).rank(method="min", ascending=False).to_numpy()
        keep = board & self.search_mask(query.search)
        columns: dict[str, object] = {key: self.meta[key].to_numpy()[keep] for key in self.meta.columns}
        columns["rank"] = rank[keep]
        for key in SUMMARY_KEYS:
            columns[key] = summary[key][keep]
            columns[f"{key}_ci"] = summary_ci[key][keep]
        for i, code in enumerate(self.languages):
            columns[code] = values[keep, i]
            columns[f"{code}_ci"] = ci[keep, i]
        frame = pd.DataFrame(columns, index=np.flatnonzero(keep))
        sort_key = query.sort_by if query.sort_by in frame.columns else "overall"
        if sort_key == "model":
            return frame.sort_values("model", key=lambda s: s.str.lower(), ascending=not query.descending,
                                     kind="stable")
        return frame.sort_values(sort_key, ascending=not query.descending, na_position="last", kind="stable")

    def score_texts(self, query: Query) -> dict[str, np.ndarray]:
        """Every run's formatted score cells for the query's view, computed once per (view, tasks, CI) and kept
        (each tab's default at load, the others on first use); filters, sorts and pages only pick rows.
        """
        tasks = tuple(query.tasks) if query.view == OVERALL_VIEW and query.tasks is not None else ()
        key = (query.view, tasks, query.show_ci)
        if key not in self._text_cache:
            if len(self._text_cache) >= 32:
                self._text_cache.pop(next(iter(self._text_cache)))
            values, ci, summary, summary_ci = self.view_scores(query.view, query.tasks)
            texts = {name: score_texts(summary[name], summary_ci[name], query.show_ci) for name in SUMMARY_KEYS}
            for i, code in enumerate(self.languages):
                texts[code] = score_texts(values[:, i], ci[:, i], query.show_ci)
            self._text_cache[key] = texts
        texts = self._text_cache[key]
        group = GROUP_MEAN.get(query.language_group)  # a group's Overall is its mean: the same cells (`ranked_scores`)
        return {**texts, "overall": texts[group]} if group else texts

    def display(self, query: Query, page: int | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(numeric frame of every row, displayed frame) for a query: what one leaderboard tab shows; with `page`
        (1-based, `page_bounds`) only that page's rows are displayed."""
        frame = self.table(query)
        rows = frame if page is None else frame.iloc[slice(*page_bounds(page, len(frame)))]
        return frame, format_table(rows, query, self.score_texts(query))

    def choices(self, key: str) -> list[str]:
        """Distinct values of a meta column (for the type and backend filters)."""
        return sorted({value for value in self.meta[key] if value})

    def run(self, run_id: str) -> RunResult:
        for run in self.runs:
            if run.run_id == run_id:
                return run
        raise KeyError(f"no run {run_id!r}")


def page_count(rows: int) -> int:
    """Pages of PAGE_ROWS rows needed for `rows` rows (at least one, which may be empty)."""
    return max(1, -(-rows // PAGE_ROWS))


def page_bounds(page: int, rows: int) -> tuple[int, int]:
    """[start, stop) of a 1-based page among `rows` rows; a page past either end is the nearest real one.

    >>> page_bounds(2, 120), page_bounds(9, 120), page_bounds(0, 120)
    ((50, 100), (100, 120), (0, 50))
    """
    page = min(max(1, page), page_count(rows))
    return (page - 1) * PAGE_ROWS, min(rows, page * PAGE_ROWS)


class _quiet_nanmean:
    """Silence numpy's 'Mean of empty slice' warning: an all-missing row is simply NaN."""

    def __enter__(self) -> None:
        import warnings

        self._ctx = warnings.catch_warnings()
        self._ctx.__enter__()
        warnings.simplefilter("ignore", RuntimeWarning)

    def __exit__(self, *exc: object) -> None:
        self._ctx.__exit__(*exc)


def visible_columns(query: Query) -> list[Column]:
    """The columns to show, in schema order: rank, model, the picked ones, restricted to the language group.

    With a group chosen, Overall is that group's mean, so its header says so, and the other group's columns,
    the group means and the gap (which needs both groups) are left out.
    """
    picked = set(query.columns) if query.columns is not None else {c.key for c in all_columns() if c.default}
    grouped = query.language_group in GROUP_MEAN
    shown = []
    for col in all_columns():
        if not (col.always or col.key in picked):
            continue
        if grouped and (col.key in {"gap", "high_mean", "low_mean"} or col.group not in {"", query.language_group}):
            continue
        if grouped and col.key == "overall":
            col = replace(col, header=f"Overall ({query.language_group})")
        shown.append(col)
    return shown


def score_text(value: float, half_width: float, show_ci: bool) -> str:
    if value is None or math.isnan(value):
        return MISSING
    text = f"{100 * value:.1f}"
    if show_ci and half_width is not None and not math.isnan(half_width):
        text += f" ±{100 * half_width:.1f}"
    return text


def score_texts(values: np.ndarray, half_widths: np.ndarray, show_ci: bool) -> np.ndarray:
    """`score_text` for a whole column (plain floats formatted in one comprehension: faster than np.char)."""
    if show_ci:
        pairs = zip(np.asarray(values, dtype=float).tolist(), np.asarray(half_widths, dtype=float).tolist(),
                    strict=True)
        return np.array([score_text(v, h, True) for v, h in pairs], dtype=object)
    return np.array([MISSING if v != v else f"{100 * v:.1f}" for v in np.asarray(values, dtype=float).tolist()],
                    dtype=object)


def format_table(frame: pd.DataFrame, query: Query, texts: dict[str, np.ndarray] | None = None) -> pd.DataFrame:
    """The displayed table, headed by the visible columns' headings: every cell HTML-safe text (percentages with
    CIs, escaped names and model links), no NaN.

    `texts` (from `Leaderboard.score_texts`) holds every run's formatted cells for the query's view, indexed
    by run number (the frame's index); without it the cells are formatted here.
    """
    rows = frame.index.to_numpy()
    columns = visible_columns(query)
    out: dict[str, object] = {}
    for col in columns:
        if col.kind == "score":
            if texts is not None:
                out[col.heading] = texts[col.key][rows]
            else:
                out[col.heading] = score_texts(frame[col.key].to_numpy(), frame[f"{col.key}_ci"].to_numpy(),
                                               query.show_ci)
        elif col.kind in {"number", "rank"}:
            out[col.heading] = [MISSING if math.isnan(v) else f"{v:g}" for v in frame[col.key]]
        else:
            out[col.heading] = frame[f"{col.key}_html"].to_numpy()
    return pd.DataFrame(out, columns=[col.heading for col in columns])
