"""What the Space's events do: the shared state and one method per callback, kept apart from the layout in app.py.

The handlers are methods, not closures inside `create_app`, so the layout can be built tab by tab and wired in one
place. Their names are the Space's API names (Gradio names an endpoint after its function): `update_tables`,
`select_view`, `previous_page`, `next_page`, `sort_on_header`, `load_page`, `gap_plot`, `run_picker`,
`language_plot`, `model_details`, `handle_submission`, `refresh`, `describe_model`, `examples_for`, `respond`;
renaming one breaks clients that call it. app.py imports this module inside `create_app` (it loads Gradio and
pandas), so importing the app stays free.

The server keeps nothing per visitor: every handler reads the shared leaderboard and the inputs the page sends
(the filters, the active tab, the page number). What Gradio itself keeps per session (each output's last value)
is dropped when the visitor leaves (`forget_session`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator

import gradio as gr
from gradio.components.plot import PlotData

from space_app import chat, display, model_page, plots, table_html, text, views
from space_app import submission as sub
from space_app.leaderboard import Leaderboard, Query, run_label
from space_app.results_source import load_runs
from space_app.settings import SpaceSettings


class SpaceState:
    """What the callbacks share: the settings and the current leaderboard (replaced on refresh; `loads` counts
    the reads, so a page built before a reload can tell that its first rows are out of date)."""

    def __init__(self, settings: SpaceSettings):
        self.settings = settings
        self.loads = 0
        self.refresh()

    def refresh(self) -> None:
        """(Re-)read the results: at start, and after a submission is approved (the Reload button)."""
        settings = self.settings
        self.report = load_runs(settings.results_dir, settings.results_repo, settings.approved_dir,
                                settings.hub_cache_dir)
        self.board = Leaderboard(self.report.runs)
        self.loads += 1

    def known(self) -> sub.Known:
        """The runs a submission must differ from: the leaderboard's and the pending ones (read now)."""
        pending = [run for _, run in sub.list_pending(self.settings.data_dir).runs]
        return sub.Known.of([*self.board.runs, *pending])


class Callbacks:
    """The event handlers of one app: they read and refresh `state` and answer with `backends` (label -> chat)."""

    def __init__(self, state: SpaceState, backends: dict[str, chat.ChatBackend]):
        self.state = state
        self.backends = backends
        self.views = display.view_keys()
        self.by_label = display.column_by_label()
        self.built_on = state.loads  # the results the page's first rows were rendered from (`load_page`)
        self.blocks: gr.Blocks | None = None  # set by create_app: `forget_session` reaches Gradio's sessions

    def query_from(self, search, types, backends_, size_min, size_max, unknown, group, tasks, sort_label,
                   descending, picked, show_ci, view) -> Query:
        """The leaderboard query of one view from the filter controls (in the order app.py lists them)."""
        by_label = self.by_label
        return Query(
            view=view, tasks=list(tasks or []), search=search or "", types=list(types or []),
            backends=list(backends_ or []), size_min=size_min, size_max=size_max, include_unknown_size=bool(unknown),
            language_group=group, sort_by=by_label[sort_label].key if sort_label in by_label else "overall",
            descending=bool(descending), columns=[by_label[label].key for label in picked or [] if label in by_label],
            show_ci=bool(show_ci),
        )

    def page_updates(self, controls, view: str, page: int) -> list:
        """One view's page as the updates app.LeaderboardTab.outputs lists: the table, the note above it, the
        count, the pager and the page number."""
        shown = views.view_page(self.state.board, self.query_from(*controls, view), int(page or 1))
        table = gr.HTML(value=shown.html, visible=not shown.hidden)
        note = gr.Markdown(value=shown.note, visible=bool(shown.note))
        return [table, note, shown.status, shown.pager, shown.page]

    def update_tables(self, *controls):
        """A filter, the search or the sort changed: the first page of the view in sight (the last input)."""
        *filters, view = controls
        return self.page_updates(filters, view, 1)

    def select_view(self, evt: gr.SelectData, *controls):
        """Another view's tab was chosen: remember it, and show its first page."""
        view = self.views[evt.index]
        return [view, *self.page_updates(controls, view, 1)]

    def previous_page(self, *controls):
        *filters, view, page = controls
        return self.page_updates(filters, view, int(page or 1) - 1)

    def next_page(self, *controls):
        *filters, view, page = controls
        return self.page_updates(filters, view, int(page or 1) + 1)

    def sort_on_header(self, evt: gr.EventData, sort_label: str, descending: bool):
        """A header's sort button: sort the whole board by its column, the other way round on a second click.
        The "Sort by" controls change, and their change refills the table. A new column starts from the best
        score (descending), or from A for the model name."""
        label = evt._data.get("sort") if isinstance(evt._data, dict) else None
        if label not in self.by_label or not self.by_label[label].sortable:
            return gr.skip(), gr.skip()
        if label == sort_label:
            return gr.skip(), not descending
        return label, label != display.MODEL.label

    def load_page(self, *controls):
        """On page load: the first rows came with the page (rendered when the app was built), so nothing is sent
        unless the results were reloaded since."""
        if self.state.loads == self.built_on:
            return gr.skip()
        return self.update_tables(*controls)

    def gap_plot(self, *controls):
        """The Plots tab opened: the gap chart of the leaderboard's current filters and its key, unless the page
        already shows that chart (its key is the last input)."""
        *filters, shown = controls
        chart = views.gap_chart(self.state.board, self.query_from(*filters, display.OVERALL_VIEW))
        key = chart_key(chart)
        if key == shown:
            return gr.skip(), gr.skip()
        return chart, key

    def forget_session(self, request: gr.Request) -> None:
        """The visitor left (`demo.unload`): drop what Gradio kept for the session (each output's last value and
        a config per block). Gradio would keep it until `state_session_capacity` sessions exist; nothing here
        needs it, since the handlers read only the shared leaderboard and the page's inputs."""
        holder = getattr(self.blocks, "state_holder", None)
        if holder is None or not request.session_hash:
            return
        with holder.lock:
            holder.session_data.pop(request.session_hash, None)
            holder.time_last_used.pop(request.session_hash, None)

    def run_choices(self) -> list[tuple[str, str]]:
        """(label, run id) of every run, for the run pickers."""
        return [(run_label(run), run.run_id) for run in self.state.board.runs]

    def run_picker(self):
        """A run picker took the focus: every run as its choices (the page comes with the defaults only). The
        chosen value stays; Gradio checks a later choice against these, in this visitor's session."""
        return gr.Dropdown(choices=self.run_choices())

    def model_details(self, run_id: str | None):
        if not run_id:
            return text.MODEL_PAGE_HELP, "", ""
        try:
            run = self.state.board.run(run_id)
        except KeyError:
            return f"No run {run_id}", "", ""
        sources = table_html.frame_table(model_page.source_table(run))
        return model_page.run_header(run), sources, model_page.reproduce_command(run)

    def language_plot(self, run_ids: list[str] | None):
        return plot_value(plots.language_chart(self.state.board, list(run_ids or [])))

    def handle_submission(self, upload: dict | None) -> str:
        """The Submit button, wired with `preprocess=False`: `upload` is Gradio's file record, whose `path` Gradio
        has checked to lie in its upload folder. (Preprocessing a "filepath" File leaves an empty temp file there
        on every call in Gradio 6; the raw record leaves nothing once `submit_upload` deletes the upload.)"""
        path = upload.get("path") if isinstance(upload, dict) else None
        return sub.submit_upload(path, self.state.settings, self.state.known())

    def refresh(self):
        """Re-read the results; new run choices for both pickers and the backends now present."""
        self.state.refresh()
        choices = self.run_choices()
        present = self.state.board.choices("backend")
        return gr.Dropdown(choices=choices), gr.Dropdown(choices=choices), gr.CheckboxGroup(present, value=present)

    def describe_model(self, backend_label: str | None) -> str:
        backend = self.backends.get(backend_label or "")
        return backend.describe() if backend else ""

    def examples_for(self, language: str):
        questions = chat.example_questions(language, self.state.settings.sample_dir)
        return gr.Dropdown(choices=questions, value=None)

    def respond(self, question: str, history: list[dict], language: str, backend_label: str | None) -> Iterator:
        for turn in chat.answer_turn(self.backends, question, history, language, backend_label):
            yield turn, ""


def chart_key(chart: str) -> str:
    """A short fingerprint of a chart's markup: equal keys, equal charts (what a session keeps of the one it shows)."""
    return hashlib.blake2b(chart.encode(), digest_size=16).hexdigest()


def plot_value(spec: dict) -> PlotData:
    """A Vega-Lite spec as `gr.Plot`'s value: Gradio renders it with the Vega it bundles (no altair needed)."""
    return PlotData(type="altair", plot=json.dumps(spec))
