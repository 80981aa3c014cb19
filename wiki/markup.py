"""Reading and writing the bits of HTML and Markdown a gene page mixes together.

Reading turns markup into the text a reader sees; writing escapes text for exactly the place it
goes (HTML attribute, HTML text, Markdown link text, URL path segment), so that nothing a
hypothesis title contains can become markup.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache
from urllib.parse import quote, unquote

from common.text import neutralise

# "<sup>[@lipton2021]</sup>" or a bare "[@lipton2021]" / "[@a; @b]": keys of a bibliography the
# page does not carry, so they cannot be resolved to a DOI or PMID.
CITATION_KEY = re.compile(r"(?:<sup>\s*)?\[@[^\]\n]*\](?:\s*</sup>)?", re.I)
MARKDOWN_LINK = re.compile(
    r"\[(?P<text>(?:\\.|[^\]\\\n])*)\]\((?P<url>[^()\s]*)(?:\s+\"(?P<title>[^\"\n]*)\")?\)"
)
ANCHOR = re.compile(r"<a\b(?P<attrs>[^>]*)>(?P<text>.*?)</a\s*>", re.I | re.S)
_TAG = re.compile(r"<[^>]*>")
_BREAK = re.compile(r"<br\s*/?>", re.I)
_MD_ESCAPE = re.compile(r"\\(.)")
# Every piece of markup ``visible_text`` removes or decodes starts with one of these.
_MARKUP_STARTS = "<[&"
# Markdown punctuation as numeric entities: inert in Markdown and shown as itself in HTML, so
# one escaping serves link text and HTML cells (which the wiki also runs through Markdown).
_MD_SPECIAL = {ord(c): f"&#{ord(c)};" for c in "\\`*_[]"}


def attribute(attrs: str, name: str) -> re.Match[str] | None:
    """The match of ``name="value"`` inside a tag's attribute text; group ``value`` is raw."""
    return _attribute_pattern(name).search(attrs)


@lru_cache(maxsize=64)
def _attribute_pattern(name: str) -> re.Pattern[str]:
    return re.compile(
        rf"(?<![\w-]){re.escape(name)}\s*=\s*(?P<q>['\"])(?P<value>.*?)(?P=q)", re.I | re.S
    )


def markdown_unescape(text: str) -> str:
    return _MD_ESCAPE.sub(r"\1", text)


def visible_text(markup: str) -> str:
    """The text a reader sees in a piece of page markup, whitespace collapsed."""
    if not any(char in markup for char in _MARKUP_STARTS):
        return " ".join(markup.split())
    text = CITATION_KEY.sub("", markup)
    text = MARKDOWN_LINK.sub(lambda m: markdown_unescape(m["text"]), text)
    text = _BREAK.sub(" ", text)
    text = _TAG.sub("", text)
    return " ".join(html.unescape(text).split())


def one_line(text: str) -> str:
    """Newlines would end a list item or split a tag; titles are shown on one line. Characters
    the text policy refuses (controls, bidirectional overrides) become U+FFFD: a page must
    neither break nor read differently because of a title stored before the policy."""
    return " ".join(neutralise(text).split())


def html_text(text: str) -> str:
    """Escape for HTML text inside a page: entities for HTML and Markdown specials alike."""
    return html.escape(one_line(text), quote=True).translate(_MD_SPECIAL)


def html_attribute(text: str) -> str:
    return html.escape(one_line(text), quote=True)


def markdown_text(text: str) -> str:
    """Escape for Markdown link text: HTML-special characters become entities (Markdown passes
    raw HTML through), and so does Markdown's own punctuation."""
    return html_text(text)


def read_markdown_text(text: str) -> str:
    """Inverse of ``markdown_text`` (also reads hand-written link text)."""
    return html.unescape(markdown_unescape(text))


def url_segment(text: str) -> str:
    """One URL path segment: every character that could end the URL or the attribute is encoded."""
    return quote(text, safe="")


def read_url_segment(text: str) -> str:
    return unquote(html.unescape(text))
