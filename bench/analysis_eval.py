"""The analysis against a held-out, hand-labelled set: terms, questions and page suggestions.

`bench/heldout/` holds eight role-tagged conversations in domains ridealong's own samples and
benchmarks do not cover (kitchens, hearing aids, office cleaning, e-bikes, Flemish windows, a
stairlift, an English removal, a code-switched gym), written with their labels by a reviewer
who did not read the code, and five company pages for five of them. Each conversation's
`_expected.json` lists the customer terms a marketer wants in the top 20 (`expected`), those
not wrong to show (`acceptable`) and `junk`; every real customer question; and sentences that
are no questions. Each page's lists what it already says, the page-to-customer swaps a
copywriter would make, and which customer questions it answers.

    python -m bench.analysis_eval [--no-pages] [--set FOLDER]

Prints a Markdown table: customer terms P@20 (wanted; wanted or acceptable) and junk per
20; question recall and precision; and per page the share of truly unanswered questions it
reports, the answered ones it reports anyway, and how many suggested swaps are right.
"""

from __future__ import annotations

import argparse
import json
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analyze import count_terms, group_questions, rank_terms, suggest_for_page
from analyze.terms import RecordingTerms, utterances_from_text

HELDOUT = Path(__file__).parent / "heldout"


@dataclass(frozen=True)
class Conversation:
    """One labelled conversation of a set, as its `set.json` describes it."""

    name: str
    language: str
    people: list[str]  # the names an enrolled salesperson or an entered customer would give
    page: str | None  # pages/{page}.html is compared with it


def conversations_of(folder: Path) -> list[Conversation]:
    described = json.loads((folder / "set.json").read_text(encoding="utf-8"))["conversations"]
    return [
        Conversation(name, c["language"], list(c.get("people", [])), c.get("page"))
        for name, c in described.items()
    ]


def _norm(text: str) -> str:
    return re.sub(r"[\s\-]", "", text.lower())


def _said_in(text: str, asked: str) -> bool:
    """A found sentence is the labelled one: one holds the other (the label is a part)."""
    found, label = " ".join(text.lower().split()), " ".join(asked.lower().split())
    return label in found or (len(found) > 12 and found in label)


def conversation(folder: Path, c: Conversation) -> tuple[dict[str, Any], RecordingTerms]:
    expected = json.loads((folder / f"{c.name}_expected.json").read_text(encoding="utf-8"))
    script = (folder / f"{c.name}.txt").read_text(encoding="utf-8")
    utterances = utterances_from_text(script, c.name, c.language)
    analysed = count_terms(utterances, c.name, people=c.people)
    top = rank_terms([analysed], role="customer", limit=20)
    labelled = expected["terms"]
    kinds = []
    for term in top:
        said = {_norm(term.lemma), _norm(term.term)}
        kinds.append(
            next((k for k in labelled if k != "_about" and said & set(map(_norm, labelled[k]))), "")
        )
    asked = [q for q in analysed.questions if q.role == "customer"]
    real = [q["asked"] for q in expected["questions"] if q.get("faq")]
    known = [q["asked"] for q in expected["questions"] + expected.get("fragments", [])]
    return {
        "wanted": kinds.count("expected") / 20,
        "shown_ok": sum(k in ("expected", "acceptable") for k in kinds) / 20,
        "junk": kinds.count("junk"),
        "recall": sum(any(_said_in(q.text, a) for q in asked) for a in real) / len(real),
        "precision": sum(any(_said_in(q.text, a) for a in known) for q in asked)
        / max(len(asked), 1),
    }, analysed


def page(folder: Path, name: str, analysed: RecordingTerms, embedder: Any) -> dict[str, Any]:
    expected = json.loads((folder / "pages" / f"{name}_expected.json").read_text("utf-8"))
    html = (folder / "pages" / f"{name}.html").read_text(encoding="utf-8")
    terms = rank_terms([analysed], role="customer", limit=100)
    groups = group_questions([q for q in analysed.questions if q.role == "customer"])
    result = suggest_for_page(
        html, terms, is_html=True, limit=200, customer_questions=groups, embedder=embedder
    )
    open_ones = [q.text for g in result.questions for q in g.quotes]
    right = {(_norm(a), _norm(b)) for a, b in expected["replace"]}
    swaps = [
        (_norm(r.page_term), _norm(r.customer_term.lemma), _norm(r.customer_term.term))
        for r in result.replacements[:20]
    ]
    return {
        "unanswered": sum(any(_said_in(q, a) for q in open_ones) for a in expected["unanswered"])
        / len(expected["unanswered"]),
        "answered_flagged": sum(
            any(_said_in(q, a) for q in open_ones) for a in expected["answered"]
        ),
        "swaps_right": sum((p, c) in right or (p, t) in right for p, c, t in swaps),
        "swaps": len(swaps),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-pages", action="store_true", help="skip the page comparison")
    parser.add_argument(
        "--set", type=Path, default=HELDOUT, help="a folder with set.json (default: bench/heldout)"
    )
    args = parser.parse_args()
    embedder = None
    if not args.no_pages:
        from analyze.synonyms import default_embedder

        embedder = default_embedder()
    began = time.perf_counter()
    print(f"Held-out analysis set {args.set.name}, {time.strftime('%Y-%m-%d')}\n")
    print("| conversation | P@20 wanted | P@20 wanted or ok | junk in 20 | questions R / P |")
    print("|---|---|---|---|---|")
    scores, pages = [], []
    for c in conversations_of(args.set):
        score, analysed = conversation(args.set, c)
        scores.append(score)
        print(
            f"| {c.name} | {score['wanted']:.2f} | {score['shown_ok']:.2f} | {score['junk']} "
            f"| {score['recall']:.2f} / {score['precision']:.2f} |"
        )
        if embedder is not None and c.page:
            pages.append((c.page, page(args.set, c.page, analysed, embedder)))
    n = len(scores)
    print(
        f"| **mean** | **{sum(s['wanted'] for s in scores) / n:.2f}** "
        f"| **{sum(s['shown_ok'] for s in scores) / n:.2f}** "
        f"| **{sum(s['junk'] for s in scores) / n:.1f}** "
        f"| **{sum(s['recall'] for s in scores) / n:.2f} / "
        f"{sum(s['precision'] for s in scores) / n:.2f}** |"
    )
    if pages:
        print("\n| page | unanswered found | answered but reported | swaps right / shown |")
        print("|---|---|---|---|")
        for name, p in pages:
            print(
                f"| {name} | {p['unanswered']:.2f} | {p['answered_flagged']} "
                f"| {p['swaps_right']} / {p['swaps']} |"
            )
        print(
            f"| **all** | **{sum(p['unanswered'] for _, p in pages) / len(pages):.2f}** "
            f"| **{sum(p['answered_flagged'] for _, p in pages)}** "
            f"| **{sum(p['swaps_right'] for _, p in pages)} / {sum(p['swaps'] for _, p in pages)}**"
            " |"
        )
    print(f"\n{time.perf_counter() - began:.0f} s")


if __name__ == "__main__":
    main()
