"""Answer extraction for generated outputs: a named chain of small pure filters, then one pure extractor.

Chat and API models answer in free text: "C", "Answer: C", "答案：C", "Ｃ", "**Jibu:** B", the option text
itself, often after a <think> block. The chain normalises the text; `extract_choice` then tries, in order,
the word for "answer" in any of the 12 languages followed by a letter (last match wins, since models restate
the answer at the end), a bare or leading letter, and finally the option text (or NLI label name). `None`
means "no answer found": the item is scored wrong and counted in `unparsed`.

    >>> extract_choice("<think>maybe A?</think>\\n答案：Ｃ", ["a", "b", "c", "d"])
    2
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from functools import lru_cache

from globmed.schema import OPTION_LETTERS

Filter = Callable[[str], str]

_THINK_BLOCK = re.compile(r"<think>.*?</think>", re.DOTALL | re.IGNORECASE)
_MARKDOWN = re.compile(r"[*_`#]+")


def strip_reasoning(text: str) -> str:
    """Drop <think>...</think> blocks; text after a dangling </think> is the answer, an unclosed <think> is not."""
    text = _THINK_BLOCK.sub(" ", text)
    lower = text.lower()
    if "</think>" in lower:
        text = text[lower.rindex("</think>") + len("</think>") :]
    elif "<think>" in lower:
        text = text[: lower.index("<think>")]
    return text


def normalize_width(text: str) -> str:
    """NFKC: full-width letters and colons (Ｃ, ：) become ASCII, so one pattern covers CJK outputs."""
    return unicodedata.normalize("NFKC", text)


def strip_markdown(text: str) -> str:
    """Bold, italics, code and headings around answers ("**Answer:** `C`")."""
    return _MARKDOWN.sub("", text)


def fold_case_and_marks(text: str) -> str:
    """Lower-case without diacritics (Ìdáhùn -> idahun) so answer words match however a model accents them.

    Hangul and kana recompose (NFC), so Korean and Japanese words still match.
    """
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return unicodedata.normalize("NFC", stripped).casefold()


DEFAULT_FILTERS: tuple[tuple[str, Filter], ...] = (
    ("strip_reasoning", strip_reasoning),
    ("normalize_width", normalize_width),
    ("strip_markdown", strip_markdown),
)


def apply_filters(text: str, filters: Sequence[tuple[str, Filter]] = DEFAULT_FILTERS) -> str:
    for _, step in filters:
        text = step(text)
    return text.strip()


@lru_cache(maxsize=1)
def _answer_word_pattern() -> re.Pattern[str]:
    from benchmark.prompts import all_answer_words

    words = sorted({fold_case_and_marks(w) for w in all_answer_words()}, key=len, reverse=True)
    alternatives = "|".join(re.escape(w) for w in words)
    # answer word, up to 24 characters of filler on the same line ("是", "は", " correcta es la", "):"), a letter
    # that is not part of a word (uppercase in the original text: checked by the caller)
    return re.compile(rf"(?:{alternatives})[^\n]{{0,24}}?(?<![a-z])([a-j])(?![a-z])")


_LEADING_LETTER = re.compile(r"^\(?([A-J])(?:[).:\]]|\s|$)")


def _letter_index(letter: str, n_options: int) -> int | None:
    index = OPTION_LETTERS.find(letter.upper())
    return index if 0 <= index < n_options else None


def extract_by_answer_word(text: str, n_options: int) -> int | None:
    """Last "<answer word> ... X" in any language; X must be an uppercase option letter in the original."""
    folded = fold_case_and_marks(text)
    if len(folded) != len(text):  # folding changed offsets: fall back to matching the folded text only
        candidates = [m.group(1).upper() for m in _answer_word_pattern().finditer(folded)]
    else:
        candidates = [text[m.start(1)] for m in _answer_word_pattern().finditer(folded)]
    for letter in reversed(candidates):
        if letter.isupper() and (index := _letter_index(letter, n_options)) is not None:
            return index
    return None


def extract_leading_letter(text: str, n_options: int) -> int | None:
    """A bare letter ("C", "(C)", "C.") or a line that starts with one ("C) Aspirin")."""
    for line in text.splitlines():
        match = _LEADING_LETTER.match(line.strip())
        if match and (index := _letter_index(match.group(1), n_options)) is not None:
            return index
    return None


def extract_option_text(text: str, option_names: Sequence[Sequence[str]]) -> int | None:
    """The one option whose text (any of its names) appears in the output.

    A name that is only part of another matched option's name ("pain" inside "chest pain") does not count;
    two distinct options mentioned is ambiguous (None).
    """
    folded = fold_case_and_marks(text)
    hits: list[tuple[str, int]] = []
    for index, names in enumerate(option_names):
        for name in {fold_case_and_marks(x).strip() for x in names}:
            if name and name in folded:
                hits.append((name, index))
    kept = {
        index for name, index in hits if not any(name != other and name in other and i != index for other, i in hits)
    }
    return kept.pop() if len(kept) == 1 else None


def extract_choice(
    output: str,
    options: Sequence[str],
    option_aliases: Sequence[Sequence[str]] | None = None,
    filters: Sequence[tuple[str, Filter]] = DEFAULT_FILTERS,
) -> int | None:
    """Index of the chosen option, or None when no answer can be found.

    `option_aliases[i]` lists other names of option i (e.g. the NLI label in the prompt's language).
    """
    text = apply_filters(output, filters)
    if not text:
        return None
    n = len(options)
    for found in (extract_by_answer_word(text, n), extract_leading_letter(text, n)):
        if found is not None:
            return found
    names = [[opt, *(option_aliases[i] if option_aliases else ())] for i, opt in enumerate(options)]
    return extract_option_text(text, names)
