"""Medical terminology: a TSV glossary and a fast longest-match term finder.

The translator is told how each medical term found in the English item must be rendered, and a check then
confirms those target terms appear. Matching uses an Aho-Corasick automaton (one pass over the text, whatever the
glossary size), case-insensitive, leftmost-longest, non-overlapping. A match must sit on word boundaries in
scripts written with spaces; in scripts without spaces (Han, Hiragana, Katakana, Thai...) a term may touch its
neighbours, since there is no space to look for.

>>> rows = [("myocardial infarction", "fr", "infarctus du myocarde"), ("infarction", "fr", "infarctus")]
>>> g = Glossary.from_rows(rows)
>>> [m.term for m in g.find("Acute Myocardial Infarction, not infarctions")]
['myocardial infarction']
"""

from __future__ import annotations

import csv
import io
import logging
import unicodedata
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from globmed.errors import GlobMedError
from globmed.languages import language_registry
from globmed.text_io import read_text

logger = logging.getLogger(__name__)

HEADER = ("source_term", "language", "target_term")


def _fold(text: str) -> str:
    """Lower-case character by character, keeping offsets aligned with the original text."""
    out = []
    for ch in text:
        low = ch.lower()
        out.append(low if len(low) == 1 else ch)
    return "".join(out)


_NO_SPACE_SCRIPTS = ("CJK", "HIRAGANA", "KATAKANA", "THAI", "LAO", "KHMER", "MYANMAR", "TIBETAN", "YI ")


def _is_no_space_char(ch: str) -> bool:
    """True for characters of scripts written without spaces between words."""
    if ch in "々〆ー":
        return True
    name = unicodedata.name(ch, "")
    return name.startswith(_NO_SPACE_SCRIPTS)


def _is_word_char(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def _boundary_ok(inner: str, outer: str | None) -> bool:
    """A term edge `inner` next to text char `outer` is a valid boundary."""
    if outer is None or not _is_word_char(outer) or not _is_word_char(inner):
        return True
    return _is_no_space_char(inner) or _is_no_space_char(outer)


@dataclass(frozen=True)
class Match:
    start: int
    end: int  # exclusive
    term: str  # the glossary source term (as written in the glossary)
    targets: dict[str, tuple[str, ...]]  # language -> accepted target terms


@dataclass
class _Node:
    goto: dict[str, int] = field(default_factory=dict)
    fail: int = 0
    out: list[int] = field(default_factory=list)  # pattern ids ending here


class Glossary:
    """Source terms with their target terms per language, compiled into an Aho-Corasick automaton."""

    def __init__(self) -> None:
        self._terms: list[str] = []
        self._folded: list[str] = []
        self._targets: list[dict[str, list[str]]] = []
        self._index: dict[str, int] = {}
        self._nodes: list[_Node] = [_Node()]
        self._compiled = False

    def digest(self) -> str:
        """Content hash of the entries, part of the cache key: a changed glossary re-translates."""
        import hashlib
        import json

        entries = sorted(
            (t, {k: sorted(v) for k, v in tg.items()}) for t, tg in zip(self._folded, self._targets, strict=True)
        )
        return hashlib.sha256(json.dumps(entries, ensure_ascii=False).encode()).hexdigest()[:16]

    def __len__(self) -> int:
        return len(self._terms)

    def add(self, source_term: str, language: str, target_term: str) -> None:
        source_term, target_term = source_term.strip(), target_term.strip()
        if not source_term or not target_term:
            raise ValueError("empty source or target term")
        key = _fold(source_term)
        if key not in self._index:
            self._index[key] = len(self._terms)
            self._terms.append(source_term)
            self._folded.append(key)
            self._targets.append({})
            self._compiled = False
        targets = self._targets[self._index[key]].setdefault(language, [])
        if target_term not in targets:
            targets.append(target_term)

    @classmethod
    def from_rows(cls, rows: Iterable[tuple[str, str, str]]) -> Glossary:
        glossary = cls()
        for source_term, language, target_term in rows:
            glossary.add(source_term, language, target_term)
        return glossary

    @classmethod
    def load(cls, path: str | Path) -> Glossary:
        """Read a TSV of `source_term<TAB>language<TAB>target_term` (optional header, `#` comments)."""
        path = Path(path)
        if not path.is_file():
            raise GlobMedError(f"glossary {path}: no such file")
        registry = language_registry()
        glossary = cls()
        with io.StringIO(read_text(path, "glossary"), newline="") as handle:
            for lineno, row in enumerate(csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE), start=1):
                if not row or not "".join(row).strip() or row[0].lstrip().startswith("#"):
                    continue
                if lineno == 1 and tuple(c.strip().lower() for c in row) == HEADER:
                    continue
                if len(row) != 3:
                    raise GlobMedError(
                        f"glossary {path} line {lineno}: expected 3 tab-separated columns "
                        f"({', '.join(HEADER)}), got {len(row)}"
                    )
                source_term, language, target_term = (c.strip() for c in row)
                if language not in registry:
                    raise GlobMedError(
                        f"glossary {path} line {lineno} column language: {registry.unknown_message(language)}"
                    )
                if not source_term or not target_term:
                    raise GlobMedError(f"glossary {path} line {lineno}: empty source_term or target_term")
                glossary.add(source_term, language, target_term)
        logger.info("glossary %s: %d source terms", path, len(glossary))
        return glossary

    def _compile(self) -> None:
        nodes = [_Node()]
        for pid, key in enumerate(self._folded):
            state = 0
            for ch in key:
                nxt = nodes[state].goto.get(ch)
                if nxt is None:
                    nxt = len(nodes)
                    nodes.append(_Node())
                    nodes[state].goto[ch] = nxt
                state = nxt
            nodes[state].out.append(pid)
        queue: deque[int] = deque()
        for nxt in nodes[0].goto.values():
            queue.append(nxt)
        while queue:
            state = queue.popleft()
            for ch, nxt in nodes[state].goto.items():
                queue.append(nxt)
                fail = nodes[state].fail
                while fail and ch not in nodes[fail].goto:
                    fail = nodes[fail].fail
                cand = nodes[fail].goto.get(ch, 0)
                nodes[nxt].fail = cand if cand != nxt else 0
                nodes[nxt].out.extend(nodes[nodes[nxt].fail].out)
        self._nodes = nodes
        self._compiled = True

    def find(self, text: str, language: str | None = None) -> list[Match]:
        """Leftmost-longest non-overlapping term matches; with `language`, only terms that have a target there."""
        if not self._terms:
            return []
        if not self._compiled:
            self._compile()
        folded = _fold(text)
        nodes = self._nodes
        candidates: list[tuple[int, int, int]] = []
        state = 0
        for i, ch in enumerate(folded):
            while state and ch not in nodes[state].goto:
                state = nodes[state].fail
            state = nodes[state].goto.get(ch, 0)
            for pid in nodes[state].out:
                if language is not None and language not in self._targets[pid]:
                    continue
                start = i + 1 - len(self._folded[pid])
                before = text[start - 1] if start > 0 else None
                after = text[i + 1] if i + 1 < len(text) else None
                if _boundary_ok(text[start], before) and _boundary_ok(text[i], after):
                    candidates.append((start, i + 1, pid))
        candidates.sort(key=lambda c: (c[0], -(c[1] - c[0])))
        matches: list[Match] = []
        cursor = 0
        for start, end, pid in candidates:
            if start < cursor:
                continue
            targets = {lang: tuple(t) for lang, t in self._targets[pid].items()}
            matches.append(Match(start, end, self._terms[pid], targets))
            cursor = end
        return matches

    def required_terms(self, texts: Iterable[str], language: str) -> dict[str, tuple[str, ...]]:
        """Source term -> accepted target terms in `language`, for every term found in `texts` (first-seen order)."""
        found: dict[str, tuple[str, ...]] = {}
        for text in texts:
            for match in self.find(text, language):
                found.setdefault(match.term, match.targets[language])
        return found


def missing_terms(required: dict[str, tuple[str, ...]], output_texts: Iterable[str]) -> list[str]:
    """Source terms none of whose target renderings appears (case-insensitive) in the translated text."""
    haystack = _fold("\n".join(output_texts))
    return [term for term, targets in required.items() if not any(_fold(t) in haystack for t in targets)]
