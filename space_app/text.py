"""Every sentence a visitor of the Space reads, in one place (so wording is reviewed, and translated, once)."""

from __future__ import annotations

TITLE = "GlobMed: medical LLMs beyond English"

INTRO = """\
**GlobMed-Bench** measures medical question answering in 12 languages, 8 high-resource and 4 low-resource
(Swahili, Wolof, Yoruba, Zulu), on multiple-choice QA, natural language inference and long-form answers.
"""

DISCLAIMER = """\
⚠️ **Not medical advice.** GlobMed models and this demo are research artefacts. Their answers can be wrong,
incomplete or dangerous. Do not use them to diagnose, treat or make any health decision; consult a qualified
health professional. In an emergency call your local emergency number.
"""

LEADERBOARD_HELP = """\
**Rank** orders the runs that pass the filters by **Overall**, the mean over the languages of the chosen
group (a search only picks rows, so a run keeps its rank). **Gap** is the high-resource mean minus the
low-resource mean: the smaller, the fairer the model. Hover a language code for its name. Search several
models at once with `;` (`qwen; llama`). Scores are percentages; with *confidence intervals* a cell reads
`41.2 ±3.1` (95% bootstrap half-width; a run benchmarked without the bootstrap shows the score alone). The
table shows one page of rows at a time: *Next* and *Previous* turn the pages; *Sort by*, or a click on a column's
header, sorts every run, not only the page. *(local)* marks a model benchmarked from a local folder: it has no
public page to link to.
"""

# The line above the tables: the run count, or why no table is shown (`{search}` arrives escaped).
COUNT = "**{shown}** of {total} runs shown"
GROUP_RANKED = "Overall and Rank: the mean over the {group}-resource languages ({codes})"
PAGE = "Rows {first}–{last} of {rows} · page {page} of {pages}"
NO_MATCH = "No run matches '{search}'. Clear the search, or separate several names with `;`."
NO_MATCH_FILTERED = "No run matches '{search}' with the filters under *More filters*."
NO_RUN_PASSES = "No run passes the filters under *More filters*."
NO_TASKS = "No task is ticked: tick at least one under *Tasks* to see the overall scores."

# A task tab whose scores are all 0.0 says why, by its metric.
ALL_ZERO = "Every score in this tab is 0.0. {why}"
ZERO_WHY = {
    "rougeL": "ROUGE-L counts the words an answer shares with the reference answer: no run shown here "
              "generated a usable long answer.",
    "judge": "The judge rated no answer of the runs shown here above 0.",
}
ZERO_WHY_DEFAULT = "No run shown here scored on any item; its model page lists the unparsed answers."
ZERO_TINY = (" The tiny demo model generates no usable long answers: it is a 4-layer toy trained for a few "
             "minutes.")

NO_RESULTS = "No results found. Run `globmed bench ... --out DIR` and start the Space with `--results DIR`."

MODEL_PAGE_HELP = "Pick a run to see every language x task x source score and the command that reproduces it."
REPRODUCE_HEADING = "### Reproduce this run"
SOURCES_HEADING = "**Language x task x source**"
LOCAL_MODEL = "local (a folder on the machine that made the run: no public page)"
# Comment lines at the top of the reproduce command (shell comments: the block stays copy-pasteable).
REPRODUCE_LOCAL = "# local run: paths are relative to the release root (the --out of `globmed demo`); run it there"
REPRODUCE_LOCAL_ABSOLUTE = "# local run: the paths are folders on the machine that made the run"
REPRODUCE_RERUN = "# if its results file is there already it answers \"done already\": add --overwrite to rerun"

PLOTS_HELP = """\
Per-language scores of the chosen runs and the high- versus low-resource gap of the leaderboard's first 30 rows
(it follows the leaderboard's filters); under *Fine-tuned vs base*, each fine-tuned model against its base model,
one point per language (a point above the dashed y = x line is a language the fine-tune improved), and the gains
with their paired intervals.
"""
# Chart titles (drawn inside each chart, so Gradio's label badge does not cover its top).
# Each is a title and a subtitle (short lines: they must fit a phone).
LANGUAGE_CHART_TITLE = {"text": "Per-language score (%)", "subtitle": "the chosen runs"}
GAP_CHART_TITLE = {"text": "High- minus low-resource gap", "subtitle": "points; the leaderboard's first 30 rows"}
GAP_NONE = "No run to show: the leaderboard's filters keep none, or no task is ticked."
FINETUNED_CHART_TITLE = {"text": "Fine-tuned vs base (%)", "subtitle": "one point per language"}
GAINS_HEADING = "**Gains over the base model with 95% paired intervals** (significant: the interval excludes 0)"
GAINS_NONE = "No fine-tuned run has its base model's run on the board (the model's base_model names it)."
FINETUNED_SOME = "one point per language; the {shown} best fine-tuned runs of {pairs} (the table below has all)"
FINETUNED_NONE = {"text": "Fine-tuned vs base (%)", "subtitle": "no fine-tuned run with its base on the board"}

SUBMIT_HELP = """\
Upload the `<run_id>.json` written by `globmed bench --out DIR` (the `<run_id>.samples.jsonl` beside it holds
the per-question outputs and is not the results file). It is checked (size, schema, score ranges, text) and
stored as *pending*; a maintainer approves it before it appears on the leaderboard. Nothing in an upload is
ever executed.
"""
UPLOAD_LABEL = "Results JSON (<run_id>.json, not the .samples.jsonl)"
SUBMIT_OK = "✅ Thank you: submission `{submission_id}` for **{model}** is pending review."
SUBMIT_FAILED = "❌ The file was not accepted: {reason}"
SUBMIT_NO_FILE = ("❌ Choose a results JSON file first: the `<run_id>.json` written by `globmed bench` (only .json "
                  "files are accepted; the `.samples.jsonl` beside it is not the results file).")
SUBMIT_SAMPLES_FILE = ("this is a samples file (per-question outputs), not the results file: upload the "
                       "<run_id>.json from the same folder")

CHAT_HELP = "Ask a medical question in the chosen language. Answers stream as the model writes them."
CHAT_TALKING_TO = "**Talking to:** {description}"
CHAT_TOY = ("⚠️ This is the demo's toy model: {layers} layers, fine-tuned for {steps} steps (a few minutes on a "
            "CPU) on the bundled sample. Its answers are not meaningful; it only shows that the chat works.")
NO_CHAT_MODEL = """\
No chat model is configured. Start the Space with `globmed space --chat-model PATH` (a local model folder) or
`--chat-endpoint URL` (an OpenAI-compatible server), or set `GLOBMED_CHAT_MODEL` / `GLOBMED_CHAT_ENDPOINT`.
"""
CHAT_EMPTY_ANSWER = "(the model returned no text)"
CHAT_ERROR = "⚠️ The model could not answer: {error}"

# The system prompt the chat demo sends; {language} is the English name of the chosen language.
CHAT_SYSTEM_PROMPT = (
    "You are a careful medical information assistant. Answer in {language}. Be concise, say when you are "
    "unsure, and remind the user to consult a health professional for personal medical decisions."
)

ABOUT = """\
GlobMed is a 12-language medical dataset built from MedQA, MedMCQA, HEAD-QA, MedExpQA, MMLU-Pro, PubMedQA,
BioNLI, MedNLI, ExpertQA and LiveQA by agentic machine translation with expert review, a benchmark over it
(GlobMed-Bench) and fine-tuned models (GlobMed-LLMs, 1.7B to 8B parameters).
"""
