"""The GlobMed Space: lays out Gradio 6 components and wires them to the pure modules. No work at import.

`create_app(results_dir, data_dir, ...)` reads the results and returns a `gr.Blocks`; `main()` launches it.
Run locally with `globmed space --results release/results` or `python space_app/app.py`; on a Hugging Face
Space the settings come from the environment (see settings.py and README.md).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

if __package__ in {None, ""}:  # `python space_app/app.py`: make the kit importable from the repo root
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from space_app import text
from space_app.settings import DEFAULT_RESULTS_DIR, REPO_ROOT, SpaceSettings, chat_api_key

logger = logging.getLogger(__name__)

MAX_SIZE_SHOWN = 10_000  # the size filter's default upper bound (billions): every disclosed size

CSS = """
#disclaimer { border: 2px solid #d97706; border-radius: 8px; padding: 0 12px; }
"""


class SpaceState:
    """What the callbacks share: the settings and the current leaderboard (replaced on refresh)."""

    def __init__(self, settings: SpaceSettings):
        self.settings = settings
        self.refresh()

    def refresh(self) -> None:
        """(Re-)read the results: at start, and after a submission is approved (the Reload button)."""
        from space_app.leaderboard import Leaderboard
        from space_app.results_source import load_runs

        settings = self.settings
        self.report = load_runs(settings.results_dir, settings.results_repo, settings.approved_dir,
                                settings.hub_cache_dir)
        self.board = Leaderboard(self.report.runs)

    def known_run_ids(self) -> set[str]:
        from space_app.submission import list_pending

        pending = {run.run_id for _, run in list_pending(self.settings.data_dir)}
        return {run.run_id for run in self.board.runs} | pending


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
    """Build the Space. Arguments override the environment (settings.py); `settings` overrides both."""
    import gradio as gr

    from space_app import chat, display, model_page, plots
    from space_app import submission as sub
    from space_app.leaderboard import Query, run_label

    settings = settings or SpaceSettings.from_env(
        results_dir=results_dir, data_dir=data_dir, results_repo=results_repo, requests_repo=requests_repo,
        chat_model=chat_model, chat_endpoint=chat_endpoint, chat_endpoint_model=chat_endpoint_model,
    )
    state = SpaceState(settings)
    backends = chat.configured_backends(settings.chat_model, settings.chat_endpoint, settings.chat_endpoint_model,
                                        chat_api_key(), settings.chat_max_new_tokens, settings.chat_temperature)
    views = display.view_keys()
    by_label = display.column_by_label()

    def query_from(search, types, backends_, size_min, size_max, unknown, group, tasks, sort_label, descending,
                   picked, show_ci, view) -> Query:
        return Query(
            view=view, tasks=list(tasks or []), search=search or "", types=list(types or []),
            backends=list(backends_ or []), size_min=size_min, size_max=size_max, include_unknown_size=bool(unknown),
            language_group=group, sort_by=by_label[sort_label].key if sort_label in by_label else "overall",
            descending=bool(descending), columns=[by_label[label].key for label in picked or [] if label in by_label],
            show_ci=bool(show_ci),
        )

    def update_tables(*controls):
        outputs, overall_frame = [], None
        for view in views:
            query = query_from(*controls, view)
            frame, shown, datatypes = state.board.display(query)
            if view == display.OVERALL_VIEW:
                overall_frame = frame
            outputs.append(gr.Dataframe(value=shown, datatype=datatypes))
        count = f"**{len(overall_frame)}** of {len(state.board.runs)} runs shown"
        gap = plots.gap_frame(overall_frame)
        return [*outputs, count, gap]

    def run_choices() -> list[tuple[str, str]]:
        return [(run_label(run), run.run_id) for run in state.board.runs]

    def model_details(run_id: str | None):
        if not run_id:
            return text.MODEL_PAGE_HELP, None, ""
        try:
            run = state.board.run(run_id)
        except KeyError:
            return f"No run {run_id}", None, ""
        return model_page.run_header(run), model_page.source_table(run), model_page.reproduce_command(run)

    def language_plot(run_ids: list[str] | None):
        return plots.language_scores(state.board, list(run_ids or []))

    def handle_submission(upload: str | None) -> str:
        return sub.submit_upload(upload, settings.data_dir, settings.max_upload_bytes, state.known_run_ids(),
                                 settings.requests_repo)

    def refresh():
        state.refresh()
        choices = run_choices()
        present = state.board.choices("backend")
        return gr.Dropdown(choices=choices), gr.Dropdown(choices=choices), gr.CheckboxGroup(present, value=present)

    def examples_for(language: str):
        questions = chat.example_questions(language, settings.sample_dir)
        return gr.Dropdown(choices=questions, value=None)

    def respond(question: str, history: list[dict], language: str, backend_label: str | None) -> Iterator:
        for turn in chat.answer_turn(backends, question, history, language, backend_label):
            yield turn, ""

    from globmed.languages import all_languages

    language_choices = [(f"{lang.name} ({lang.native})", lang.code) for lang in all_languages()]
    backends_present = state.board.choices("backend")
    from globmed.results import MODEL_TYPES

    with gr.Blocks(title=text.TITLE) as demo:
        gr.Markdown(f"# {text.TITLE}")
        gr.Markdown(text.INTRO)
        with gr.Tabs():
            with gr.Tab("Leaderboard", id="leaderboard"):
                gr.Markdown(text.LEADERBOARD_HELP)
                if not state.board.runs:
                    gr.Markdown(text.NO_RESULTS, elem_id="no-results")
                with gr.Row():
                    search = gr.Textbox(label="Search models (separate terms with ;)", placeholder="qwen; llama",
                                        elem_id="search", scale=3)
                    sort_by = gr.Dropdown(display.sortable_labels(), value="Overall", label="Sort by", scale=1)
                    descending = gr.Checkbox(value=True, label="Descending", scale=0)
                with gr.Row():
                    types = gr.CheckboxGroup(list(MODEL_TYPES), value=list(MODEL_TYPES), label="Model type",
                                             elem_id="filter-type")
                    backends_box = gr.CheckboxGroup(backends_present, value=backends_present, label="Backend")
                    group = gr.Radio([(label, key) for key, label in display.LANGUAGE_GROUPS.items()], value="all",
                                     label="Languages")
                with gr.Row():
                    size_min = gr.Number(label="Min size (B)", value=0, minimum=0)
                    size_max = gr.Number(label="Max size (B)", value=MAX_SIZE_SHOWN, minimum=0)
                    unknown = gr.Checkbox(value=True, label="Include undisclosed sizes")
                    tasks = gr.CheckboxGroup([(display.view_label(t), t) for t in views[1:]], value=views[1:],
                                             label="Tasks in the overall view")
                    show_ci = gr.Checkbox(value=False, label="Show confidence intervals", elem_id="show-ci")
                with gr.Accordion("Columns", open=False):
                    picked = gr.CheckboxGroup(display.pickable_labels(), value=display.default_labels(),
                                              label="Columns shown")
                with gr.Row():
                    count = gr.Markdown(elem_id="run-count")
                    refresh_button = gr.Button("Reload results", size="sm", scale=0)
                tables = []
                with gr.Tabs():
                    for view in views:
                        with gr.Tab(display.view_label(view), id=f"view-{view}"):
                            tables.append(gr.Dataframe(interactive=False, wrap=True, max_height=600,
                                                       elem_id=f"table-{view}", show_search="none"))
            with gr.Tab("Plots", id="plots"):
                gr.Markdown(text.PLOTS_HELP)
                top = list(state.board.table(Query()).head(3)["run_id"])  # the three best overall
                plot_runs = gr.Dropdown(run_choices(), value=top, multiselect=True, label="Runs to compare")
                language_chart = gr.ScatterPlot(x="language", y="score", color="run", y_lim=[0, 100],
                                                label="Per-language score (%)", height=360, x_label_angle=-30)
                gap_chart = gr.BarPlot(x="run", y="gap", label="High- minus low-resource gap (points, first 30 rows)",
                                       height=360, x_label_angle=-30, sort="-y", tooltip="all")
                points, pair_summary = plots.base_vs_finetuned(state.board)
                gr.ScatterPlot(points, x="base", y="fine-tuned", color="group", x_lim=[0, 100], y_lim=[0, 100],
                               label="Fine-tuned vs base, per language (%)", height=360, tooltip="all")
                gr.Dataframe(pair_summary, interactive=False, label="Relative gains over the base model")
            with gr.Tab("Model page", id="model"):
                model_choice = gr.Dropdown(run_choices(), label="Run", value=None, elem_id="model-choice")
                header = gr.Markdown(text.MODEL_PAGE_HELP)
                sources = gr.Dataframe(interactive=False, label="Language x task x source", max_height=600)
                gr.Markdown(text.REPRODUCE_HEADING)
                command = gr.Code(language="shell", label="Command", interactive=False, elem_id="reproduce")
            with gr.Tab("Submit", id="submit"):
                gr.Markdown(text.SUBMIT_HELP)
                upload = gr.File(label="Results JSON", file_types=[".json"], type="filepath", elem_id="upload")
                submit_button = gr.Button("Submit for review", variant="primary", elem_id="submit-button")
                submit_result = gr.Markdown(elem_id="submit-result")
            with gr.Tab("Chat", id="chat"):
                gr.Markdown(text.DISCLAIMER, elem_id="disclaimer")
                gr.Markdown(text.CHAT_HELP)
                if not backends:
                    gr.Markdown(text.NO_CHAT_MODEL, elem_id="no-chat-model")
                with gr.Row():
                    chat_language = gr.Dropdown(language_choices, value="en", label="Language")
                    chat_backend = gr.Dropdown(list(backends), value=next(iter(backends), None), label="Model")
                    example = gr.Dropdown(chat.example_questions("en", settings.sample_dir), value=None,
                                          label="Example questions", allow_custom_value=False)
                chatbot = gr.Chatbot(label="GlobMed chat", height=420, elem_id="chatbot", feedback_options=None)
                with gr.Row():
                    question = gr.Textbox(placeholder="Type a medical question…", show_label=False, scale=4,
                                          elem_id="chat-input", interactive=bool(backends))
                    send = gr.Button("Send", variant="primary", scale=1, elem_id="chat-send",
                                     interactive=bool(backends))
            with gr.Tab("About", id="about"):
                gr.Markdown(text.ABOUT)
                gr.Markdown(text.DISCLAIMER)
                rejected = "\n".join(f"- `{Path(k).name}`: {sub.escape_message(v)}"
                                     for k, v in state.report.rejected.items())
                if rejected:
                    gr.Markdown("**Results files skipped:**\n" + rejected)

        controls = [search, types, backends_box, size_min, size_max, unknown, group, tasks, sort_by, descending,
                    picked, show_ci]
        table_outputs = [*tables, count, gap_chart]
        gr.on([c.change for c in controls if c is not search] + [search.submit, search.change, demo.load],
              update_tables, inputs=controls, outputs=table_outputs, show_progress="hidden")
        gr.on([plot_runs.change, demo.load], language_plot, inputs=plot_runs, outputs=language_chart)
        model_choice.change(model_details, inputs=model_choice, outputs=[header, sources, command])
        submit_button.click(handle_submission, inputs=upload, outputs=submit_result)
        refresh_button.click(refresh, outputs=[plot_runs, model_choice, backends_box]).then(
            update_tables, inputs=controls, outputs=table_outputs)
        chat_language.change(examples_for, inputs=chat_language, outputs=example)
        example.change(lambda q: q or gr.skip(), inputs=example, outputs=question)
        gr.on([send.click, question.submit], respond, inputs=[question, chatbot, chat_language, chat_backend],
              outputs=[chatbot, question])
    return demo


def launch(demo: Any, host: str = "127.0.0.1", port: int = 7860, **kwargs: Any) -> None:
    """Serve the app (the upload size is also capped by Gradio, beyond the app's own check)."""
    import gradio as gr

    demo.queue(default_concurrency_limit=4).launch(
        server_name=host, server_port=port, max_file_size="20mb", css=CSS, theme=gr.themes.Soft(),
        show_error=False, **kwargs,
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
