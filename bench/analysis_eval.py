"""The analysis against a held-out, hand-labelled set: terms, questions and page suggestions.

`bench/heldout/` holds eight role-tagged conversations in domains ridealong's own samples and
benchmarks do not cover (kitchens, hearing aids, office cleaning, e-bikes, Flemish windows, a
stairlift, an English removal, a code-switched gym), written with their labels by a reviewer
who did not read the code, and five company pages for five of them. Each conversation's
`_expected.json` lists the customer terms a marketer wants in the top 20 (`expected`), those
not wrong to show (`acceptable`) and `junk`; every real customer question; and sentences that
are no questions. Each page's lists what it already says, the page-to-customer swaps a
copywriter would make, and which customer questions it answers.

    python -m bench.analysis_eval [--no-pages]

Prints a Markdown table: customer terms P@20 (wanted; wanted or acceptable) and junk per
20; question recall and precision; and per page the share of truly unanswered questions it
reports, the answered ones it reports anyway, and how many suggested swaps are right.
"""

from __future__ import annotations

import argparse
import json
import re
import time
from pathlib import Path
from typing import Any

from analyze import count_terms, group_questions, rank_terms, suggest_for_page
from analyze.terms import RecordingTerms, utterances_from_text

HELDOUT = Path(__file__).parent / "heldout"
# The names an enrolled salesperson or an entered customer would give each conversation.
PEOPLE = {
    "keuken_renovatie": ("nl", ["Sandra Mulder", "Ilse de Wit"]),
    "hoortoestel_audicien": ("nl", ["Hans Verbeek"]),
    "schoonmaak_b2b": ("nl", ["Jeroen Bakker", "Fatima El Amrani"]),
    "ebike_winkel": ("nl", []),
    "ramen_vlaanderen": ("nl", ["Koen Vandamme"]),
    "traplift": ("nl", ["Petra Huijts", "Janssen"]),
    "moving_en": ("en", ["Tom Wright", "Rachel Cohen"]),
    "sportschool_mixed": ("nl", []),
}
PAGES = {
    "keuken_renovatie": "keuken_vandijk",
    "hoortoestel_audicien": "hoorcentrum",
    "ramen_vlaanderen": "kozijnen_nl",
    "ebike_winkel": "ebike_fietsplezier",
    "moving_en": "movers_en",
}


def _norm(text: str) -> str:
    return re.sub(r"[\s\-]", "", text.lower())


def _said_in(text: str, asked: str) -> bool:
    """A found sentence is the labelled one: one holds the other (the label is a part)."""
    found, label = " ".join(text.lower().split()), " ".join(asked.lower().split())
    return label in found or (len(found) > 12 and found in label)


def conversation(name: str) -> tuple[dict[str, Any], RecordingTerms]:
    expected = json.loads((HELDOUT / f"{name}_expected.json").read_text(encoding="utf-8"))
    language, people = PEOPLE[name]
    script = (HELDOUT / f"{name}.txt").read_text(encoding="utf-8")
    analysed = count_terms(utterances_from_text(script, name, language), name, people=people)
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


def page(name: str, analysed: RecordingTerms, embedder: Any) -> dict[str, Any]:
    expected = json.loads((HELDOUT / "pages" / f"{name}_expected.json").read_text("utf-8"))
    html = (HELDOUT / "pages" / f"{name}.html").read_text(encoding="utf-8")
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
    args = parser.parse_args()
    embedder = None
    if not args.no_pages:
        from analyze.synonyms import default_embedder

        embedder = default_embedder()
    began = time.perf_counter()
    print(f"Held-out analysis set, {time.strftime('%Y-%m-%d')}\n")
    print("| conversation | P@20 wanted | P@20 wanted or ok | junk in 20 | questions R / P |")
    print("|---|---|---|---|---|")
    scores, pages = [], []
    for name in PEOPLE:
        score, analysed = conversation(name)
        scores.append(score)
        print(
            f"| {name} | {score['wanted']:.2f} | {score['shown_ok']:.2f} | {score['junk']} "
            f"| {score['recall']:.2f} / {score['precision']:.2f} |"
        )
        if embedder is not None and name in PAGES:
            pages.append((PAGES[name], page(PAGES[name], analysed, embedder)))
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
