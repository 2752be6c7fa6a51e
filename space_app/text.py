"""Every sentence a visitor of the Space reads, in one place (so wording is reviewed, and translated, once)."""

from __future__ import annotations

TITLE = "GlobMed: medical LLMs beyond English"

INTRO = """\
**GlobMed-Bench** measures medical question answering in 12 languages: 8 high-resource (English, Chinese,
Japanese, Korean, French, Spanish, German, Portuguese) and 4 low-resource (Swahili, Wolof, Yoruba, Zulu),
on three task families: multiple-choice QA, natural language inference and long-form answers. The *gap*
column is the high-resource mean minus the low-resource mean: the smaller, the fairer the model.
"""

DISCLAIMER = """\
⚠️ **Not medical advice.** GlobMed models and this demo are research artefacts. Their answers can be wrong,
incomplete or dangerous. Do not use them to diagnose, treat or make any health decision; consult a qualified
health professional. In an emergency call your local emergency number.
"""

LEADERBOARD_HELP = """\
One row per benchmark run. Search several models at once by separating terms with `;` (e.g. `qwen; llama`).
Scores are percentages; with *show confidence intervals* a cell reads `41.2 ±3.1` (95% bootstrap interval
half-width). *Tasks in the overall view* re-averages the per-language columns over the chosen tasks.
"""

NO_RESULTS = "No results found. Run `globmed bench ... --out DIR` and start the Space with `--results DIR`."

MODEL_PAGE_HELP = "Pick a run to see every language x task x source score and the command that reproduces it."
REPRODUCE_HEADING = "### Reproduce this run"

PLOTS_HELP = """\
Per-language scores of the chosen runs; the high- versus low-resource gap of every shown run; and each
fine-tuned model against its base model (points above the diagonal are improvements).
"""

SUBMIT_HELP = """\
Upload the `<run_id>.json` written by `globmed bench`. It is checked (size, schema, score ranges, text) and
stored as *pending*; a maintainer approves it before it appears on the leaderboard. Nothing in an upload is
ever executed.
"""
SUBMIT_OK = "✅ Thank you: submission `{submission_id}` for **{model}** is pending review."
SUBMIT_FAILED = "❌ The file was not accepted: {reason}"
SUBMIT_NO_FILE = "❌ Choose a results JSON file first."

CHAT_HELP = "Ask a medical question in the chosen language. Answers stream as the model writes them."
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
