"""Page files that are not text: empty, binary, undecodable, huge."""

from __future__ import annotations

import pytest

from wiki.errors import PageError
from wiki.genepage import parse_gene_page
from wiki.pagetext import MAX_PAGE_BYTES, LineIndex, decode_page


def test_utf8_is_decoded_exactly() -> None:
    data = "MTOR Gene\r\nα-Synuclein — Aβ\n".encode()
    assert decode_page(data, source="p.txt").encode() == data


@pytest.mark.parametrize("data", [b"", b"  \n\t\n"])
def test_empty_file(data: bytes) -> None:
    with pytest.raises(PageError, match=r"^p.txt: file is empty$"):
        decode_page(data, source="p.txt")


def test_nul_byte_names_its_line() -> None:
    with pytest.raises(PageError, match=r"^p.txt:3: binary file: NUL byte at offset 8"):
        decode_page(b"a\nb\nxxxx\0yy", source="p.txt")


def test_invalid_utf8_names_its_line() -> None:
    with pytest.raises(PageError, match=r"^p.txt:2: not UTF-8 text: byte 0xe9 at offset 13"):
        decode_page(b"MTOR Gene\n" + "café".encode("latin-1"), source="p.txt")


def test_huge_file() -> None:
    with pytest.raises(PageError, match=r"^p.txt: file is 5242881 bytes"):
        decode_page(b"x" * (MAX_PAGE_BYTES + 1), source="p.txt")


def test_blank_text_is_refused_by_the_parser_too() -> None:
    with pytest.raises(PageError, match="file is empty"):
        parse_gene_page("\n\n", source="p.txt")


def test_line_index() -> None:
    lines = LineIndex("ab\ncd\n\nef")
    assert [lines.line_of(i) for i in (0, 2, 3, 6, 7, 8)] == [1, 1, 2, 3, 4, 4]
    assert lines.start_of(4) == 7
