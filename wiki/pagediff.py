"""A unified diff between two versions of a page. Pure: text in, text out."""

from __future__ import annotations

import difflib


def page_diff(old: str, new: str, *, from_label: str, to_label: str, context: int = 3) -> str:
    """The unified diff of ``old`` → ``new`` ("" when they are equal).

    Lines are compared with their endings, so a CRLF → LF change shows; a last line without a
    newline gets one in the output, marked the way ``diff`` does.
    """
    lines = difflib.unified_diff(
        old.splitlines(keepends=True),
        new.splitlines(keepends=True),
        fromfile=from_label,
        tofile=to_label,
        n=context,
    )
    out = []
    for line in lines:
        if line.endswith("\n"):
            out.append(line)
        else:
            out.append(line + "\n\\ No newline at end of file\n")
    return "".join(out)
