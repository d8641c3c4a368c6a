"""Compare a web page's copy with the words customers use, and say what the page lacks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from analyze.questions import QuestionGroup, unanswered_questions
from analyze.terms import Term, candidate_terms
from analyze.text import guess_language, html_to_text

__all__ = [
    "PageSuggestions",
    "SuggestedTerm",
    "page_terms",
    "suggest_for_page",
    "suggestions_csv",
    "suggestions_markdown",
]

_COMPOUND_MIN = 4  # letters a word needs before "panelen" may count as found in "zonnepanelen"


@dataclass(frozen=True, slots=True)
class SuggestedTerm:
    term: Term
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {**self.term.to_dict(), "reason": self.reason}


@dataclass(frozen=True, slots=True)
class PageSuggestions:
    language: str
    coverage: int  # 0-100: score-weighted share of the customers' top terms the page uses
    missing_terms: tuple[SuggestedTerm, ...]  # customer terms the page lacks, best first
    present_terms: tuple[str, ...]  # customer terms the page already uses
    page_words: int
    questions: tuple[QuestionGroup, ...] = ()  # customer questions the page leaves open: FAQ drafts

    def to_dict(self) -> dict[str, Any]:
        return {
            "language": self.language,
            "coverage": self.coverage,
            "missing_terms": [s.to_dict() for s in self.missing_terms],
            "present_terms": list(self.present_terms),
            "page_words": self.page_words,
            "questions": [q.to_dict() for q in self.questions],
        }


def page_terms(text: str, language: str) -> tuple[int, set[str]]:
    """(content words, lemma keys of every word and word pair on the page)."""
    words, found = candidate_terms(text, language)
    return words, {key for key, _ in found}


def _on_page(lemma: str, keys: set[str], single_words: set[str]) -> bool:
    if lemma in keys:
        return True
    if " " in lemma:
        return False
    # A compound on the page covers its last part: "zonnepaneel" covers "paneel".
    return len(lemma) >= _COMPOUND_MIN and any(w.endswith(lemma) for w in single_words)


def suggest_for_page(
    page: str,
    customer_terms: Sequence[Term],
    *,
    is_html: bool = False,
    language: str | None = None,
    limit: int = 20,
    top: int = 30,
    customer_questions: Sequence[QuestionGroup] = (),
) -> PageSuggestions:
    """Rank the customers' terms a page does not use, with the evidence for each.

    `customer_terms` come from `rank_terms(..., role="customer")` (best first); only the
    `top` of them count towards coverage. `customer_questions` (from `group_questions`)
    that the page does not answer come back as FAQ drafts in the customers' phrasing.
    """
    text = html_to_text(page) if is_html else page
    language = language or guess_language(text)
    words, keys = page_terms(text, language)
    single_words = {k for k in keys if " " not in k}
    considered = list(customer_terms[:top])
    missing: list[SuggestedTerm] = []
    present: list[str] = []
    weight_present = 0.0
    for term in considered:
        if _on_page(term.lemma, keys, single_words):
            present.append(term.term)
            weight_present += term.score
            continue
        customers = term.count_by_role.get("customer", 0)
        who = f"customers said it {customers}x" if customers else f"said {term.count}x"
        spread = f" in {term.recordings} recording{'s' if term.recordings != 1 else ''}"
        missing.append(SuggestedTerm(term, f"{who}{spread}; the page never uses it"))
    total = sum(t.score for t in considered)
    coverage = round(100 * weight_present / total) if total else 0
    open_questions = unanswered_questions(customer_questions, keys, limit=limit)
    return PageSuggestions(
        language, coverage, tuple(missing[:limit]), tuple(present), words, tuple(open_questions)
    )


def suggestions_markdown(result: PageSuggestions) -> str:
    """The suggestions as Markdown, for a copywriter's brief or a ticket."""
    lines = [
        "# Customer language on this page",
        "",
        f"Coverage: **{result.coverage}/100** of the customers' top vocabulary.",
        "",
    ]
    if result.present_terms:
        lines += [f"Already on the page: {', '.join(result.present_terms)}.", ""]
    lines += ["## Customer words the page lacks", ""]
    for s in result.missing_terms:
        lines.append(f"- **{s.term.term}**: {s.reason}")
        lines += [f"  - “{q.text}”" for q in s.term.quotes[:2]]
    lines += ["", "## Questions the page does not answer (FAQ drafts)", ""]
    for g in result.questions:
        lines.append(f"- **{g.question}** (asked {g.count}× in {g.recordings} conversations)")
    return "\n".join(lines) + "\n"


def suggestions_csv(result: PageSuggestions) -> str:
    """The suggestions as CSV rows: one per missing term and per open question."""
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["kind", "text", "count", "recordings", "reason", "quote"])
    for s in result.missing_terms:
        quote = s.term.quotes[0].text if s.term.quotes else ""
        writer.writerow(
            ["missing term", s.term.term, s.term.count, s.term.recordings, s.reason, quote]
        )
    for g in result.questions:
        quote = g.quotes[0].text if g.quotes else ""
        writer.writerow(["open question", g.question, g.count, g.recordings, "", quote])
    return buffer.getvalue()
