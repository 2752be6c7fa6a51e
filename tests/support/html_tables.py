"""Read the leaderboard's HTML table back with the standard library's parser, independently of the code that wrote
it: the header texts and tooltips, each row's cell texts (entities decoded), and the links' targets."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Table:
    headers: list[str] = field(default_factory=list)
    titles: dict[str, str] = field(default_factory=dict)  # header text -> its tooltip
    sort: dict[str, str] = field(default_factory=dict)  # header text -> aria-sort, where set
    rows: list[list[str]] = field(default_factory=list)
    links: list[str] = field(default_factory=list)  # every href, in order
    tags: set[str] = field(default_factory=set)  # every tag name seen


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.table = Table()
        self._cell: list[str] | None = None
        self._attrs: dict[str, str] = {}
        self._in_head = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.table.tags.add(tag)
        attributes = {key: value or "" for key, value in attrs}
        if tag == "thead":
            self._in_head = True
        elif tag == "tr" and not self._in_head:
            self.table.rows.append([])
        elif tag in {"th", "td"}:
            self._cell, self._attrs = [], attributes
        elif tag == "a":
            self.table.links.append(attributes.get("href", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "thead":
            self._in_head = False
        elif tag in {"th", "td"} and self._cell is not None:
            text = "".join(self._cell).strip()
            if tag == "th":
                self.table.headers.append(text)
                if "title" in self._attrs:
                    self.table.titles[text] = self._attrs["title"]
                if "aria-sort" in self._attrs:
                    self.table.sort[text] = self._attrs["aria-sort"]
            else:
                self.table.rows[-1].append(text)
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def read_table(markup: str) -> Table:
    reader = _Reader()
    reader.feed(markup)
    reader.close()
    return reader.table
