"""Hypothesis links in an infobox cell: HTML anchors and Markdown links, inside the cell only."""

from __future__ import annotations

from wiki.hypothesis_links import read_infobox_links
from wiki.pagetext import LineIndex


def test_every_hypothesis_link_in_the_cell_is_read_and_nothing_outside_it() -> None:
    cell = (
        '<a href="/gene/MTOR">MTOR</a> '  # not a hypothesis: skipped, the rest still read
        '<a href="/hypothesis/h-1" title="Score: 0.80">APOE-Dependent Autophagy</a><br>'
        '[Second](/gene/TSC2) [Lysosomal](/hypothesis/h-2 "0.64") '
        "[No score](/hypothesis/h-3)"
    )
    text = f"<td>{cell}</td> <a href='/hypothesis/h-9' title='0.5'>outside</a>"
    start = len("<td>")
    reading = read_infobox_links(
        text, (start, start + len(cell)), lines=LineIndex(text), source="MTOR"
    )
    found = [(link.hypothesis_id, link.markup, link.score) for link in reading.links]
    assert found == [("h-1", "html", 0.80), ("h-2", "markdown", 0.64), ("h-3", "markdown", None)]
    assert reading.links[0].title == "APOE-Dependent Autophagy"
    assert [p.message for p in reading.problems] == [
        "infobox link to h-3 shows no score (no title)"
    ]


def test_a_markdown_link_inside_an_anchor_is_not_read_twice() -> None:
    cell = '<a href="/hypothesis/h-1" title="0.7">[h-1](/hypothesis/h-1 "0.7")</a>'
    reading = read_infobox_links(cell, (0, len(cell)), lines=LineIndex(cell), source="p")
    assert [(link.hypothesis_id, link.markup) for link in reading.links] == [("h-1", "html")]
