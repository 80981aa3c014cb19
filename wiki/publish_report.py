"""What publishing reports: per page, and for a whole run."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PagePublish:
    """What publishing did to one page."""

    name: str
    gene_symbol: str | None
    # A new revision was recorded: the page now differs from its previous revision.
    changed: bool
    # The store's file was written (a change, or the first copy of an imported page).
    written: bool
    # The page's newest revision after this publish; None when hyposcore never changed it.
    revision: int | None
    hypotheses: tuple[str, ...]
    # Hypotheses linked on the page that have no score snapshot: left as the page shows them.
    unscored: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()
    failed: bool = False
    # Failed because ``import page`` would refuse the page (e.g. its ids contradict the stored
    # gene's): such a page is never edited.
    refused: bool = False


@dataclass(frozen=True)
class PublishReport:
    pages: tuple[PagePublish, ...]
    badges_written: int = 0

    @property
    def changed(self) -> int:
        return sum(1 for page in self.pages if page.changed and not page.failed)

    @property
    def failed(self) -> int:
        return sum(1 for page in self.pages if page.failed)

    @property
    def refused(self) -> int:
        return sum(1 for page in self.pages if page.refused)

    @property
    def unchanged(self) -> int:
        return len(self.pages) - self.changed - self.failed

    def summary(self) -> str:
        """One line for logs and the CLI, e.g. "pages changed: 1, unchanged: 16999, failed: 0"."""
        refused = f" (refused: {self.refused})" if self.refused else ""
        return (
            f"pages changed: {self.changed}, unchanged: {self.unchanged}, "
            f"failed: {self.failed}{refused}; badges written: {self.badges_written}"
        )
