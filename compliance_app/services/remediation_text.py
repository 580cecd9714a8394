"""Remediation Markdown as plain blocks a non-HTML renderer (the PDF) can lay out.

Remediation text is Markdown from the check catalog and may quote what a provider returned,
so it is parsed with raw HTML off (a `<b>` stays the literal text "<b>"), and reduced to what a
report needs: paragraphs, list items with their marker and depth, code spans and code blocks
(set in a monospace face rather than shown with their backticks), bold.
"""

from __future__ import annotations

from dataclasses import dataclass

from markdown_it import MarkdownIt
from markdown_it.token import Token

_PARSER = MarkdownIt("commonmark", {"html": False})


@dataclass(frozen=True)
class Run:
    """A piece of text in one face."""

    text: str
    code: bool = False
    bold: bool = False


@dataclass(frozen=True)
class Block:
    """A paragraph, a list item's first paragraph (`marker` "•" or "2."), or a code block."""

    runs: tuple[Run, ...]
    depth: int = 0
    marker: str = ""
    preformatted: bool = False


def _runs(inline: Token) -> tuple[Run, ...]:
    runs: list[Run] = []
    bold = False
    for child in inline.children or []:
        if child.type == "strong_open":
            bold = True
        elif child.type == "strong_close":
            bold = False
        elif child.type == "code_inline":
            runs.append(Run(child.content, code=True, bold=bold))
        elif child.type == "softbreak":
            runs.append(Run(" ", bold=bold))
        elif child.type == "hardbreak":
            runs.append(Run("\n", bold=bold))
        elif child.type in ("text", "html_inline"):
            runs.append(Run(child.content, bold=bold))
        elif child.type == "image":
            runs.append(Run(child.content, bold=bold))  # its alt text
    return tuple(r for r in runs if r.text)


def blocks(markdown: str) -> list[Block]:
    """The blocks of `markdown`, in order; headings read as bold paragraphs."""
    out: list[Block] = []
    lists: list[list[int]] = []  # per open list: [ordered, next number]
    marker = ""
    heading = False
    for token in _PARSER.parse(markdown or ""):
        if token.type in ("bullet_list_open", "ordered_list_open"):
            start = int(token.attrGet("start") or 1)
            lists.append([token.type == "ordered_list_open", start])
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
        elif token.type == "list_item_open":
            ordered, number = lists[-1]
            marker = f"{number}." if ordered else "•"
            lists[-1][1] = number + 1
        elif token.type == "heading_open":
            heading = True
        elif token.type == "inline":
            runs = _runs(token)
            if heading:
                runs = tuple(Run(r.text, r.code, True) for r in runs)
                heading = False
            out.append(Block(runs, depth=len(lists), marker=marker))
            marker = ""
        elif token.type in ("fence", "code_block"):
            out.append(Block((Run(token.content.rstrip("\n"), code=True),), depth=len(lists), marker=marker,
                             preformatted=True))
            marker = ""
    return [b for b in out if b.runs]
