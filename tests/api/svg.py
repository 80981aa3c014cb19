"""Parsing the SVG hyposcore itself renders (badges, charts) in tests."""

from __future__ import annotations

import xml.etree.ElementTree as ET

SVG_NS = "{http://www.w3.org/2000/svg}"


def parse_svg(svg: str) -> ET.Element:
    """Parse an SVG document; raises if escaping ever left it malformed."""
    # The input is markup the code under test produced, not data from outside.
    return ET.fromstring(svg)  # noqa: S314


def svg_texts(svg: str) -> list[str | None]:
    return [t.text for t in parse_svg(svg).iter(f"{SVG_NS}text")]
