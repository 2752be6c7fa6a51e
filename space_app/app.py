"""The GlobMed Space: lays out Gradio 6 components and wires them to the pure modules. No work at import.

`create_app(results_dir, data_dir, ...)` reads the results and returns a `gr.Blocks`; `main()` launches it.
Each tab is laid out by its own builder (`leaderboard_tab`, `plots_tab`, ...), which returns the components
that events use; `create_app` wires them to the handlers in callbacks.py.
Run locally with `globmed space --results release/results` or `python space_app/app.py`; on a Hugging Face
Space the settings come from the environment (see settings.py and README.md).
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if __package__ in {None, ""}:  # `python space_app/app.py`: make the kit importable from the repo root
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from space_app import text
from space_app.settings import DEFAULT_RESULTS_DIR, REPO_ROOT, SpaceSettings, chat_api_key

if TYPE_CHECKING:
    from space_app.callbacks import Callbacks, SpaceState

logger = logging.getLogger(__name__)

MAX_SIZE_SHOWN = 10_000  # the size filter's default upper bound (billions): every disclosed size
# Sessions whose last outputs Gradio keeps (its default is 10,000); a visitor who leaves is forgotten at once
# (`Callbacks.forget_session`), this bounds the rest. Losing one costs nothing: no handler reads it.
SESSION_CAPACITY = 200

CSS = """
#disclaimer { border: 2px solid #d97706; border-radius: 8px; padding: 0 12px; }
/* charts as wide as their block: Gradio centres the chart's box, which leaves a "container" width of 0 */
.globmed-chart .altair > div { width: 100%; }
/* the leaderboard's page of rows (table_html.py): fixed column widths, a sticky header, scrolled in its box;
   Gradio's own table rules (margins, borders, padding on every cell) are undone */
#leaderboard-table .html-container, #paired-gains .html-container, #model-sources .html-container { padding: 0; }
#reproduce textarea { font-family: var(--font-mono, monospace); font-size: 13px; }
.globmed-table-scroll { max-height: 600px; overflow: auto; border: 1px solid var(--border-color-primary);
  border-radius: var(--radius-md, 6px); }
.globmed-table { table-layout: fixed; border-collapse: separate; border-spacing: 0; margin: 0; padding: 0;
  border: none; font-size: 14px; color: var(--body-text-color); }
.globmed-table-auto { table-layout: auto; }
.globmed-table tr { margin: 0; padding: 0; border: none; }
.globmed-table th, .globmed-table td { margin: 0; padding: 6px 4px; border: none;
  border-bottom: 1px solid var(--border-color-primary); text-align: right; vertical-align: top;
  overflow-wrap: anywhere; }
.globmed-table th { position: sticky; top: 0; z-index: 1; background: var(--background-fill-secondary);
  font-weight: 600; vertical-align: bottom; word-break: keep-all; overflow-wrap: normal; hyphens: none; }
.globmed-table td { font-family: var(--font-mono, monospace); white-space: nowrap; }
.globmed-table .text { text-align: left; font-family: inherit; white-space: normal; }
.globmed-table tbody tr:nth-child(even) { background: var(--table-even-background-fill); }
.globmed-table th button { all: unset; cursor: pointer; }
.globmed-table th button:focus-visible { outline: 2px solid var(--color-accent); }
.globmed-table th[aria-sort=descending] button::after { content: " ▼"; font-size: 10px; }
.globmed-table th[aria-sort=ascending] button::after { content: " ▲"; font-size: 10px; }
.globmed-table a { color: var(--link-text-color); }
/* the gap chart (gap_bars.py): a row per run, its name wrapped whole, a bar from zero, the value at the end */
.gap-chart { margin: 0; color: var(--body-text-color); font-size: 14px; }
.gap-chart figcaption { margin-bottom: 8px; }
.gap-chart figcaption span { color: var(--body-text-color-subdued); }
.gap-list { list-style: none; margin: 0; padding: 0; }
.gap-list li { display: grid; grid-template-columns: minmax(90px, 32%) 1fr 3.5em; gap: 8px; align-items: center;
  margin: 0; padding: 2px 0; }
.gap-run { overflow-wrap: anywhere; text-align: right; }
.gap-track { position: relative; height: 16px; }
.gap-bar { position: absolute; top: 0; bottom: 0; background: #4c78a8; }
.gap-bar.negative { background: #e45756; }
.gap-zero { position: absolute; top: -3px; bottom: -3px; border-left: 1px solid var(--body-text-color-subdued); }
.gap-value { font-family: var(--font-mono, monospace); text-align: right; }
"""
# A header's sort button tells the server which column to sort the whole board by (`Callbacks.sort_on_header`).
SORT_ON_HEADER_JS = """
element.addEventListener('click', (event) => {
  const button = event.target.closest('button[data-sort]');
  if (button) trigger('click', {sort: button.dataset.sort});
});
"""


@dataclass
class LeaderboardTab:
    """The Leaderboard tab's components that events read or update."""

    controls: list[Any]  # the query's inputs, in the order `Callbacks.query_from` takes them
    search: Any
    sort_by: Any  # set by a click on a header's sort button
    descending: Any
    backends_box: Any  # refreshed with the backends present after a reload
    view_tabs: Any  # a tab per view (in `display.view_keys()` order) over the one table; choosing one refills it
    view: Any  # hidden: the key of the view in sight, sent with every update
    table: Any  # the page of rows as HTML (table_html.py); a click on a header sorts
    note: Any  # above the table: why a tab is all 0.0, or that no task is ticked
    count: Any  # the run count, or why no table is shown
    pager: Any  # which rows are shown, of how many
    page: Any  # hidden: the page number in sight
    previous: Any
    next: Any
    refresh_button: Any

    @property
    def outputs(self) -> list[Any]:
        """What `Callbacks.page_updates` fills, in its order."""
        return [self.table, self.note, self.count, self.pager, self.page]


@dataclass
class PlotsTab:
    """The Plots tab, its run picker and the two charts that events fill."""

    tab: Any  # opening it draws the gap chart of the leaderboard's filters
    runs: Any  # gets every run as its choices when it takes the focus
    language_chart: Any
    gap_chart: Any  # follows the leaderboard's filters: redrawn when the tab opens, if they changed
    gap_shown: Any  # gr.State: the key (`callbacks.chart_key`) of the gap chart this page shows


@dataclass
class ModelTab:
    """The Model page's run picker and what a choice fills in."""

    choice: Any  # gets every run as its choices when it takes the focus
    header: Any
    sources: Any
    command: Any


@dataclass
class SubmitTab:
    """The Submit tab's upload, button and verdict."""

    upload: Any
    button: Any
    result: Any


@dataclass
class ChatTab:
    """The Chat tab's pickers, conversation and input."""

    language: Any
    backend: Any
    example: Any
    model_info: Any  # what the chosen model is (name, size; a warning for the demo's toy model)
    chatbot: Any
    question: Any
    send: Any


def leaderboard_tab(on: Callbacks) -> LeaderboardTab:
    """The table first: search, language group and tasks on one row, the other filters folded under "More
    filters", then a tab per view over one table, and the pager. The overall view's first page is rendered here,
    into the page itself, so a visitor sees rows without waiting for a round trip. One table, not one per tab:
    an update has one table to fill and the browser one to draw."""
    import gradio as gr

    from globmed.results import MODEL_TYPES
    from space_app import display, views

    board = on.state.board
    backends_present = board.choices("backend")
    tasks_shown = on.views[1:]
    with gr.Tab("Leaderboard", id="leaderboard"):
        if not board.runs:
            gr.Markdown(text.NO_RESULTS, elem_id="no-results")
        with gr.Row(equal_height=True):
            search = gr.Textbox(label="Search models (separate terms with ;)", placeholder="qwen; llama",
                                elem_id="search", scale=3, min_width=220)
            group = gr.Radio([(label, key) for key, label in display.LANGUAGE_GROUPS.items()], value="all",
                             label="Languages (ranks by their mean)", elem_id="language-group", scale=3,
                             min_width=220)
            tasks = gr.CheckboxGroup([(display.TASK_LABELS.get(t, t), t) for t in tasks_shown], value=tasks_shown,
                                     label="Tasks in Overall", elem_id="tasks", scale=3, min_width=220)
        with gr.Accordion("More filters", open=False, elem_id="more-filters"):
            with gr.Row():
                types = gr.CheckboxGroup(list(MODEL_TYPES), value=list(MODEL_TYPES), label="Model type",
                                         elem_id="filter-type")
                backends_box = gr.CheckboxGroup(backends_present, value=backends_present, label="Backend")
            with gr.Row():
                size_min = gr.Number(label="Min size (B)", value=0, minimum=0)
                size_max = gr.Number(label="Max size (B)", value=MAX_SIZE_SHOWN, minimum=0)
                unknown = gr.Checkbox(value=True, label="Include undisclosed sizes")
            with gr.Row():
                sort_by = gr.Dropdown(display.sortable_labels(), value="Overall", label="Sort by")
                descending = gr.Checkbox(value=True, label="Descending")
                show_ci = gr.Checkbox(value=False, label="Show confidence intervals", elem_id="show-ci")
            picked = gr.CheckboxGroup(display.pickable_labels(), value=display.default_labels(),
                                      label="Columns shown", elem_id="columns")
        controls = [search, types, backends_box, size_min, size_max, unknown, group, tasks, sort_by, descending,
                    picked, show_ci]
        first = views.view_page(board, on.query_from(*[c.value for c in controls], display.OVERALL_VIEW))
        with gr.Row(equal_height=True):
            count = gr.Markdown(first.status, elem_id="run-count")
            refresh_button = gr.Button("Reload results", size="sm", scale=0, min_width=130)
        view = gr.Textbox(display.OVERALL_VIEW, visible=False)
        with gr.Tabs(overflow_behavior="wrap", elem_id="views") as view_tabs:
            for key in on.views:
                with gr.Tab(display.view_label(key, sorted(board.metrics.get(key, ()))), id=f"view-{key}"):
                    pass  # the tab bar only: the table below shows the chosen view
        note = gr.Markdown(first.note, visible=bool(first.note), elem_id="table-note")
        table = gr.HTML(first.html, visible=not first.hidden, js_on_load=SORT_ON_HEADER_JS, apply_default_css=False,
                        elem_id="leaderboard-table")
        with gr.Row(equal_height=True, elem_id="pager-row"):
            previous = gr.Button("◀ Previous", size="sm", scale=0, min_width=110, elem_id="previous-page")
            pager = gr.Markdown(first.pager, elem_id="pager")
            next_button = gr.Button("Next ▶", size="sm", scale=0, min_width=110, elem_id="next-page")
        page = gr.Number(first.page, visible=False, precision=0)
        gr.Markdown(text.LEADERBOARD_HELP)
    return LeaderboardTab(controls, search, sort_by, descending, backends_box, view_tabs, view, table, note, count,
                          pager, page, previous, next_button, refresh_button)


def plots_tab(on: Callbacks) -> PlotsTab:
    """Two views under the tab: per-language scores of chosen runs with the resource gap, and fine-tuned vs base
    (chart and paired gains, fixed: computed once here). The second view is drawn when chosen (Gradio renders a
    tab's children then), so opening Plots draws one Vega chart, not two.

    The charts are Vega-Lite specs in a `gr.Plot` (plots.py says why not Gradio's native plots). The charts come
    drawn for the default choices with the page; the gap chart is redrawn for the leaderboard's filters when the
    tab opens (`Callbacks.gap_plot`), if they changed. The run picker comes with the default runs only and gets every
    run when a visitor opens it (`Callbacks.run_picker`): at 1,000 runs each picker's choices were a third of the
    page's weight."""
    import gradio as gr

    from space_app import plots, table_html, views
    from space_app.callbacks import chart_key, plot_value
    from space_app.leaderboard import Query

    with gr.Tab("Plots", id="plots") as tab:
        gr.Markdown(text.PLOTS_HELP)
        state = on.state
        top = list(state.board.table(Query()).head(3)["run_id"])  # the three best overall
        label = {run_id: name for name, run_id in on.run_choices()}
        runs = gr.Dropdown([(label[run_id], run_id) for run_id in top], value=top, multiselect=True,
                           label="Runs to compare")
        chart = {"show_label": False, "elem_classes": ["globmed-chart"]}  # titles are drawn in the charts
        with gr.Tabs(overflow_behavior="wrap", elem_id="plot-views"):
            with gr.Tab("Languages and gap", id="plots-languages"):
                language_chart = gr.Plot(plot_value(plots.language_chart(state.board, top)),
                                         label="Per-language score (%)", elem_id="language-chart", **chart)
                gap = views.gap_chart(state.board, Query())
                gap_shown = gr.State(chart_key(gap))
                gap_chart = gr.HTML(gap, apply_default_css=False, js_on_load=None, elem_id="gap-chart")
            with gr.Tab("Fine-tuned vs base", id="plots-finetuned"):
                finetuned = plots.finetuned_chart(plots.finetuned_points(state.board, plots.FINETUNED_PAIRS),
                                                  of=len(plots.base_pairs(state.board)))
                gr.Plot(plot_value(finetuned), label="Fine-tuned vs base, per language (%)",
                        elem_id="finetuned-chart", **chart)
                gr.Markdown(text.GAINS_HEADING)
                gains = plots.paired_gains(state.board, state.settings.results_dir)
                gr.HTML(table_html.frame_table(gains) if len(gains) else f"<p>{text.GAINS_NONE}</p>",
                        apply_default_css=False, js_on_load=None, elem_id="paired-gains")
    return PlotsTab(tab, runs, language_chart, gap_chart, gap_shown)


def model_tab() -> ModelTab:
    """One run in detail: header, per-source table and the command that reproduces it (filled on choice). The run
    picker's choices come when a visitor opens it (`Callbacks.run_picker`), not with the page. The table is HTML
    and the command a read-only text box with a copy button: Gradio loads every component type's code before the
    first row shows, and a Dataframe and a code editor were ~300 kB of it."""
    import gradio as gr

    with gr.Tab("Model page", id="model"):
        choice = gr.Dropdown([], label="Run", value=None, elem_id="model-choice")
        header = gr.Markdown(text.MODEL_PAGE_HELP, elem_id="model-header")
        gr.Markdown(text.SOURCES_HEADING)
        sources = gr.HTML("", apply_default_css=False, js_on_load=None, elem_id="model-sources")
        gr.Markdown(text.REPRODUCE_HEADING)
        command = gr.Textbox(label="Command", interactive=False, lines=6, max_lines=30, buttons=["copy"],
                             elem_id="reproduce")
    return ModelTab(choice, header, sources, command)


def submit_tab() -> SubmitTab:
    """An upload of one results JSON, queued for review (nothing is written before someone submits)."""
    import gradio as gr

    with gr.Tab("Submit", id="submit"):
        gr.Markdown(text.SUBMIT_HELP)
        upload = gr.File(label=text.UPLOAD_LABEL, file_types=[".json"], type="filepath", elem_id="upload")
        button = gr.Button("Submit for review", variant="primary", elem_id="submit-button")
        result = gr.Markdown(elem_id="submit-result")
    return SubmitTab(upload, button, result)


def chat_tab(backends: dict[str, Any], sample_dir: Path) -> ChatTab:
    """The chat demo under its disclaimer; with no model configured it says so and the input is disabled."""
    import gradio as gr

    from globmed.languages import all_languages
    from space_app import chat

    language_choices = [(f"{lang.name} ({lang.native})", lang.code) for lang in all_languages()]
    with gr.Tab("Chat", id="chat"):
        gr.Markdown(text.DISCLAIMER, elem_id="disclaimer")
        gr.Markdown(text.CHAT_HELP)
        if not backends:
            gr.Markdown(text.NO_CHAT_MODEL, elem_id="no-chat-model")
        with gr.Row():
            language = gr.Dropdown(language_choices, value="en", label="Language")
            backend = gr.Dropdown(list(backends), value=next(iter(backends), None), label="Model")
            example = gr.Dropdown(chat.example_questions("en", sample_dir), value=None,
                                  label="Example questions", allow_custom_value=False)
        first = next(iter(backends.values()), None)
        model_info = gr.Markdown(first.describe() if first else "", elem_id="chat-model-info")
        chatbot = gr.Chatbot(label="GlobMed chat", height=420, elem_id="chatbot", feedback_options=None)
        with gr.Row():
            question = gr.Textbox(placeholder="Type a medical question…", show_label=False, scale=4,
                                  elem_id="chat-input", interactive=bool(backends))
            send = gr.Button("Send", variant="primary", scale=1, elem_id="chat-send", interactive=bool(backends))
    return ChatTab(language, backend, example, model_info, chatbot, question, send)


def about_tab(state: SpaceState) -> None:
    """The benchmark's description, the disclaimer, and the results files that were skipped (and why)."""
    import gradio as gr

    from space_app.submission import escape_message

    with gr.Tab("About", id="about"):
        gr.Markdown(text.ABOUT)
        gr.Markdown(text.DISCLAIMER)
        rejected = "\n".join(f"- `{Path(k).name}`: {escape_message(v)}" for k, v in state.report.rejected.items())
        if rejected:
            gr.Markdown("**Results files skipped:**\n" + rejected)


def create_app(
    results_dir: str | Path | None = None,
    data_dir: str | Path | None = None,
    *,
    results_repo: str | None = None,
    requests_repo: str | None = None,
    chat_model: str | Path | None = None,
    chat_endpoint: str | None = None,
    chat_endpoint_model: str | None = None,
    settings: SpaceSettings | None = None,
) -> Any:
    """Build the Space. Arguments override the environment (settings.py); `settings` overrides both.

    The tab builders lay out components; the events are wired here, after every tab exists, because some cross
    tabs (the leaderboard's filters also drive the gap chart; a reload refreshes the pickers of two tabs).
    """
    import os

    settings = settings or SpaceSettings.from_env(
        results_dir=results_dir, data_dir=data_dir, results_repo=results_repo, requests_repo=requests_repo,
        chat_model=chat_model, chat_endpoint=chat_endpoint, chat_endpoint_model=chat_endpoint_model,
    )
    # Uploads land in DATA_DIR (and are deleted once checked), not in Gradio's folder under /tmp. Set before
    # Gradio is imported and before any component exists: both read it then.
    os.environ["GRADIO_TEMP_DIR"] = str(settings.upload_dir.resolve())
    import gradio as gr

    from space_app import chat
    from space_app.callbacks import Callbacks, SpaceState

    state = SpaceState(settings)
    backends = chat.configured_backends(settings.chat_model, settings.chat_endpoint, settings.chat_endpoint_model,
                                        chat_api_key(), settings.chat_max_new_tokens, settings.chat_temperature)
    on = Callbacks(state, backends)

    with gr.Blocks(title=text.TITLE) as demo:
        on.blocks = demo
        gr.Markdown(f"# {text.TITLE}")
        gr.Markdown(text.INTRO)
        with gr.Tabs(overflow_behavior="wrap"):  # on a phone the tabs wrap onto a second row, none hidden
            board = leaderboard_tab(on)
            charts = plots_tab(on)
            model = model_tab()
            submit = submit_tab()
            talk = chat_tab(backends, settings.sample_dir)
            about_tab(state)

        controls, search, outputs = board.controls, board.search, board.outputs
        # An update fills one view's first page (a few kB) and nothing else. "always_last": while one runs, later
        # changes wait and only the newest runs next, so typing a name key by key costs at most two updates in
        # flight, and the table never ends on an older query's answer (a browser test makes five quick changes).
        # Off the queue (a plain request, no event stream): these handlers take milliseconds and hold no lock.
        quiet = {"show_progress": "hidden", "trigger_mode": "always_last", "queue": False}
        gr.on([c.change for c in controls if c is not search] + [search.submit, search.change],
              on.update_tables, inputs=[*controls, board.view], outputs=outputs, **quiet)
        board.view_tabs.select(on.select_view, inputs=controls, outputs=[board.view, *outputs], **quiet)
        board.previous.click(on.previous_page, inputs=[*controls, board.view, board.page], outputs=outputs, **quiet)
        board.next.click(on.next_page, inputs=[*controls, board.view, board.page], outputs=outputs, **quiet)
        board.table.click(on.sort_on_header, inputs=[board.sort_by, board.descending],
                          outputs=[board.sort_by, board.descending], **quiet)
        demo.load(on.load_page, inputs=[*controls, board.view], outputs=outputs, show_progress="hidden", queue=False)
        demo.unload(on.forget_session)
        charts.tab.select(on.gap_plot, inputs=[*controls, charts.gap_shown],
                          outputs=[charts.gap_chart, charts.gap_shown], **quiet)
        charts.runs.focus(on.run_picker, outputs=charts.runs, **quiet)
        model.choice.focus(on.run_picker, outputs=model.choice, **quiet)
        charts.runs.change(on.language_plot, inputs=charts.runs, outputs=charts.language_chart, **quiet)
        model.choice.change(on.model_details, inputs=model.choice, outputs=[model.header, model.sources, model.command])
        submit.button.click(on.handle_submission, inputs=submit.upload, outputs=submit.result, preprocess=False)
        board.refresh_button.click(on.refresh, outputs=[charts.runs, model.choice, board.backends_box]).then(
            on.update_tables, inputs=[*controls, board.view], outputs=outputs, trigger_mode="always_last")
        talk.backend.change(on.describe_model, inputs=talk.backend, outputs=talk.model_info)
        talk.language.change(on.examples_for, inputs=talk.language, outputs=talk.example)
        talk.example.change(lambda q: q or gr.skip(), inputs=talk.example, outputs=talk.question)
        gr.on([talk.send.click, talk.question.submit], on.respond,
              inputs=[talk.question, talk.chatbot, talk.language, talk.backend], outputs=[talk.chatbot, talk.question])
    return demo


def launch(demo: Any, host: str = "127.0.0.1", port: int = 7860, **kwargs: Any) -> None:
    """Serve the app (the upload size is also capped by Gradio, beyond the app's own check).

    `run_history=False`: Gradio 6 otherwise records every event's inputs and outputs in the visitor's
    localStorage (the last 100, the whole list re-serialised on each update), which cost every leaderboard
    update ~50 ms of the page's main thread, and would keep a visitor's medical chat questions in the browser.
    """
    import gradio as gr

    demo.queue(default_concurrency_limit=4).launch(
        server_name=host, server_port=port, max_file_size="20mb", css=CSS, theme=gr.themes.Soft(),
        show_error=False, state_session_capacity=SESSION_CAPACITY, run_history=False,
        **kwargs,
    )


def main() -> None:
    """Entry point on a Hugging Face Space (`app_file`) and for `python space_app/app.py`."""
    import os

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    settings = SpaceSettings.from_env()
    if settings.results_dir is None and not settings.results_repo:
        # on a Space the results sit in the repo's results/; in the kit, in the release folder
        candidates = [REPO_ROOT / "results", DEFAULT_RESULTS_DIR]
        settings.results_dir = next((path for path in candidates if path.is_dir()), None)
    host = os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1")
    port = int(os.environ.get("GRADIO_SERVER_PORT", "7860"))
    launch(create_app(settings=settings), host=host, port=port)


if __name__ == "__main__":
    main()
