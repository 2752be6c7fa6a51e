"""Text normalisation shared by every source: the quirks real files have, fixed the same way everywhere.

- a BOM or a stray U+FEFF anywhere (zero-width no-break space) is removed, as are U+200B and U+2060;
- non-breaking spaces (U+00A0, U+202F, U+2007) become plain spaces;
- CRLF and bare CR become LF; runs of spaces/tabs collapse to one; each line and the text are stripped;
- Unicode NFC, so the same word always has the same code points;
- options: a doubled trailing dot ("Colágeno..") left by a converter becomes one ("Colágeno."), an ellipsis stays;
- a stray trailing double quote (an unbalanced `"` at the end, often after a line break: `Propranolol\\n"`, left
  by CSV exports) is removed by `strip_stray_quote`; balanced quotes (`called "X"`) stay. The adapters count it.

    >>> clean_text("\\ufeffA\\u00a0 b\\r\\nc ")
    'A b\\nc'
    >>> clean_option("Colágeno..")
    'Colágeno.'
    >>> strip_stray_quote('Propranolol\\n"'), strip_stray_quote('The "X" sign"'), strip_stray_quote('called "X"')
    ('Propranolol', 'The "X" sign', 'called "X"')
"""

from __future__ import annotations

import re
import unicodedata

_DROP = re.compile("[\ufeff\u200b\u2060]")
_TO_SPACE = re.compile("[\u00a0\u202f\u2007\t]")
_SPACES = re.compile(r" {2,}")
_LINE_EDGES = re.compile(r" *\n *")
_DOUBLE_DOT = re.compile(r"(?<!\.)\.\.$")


def clean_text(value: object) -> str:
    """Normalise one text field; None becomes "". Each fix runs only when a C-level scan finds its quirk."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\t" in text:
        text = text.replace("\t", " ")
    if not text.isascii():
        if _DROP.search(text):
            text = _DROP.sub("", text)
        if _TO_SPACE.search(text):
            text = _TO_SPACE.sub(" ", text)
        if not unicodedata.is_normalized("NFC", text):
            text = unicodedata.normalize("NFC", text)
    if "  " in text:
        text = _SPACES.sub(" ", text)
    if "\n" in text and (" \n" in text or "\n " in text):
        text = _LINE_EDGES.sub("\n", text)
    return text.strip()


def clean_option(value: object) -> str:
    text = clean_text(value)
    if text.endswith(".."):
        text = _DOUBLE_DOT.sub(".", text)
    return text


def strip_stray_quote(text: str) -> str:
    """Drop an unbalanced trailing `"` (and the whitespace before it); a text with balanced quotes is kept."""
    if text.endswith('"') and text.count('"') % 2:
        return text[:-1].rstrip()
    return text


def dedup_key_text(text: str) -> str:
    """The form compared by exact dedup and near-dup: case-folded, whitespace collapsed, NFKC."""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    return " ".join(text.casefold().split())
