import pytest

from analyze import Utterance, count_terms, html_to_text, rank_terms, suggest_for_page
from analyze.terms import candidate_terms
from analyze.text import unwrapped

CALL = [
    Utterance("r1", "Wat is de terugverdientijd van zonnepanelen?", "customer", 1.0, 3.0),
    Utterance("r1", "En wat is de terugverdientijd met een thuisbatterij?", "customer", 4.0, 6.0),
    Utterance("r1", "Geeft u garantie op lekkage?", "customer", 7.0, 9.0),
    Utterance("r1", "Ons rendement is uitstekend.", "salesperson", 10.0, 12.0),
]


def _customer_terms():
    return rank_terms([count_terms(CALL, "r1")], role="customer")


def test_missing_customer_terms_come_with_evidence() -> None:
    page = "Zonnepanelen met het hoogste rendement. Vraag vandaag een offerte aan!"
    result = suggest_for_page(page, _customer_terms())
    missing = {s.term.lemma: s for s in result.missing_terms}
    assert "terugverdientijd" in missing
    assert missing["terugverdientijd"].term.quotes[0].text.startswith("Wat is de terugverdientijd")
    assert "customers said it 2x" in missing["terugverdientijd"].reason
    assert "zonnepanelen" in result.present_terms
    assert "rendement" not in missing  # a salesperson's word is not a customer suggestion
    assert 0 < result.coverage < 100


def test_html_is_read_as_visible_text() -> None:
    html = (
        "<html><head><title>t</title><style>.terugverdientijd{}</style></head><body>"
        "<script>var thuisbatterij = 1;</script><h1>Snelle terugverdientijd</h1>"
        "<p>Garantie op lekkage.</p></body></html>"
    )
    assert "thuisbatterij" not in html_to_text(html)
    result = suggest_for_page(html, _customer_terms(), is_html=True)
    assert "terugverdientijd" in result.present_terms
    assert "thuisbatterij" in {s.term.lemma for s in result.missing_terms}


def test_the_title_and_description_search_results_show_are_page_copy() -> None:
    html = (
        "<html><head><title>Thuisbatterij kopen</title>"
        '<meta name="description" content="Snelle terugverdientijd, ook met lekkage-garantie.">'
        "<style>.x{}</style></head><body><svg><title>icoon</title></svg><p>Welkom.</p>"
        "</body></html>"
    )
    text = html_to_text(html)
    assert text.splitlines() == [
        "Thuisbatterij kopen",
        "Snelle terugverdientijd, ook met lekkage-garantie.",
        "Welkom.",
    ]
    result = suggest_for_page(html, _customer_terms(), is_html=True)
    assert {"terugverdientijd", "thuisbatterij"} <= set(result.present_terms)
    unclosed = "<html><head><title>Accu</title><body><p>Garantie op lekkage.</p></body></html>"
    assert html_to_text(unclosed).splitlines() == ["Accu", "Garantie op lekkage."]


def test_a_compound_on_the_page_covers_its_head_word() -> None:
    utts = [Utterance("r1", "Hoeveel panelen passen er?", "customer", 0.0, 1.0)]
    terms = rank_terms([count_terms(utts, "r1")], role="customer")
    assert "paneel" in {t.lemma for t in terms}
    result = suggest_for_page("Onze zonnepanelen.", terms)
    assert "paneel" not in {s.term.lemma for s in result.missing_terms}
    assert "panelen" in result.present_terms


def test_a_verb_with_a_prefix_does_not_cover_its_stem() -> None:
    """ "bestelt" on the page does not say the customer's "gesteld" (stellen), nor does
    "betalen" say "talen": a prefixed verb is no compound of its stem."""
    utts = [Utterance("r1", "Dat wordt zeer op prijs gesteld.", "customer", 0.0, 1.0)]
    terms = rank_terms([count_terms(utts, "r1")], role="customer")
    assert "stellen" in {t.lemma for t in terms}
    result = suggest_for_page("Met ons pakket bestelt u eenvoudig online.", terms)
    assert "stellen" in {s.term.lemma for s in result.missing_terms}
    assert result.present_terms == ()


def test_page_words_customers_never_say_get_the_customers_word() -> None:
    """With an embedder, a page word no customer said comes back with the customers' word
    for the same thing, and a customer quote as evidence."""
    import zlib

    import numpy as np

    from analyze.suggest import suggestions_csv, suggestions_markdown

    meaning = {"prijsopgave": "quote", "offerte": "quote", "tarief": "price", "prijs": "price"}

    class Space:  # a word's vector: its meaning's direction, else a direction of its own
        def encode(self, texts):
            rows = []
            for text in texts:
                seed = zlib.crc32(meaning.get(text, text).encode())
                v = np.random.default_rng(seed).normal(size=64)
                v += 0.1 * np.random.default_rng(zlib.crc32(text.encode())).normal(size=64)
                rows.append(v / np.linalg.norm(v))
            return np.asarray(rows, dtype=np.float32)

    call = [
        Utterance("r1", "Kunt u mij een offerte sturen?", "customer", 1.0, 3.0),
        Utterance("r1", "Die offerte wil ik voor vrijdag.", "customer", 4.0, 6.0),
        Utterance("r1", "Wat is de prijs per paneel?", "customer", 7.0, 9.0),
        *[Utterance("r1", f"Ik vroeg naar {w}.", "customer", 10.0, 11.0)
          for w in ("garantie", "levertijd", "montage", "omvormer", "dak", "stroom", "buren")],
    ]  # fmt: skip
    terms = rank_terms([count_terms(call, "r1")], role="customer")
    page = "Vraag een prijsopgave aan. Onze prijsopgave is gratis. Het tarief is scherp."
    result = suggest_for_page(page, terms, embedder=Space())
    swaps = {r.page_term: r for r in result.replacements}
    assert swaps["prijsopgave"].customer_term.lemma == "offerte"
    assert swaps["prijsopgave"].customer_count == 2
    assert swaps["prijsopgave"].evidence.text == "Kunt u mij een offerte sturen?"
    assert "offerte" not in swaps  # customers' own words are never "replaced"
    assert "prijsopgave" in suggestions_markdown(result)
    assert "replace,offerte,2" in suggestions_csv(result)
    assert suggest_for_page(page, terms).replacements == ()  # no embedder, no guesses
    # Shown as the page writes it, so it can be found there; the lemma key stays beside it.
    plural = "Bekijk de tarieven. Tarieven zijn scherp. Alle tarieven online."
    (swap,) = suggest_for_page(plural, terms, embedder=Space()).replacements
    assert (swap.page_term, swap.page_says, swap.customer_term.lemma) == (
        "tarief", "tarieven", "prijs"
    )  # fmt: skip
    assert swap.to_dict()["page_says"] == "tarieven"


def test_a_brand_on_the_page_is_never_offered_for_replacement() -> None:
    """ "Zonnig Dak" is the company's name: an embedder may find it close to "zonnepanelen",
    but customers cannot be quoted saying the brand differently."""
    import zlib

    import numpy as np

    from analyze.suggest import _is_name, _surfaces

    def _names(text: str, found) -> set[str]:
        return {key for key, forms in _surfaces(found).items() if _is_name(text, forms)}

    meaning = {"zonnig dak": "solar", "zonnepaneel": "solar", "leaseconstructie": "rent",
               "huur": "rent"}  # fmt: skip

    class Space:  # a word's vector: its meaning's direction, else a direction of its own
        def encode(self, texts):
            rows = []
            for text in texts:
                v = np.random.default_rng(zlib.crc32(meaning.get(text, text).encode())).normal(
                    size=64
                )
                v += 0.1 * np.random.default_rng(zlib.crc32(text.encode())).normal(size=64)
                rows.append(v / np.linalg.norm(v))
            return np.asarray(rows, dtype=np.float32)

    said = ["zonnepanelen", "zonnepanelen", "huur", "huur", "garantie", "levertijd",
            "montage", "omvormer", "stroom", "buren"]  # fmt: skip
    call = [
        Utterance("r1", f"Ik vraag naar de {w}.", "customer", i, i + 1.0)
        for i, w in enumerate(said)
    ]
    terms = rank_terms([count_terms(call, "r1")], role="customer")
    page = (
        "Zonnig Dak\nLeasen bij Zonnig Dak is eenvoudig. Met Zonnig Dak betaalt u per maand.\n"
        "Onze leaseconstructie is flexibel. De leaseconstructie past bij elk huis."
    )
    swaps = {r.page_term for r in suggest_for_page(page, terms, embedder=Space()).replacements}
    assert "leaseconstructie" in swaps  # an ordinary page word still can be
    assert "zonnig dak" not in swaps
    _, found = candidate_terms(page, "nl")
    assert "zonnig dak" in _names(page, found)
    assert not {"leaseconstructie", "lease", "leasen", "huis"} & _names(page, found)
    for ordinary, words in (
        ("Dak en gevel. Het dak lekt.", {"dak"}),  # capitalised only where a sentence starts
        ("Wij geven Tien Jaar Garantie op Elk Paneel\nLees de voorwaarden.",  # Title Case line
         {"garantie", "jaar", "paneel"}),
        ("Zonnig Dak Installaties levert. De installatie duurt kort. Een installatie is snel.",
         {"installatie"}),  # once in a name, twice in lower case
    ):  # fmt: skip
        assert not words & _names(ordinary, candidate_terms(ordinary, "nl")[1]), ordinary
    # a brand wrapped over two lines of pasted text (an e-mail's) is the brand still
    wrapped = unwrapped(
        "Voor advies over zonnepanelen, een thuisbatterij of een laadpaal bel je Zonnig\n"
        "Dak voor een afspraak."
    )
    assert "zonnig dak" in _names(wrapped, candidate_terms(wrapped, "nl")[1])


def test_the_markdown_brief_names_words_as_the_page_shows_them() -> None:
    """A verb by its infinitive ("kosten" where customers said "kost"), as on the page."""
    from analyze.suggest import suggestions_markdown

    call = [
        Utterance("r1", f"Wat kost {thing} eigenlijk?", "customer", 2.0 * i, 2.0 * i + 1.5)
        for i, thing in enumerate(("een warmtepomp", "de installatie", "het onderhoud") * 2)
    ]
    terms = rank_terms([count_terms(call, "r1")], role="customer")
    result = suggest_for_page("Onze warmtepompen zijn stil en zuinig.", terms)
    assert any(s.term.term == "kost" for s in result.missing_terms), result.missing_terms
    brief = suggestions_markdown(result)
    assert "- **kosten**:" in brief and "- **kost**:" not in brief


def test_a_page_writing_euro_signs_and_percentages_says_what_customers_say() -> None:
    """Copy writes "€ 50 per maand" and "21%"; customers say "euro per maand" and
    "procent": the page uses their words."""
    call = [
        Utterance("r1", f"Dus {n} euro per maand, en {n} procent korting?", "customer", i, i + 1)
        for i, n in enumerate((50, 60, 70))
    ]
    terms = rank_terms([count_terms(call, "r1")], role="customer")
    symbols = {t.term for t in terms if "euro" in t.term or "procent" in t.term}
    assert {"euro per maand", "procent korting"} <= symbols, symbols
    written = "Vanaf € 50 per maand, of €1.200,- ineens. Nu 21% korting."
    result = suggest_for_page(written, terms)
    assert symbols <= set(result.present_terms), result.present_terms
    assert suggest_for_page("Vanaf 50 per maand.", terms).present_terms == ()


def test_a_pages_menu_and_footer_are_not_its_copy() -> None:
    html = (
        "<html><body><nav><a href='/'>Home</a> <a href='/thuisbatterij'>Thuisbatterij</a>"
        "<img src='o.png' alt='Offerte aanvragen'></nav>"
        "<main><p>Zonnepanelen op uw dak.</p></main>"
        "<footer>Thuisbatterij · Contact · Privacy</footer></body></html>"
    )
    text = html_to_text(html)
    assert "Zonnepanelen" in text and "Thuisbatterij" not in text and "Home" not in text
    assert "Offerte" not in text  # nor a menu's image


def test_a_menu_line_pasted_with_the_copy_is_not_copy() -> None:
    """Text selected in the browser brings the menu along ("Home | Zonnepanelen | …"); a
    line of short items between bars or arrows goes, a list of selling points stays."""
    from analyze.text import without_menus

    pasted = (
        "Home | Zonnepanelen | Thuisbatterij | Contact\n"
        "Home › Warmtepompen › Hybride\n"
        "Gratis advies | Tien jaar garantie op elk paneel, ook op de omvormer. | Snel\n"
        "Zonnepanelen op uw dak."
    )
    assert without_menus(pasted).splitlines() == [
        "Gratis advies | Tien jaar garantie op elk paneel, ook op de omvormer. | Snel",
        "Zonnepanelen op uw dak.",
    ]
    result = suggest_for_page(pasted, _customer_terms())
    assert "thuisbatterij" in {s.term.lemma for s in result.missing_terms}  # menu only


def test_uncommon_page_words_no_customer_said_are_named_as_jargon() -> None:
    """The page's rare words customers never used are listed as the page spells them
    ("SCOP-waarde"), without everyday words, the brand, or words customers did say."""
    page = (
        "Met een warmtepomp van ZonWarmte verwarmt u uw woning. Wij doen de complete "
        "installatie, van warmteverliesberekening tot inregeling. De SCOP-waarde is hoog. "
        "Bij ZonWarmte is de terugverdientijd kort. Een warmteverliesberekening is gratis."
    )
    result = suggest_for_page(page, _customer_terms())
    jargon = [(w.term, w.count) for w in result.jargon]
    assert jargon[0] == ("warmteverliesberekening", 2)
    assert {"inregeling", "SCOP-waarde"} <= {term for term, _ in jargon}
    said_or_common = {"terugverdientijd", "woning", "installatie", "zonwarmte", "ZonWarmte"}
    assert not said_or_common & {term for term, _ in jargon}
    assert result.to_dict()["jargon"][0] == {"term": "warmteverliesberekening", "count": 2}
    from analyze.suggest import suggestions_csv, suggestions_markdown

    assert "- **SCOP-waarde**" in suggestions_markdown(result)
    assert "jargon,inregeling,1" in suggestions_csv(result)


def test_a_bar_of_selling_points_is_copy_and_jargon_needs_nobody_to_have_said_it() -> None:
    """ "Gratis offerte | 25 jaar garantie | Erkend installateur" is the page's own copy;
    with no speech attributed to customers, words anybody said are no jargon."""
    bar = "Gratis offerte | 25 jaar garantie | Erkend installateur\nDe inregeling is gratis."
    result = suggest_for_page(bar, _customer_terms())
    assert "garantie" in " ".join(result.present_terms) or "jaar garantie" not in {
        s.term.lemma for s in result.missing_terms
    }
    from analyze.text import without_menus

    assert without_menus(bar) == bar
    anybody = [Utterance("r1", "De inregeling en de inregeling, eh.", "unknown", 0.0, 2.0)]
    terms = rank_terms([count_terms(anybody, "r1")])
    result = suggest_for_page("Wij doen de inregeling.", terms)
    assert result.terms_from == "everyone" and result.jargon == ()


def test_a_page_in_another_language_than_the_calls_gets_no_swaps_and_no_jargon() -> None:
    """Across languages a near-synonym is a translation and every page word is one no
    customer said: comparing a Dutch call with an English page offers neither."""

    import zlib

    import numpy as np

    meaning = {"prijsopgave": "battery", "quotation": "battery", "thuisbatterij": "battery"}

    class Space:  # a word's vector: its meaning's direction, else a direction of its own
        def encode(self, texts):
            rows = []
            for text in texts:
                v = np.random.default_rng(zlib.crc32(meaning.get(text, text).encode()))
                rows.append(v.normal(size=64))
            return np.asarray([r / np.linalg.norm(r) for r in rows], dtype=np.float32)

    english = (
        "Our heat pumps come with a warranty. Heat pump installation takes one day. "
        "Ask for a quotation; a thermodynamic assessment is included."
    )
    dutch = (
        "Onze warmtepompen hebben garantie. De installatie duurt een dag. Vraag een "
        "prijsopgave aan; een warmteverliesberekening hoort erbij."
    )
    terms = _customer_terms()
    assert {t.general_language for t in terms} == {"nl"}
    across = suggest_for_page(english, terms, embedder=Space())
    assert (across.language, across.replacements, across.jargon) == ("en", (), ())
    same = suggest_for_page(dutch, terms, embedder=Space())
    assert same.replacements and same.jargon  # the same page in the calls' language has both


def test_a_page_compound_gets_the_customers_plainer_head_word() -> None:
    """Customers say "goot" where the page says "dakgoot": a swap with no embedder's
    help. A compound's first part is no such word: a "keukeneiland" is no kitchen."""
    said = ["goot", "goot", "keuken", "keuken", "lekkage"]
    call = [
        Utterance("r1", f"Het gaat om de {w}.", "customer", i, i + 1.0) for i, w in enumerate(said)
    ]
    terms = rank_terms([count_terms(call, "r1")], role="customer")

    class Unrelated:  # no two words alike: only the compound rule can pair them
        def encode(self, texts):
            import numpy as np

            return np.eye(len(texts), 64, dtype=np.float32)

    page = "Wij vervangen uw dakgoot. Ook een nieuw keukeneiland en een onderdak plaatsen wij."
    result = suggest_for_page(page, terms, embedder=Unrelated())
    swaps = {(r.page_term, r.customer_term.lemma) for r in result.replacements}
    assert ("dakgoot", "goot") in swaps
    assert not any(page == "keukeneiland" for page, _ in swaps)


def test_a_compound_on_the_page_covers_its_first_part_too() -> None:
    """ "zolderruimte" says "zolder": no need to add it, as "zolderraam" says "raam" (its
    head). Letters that only look like a first part are none: "kastanje" says no "kast"."""
    said = ["zolder", "zolder", "raam", "kast"]
    call = [
        Utterance("r1", f"Het gaat om de {w}.", "customer", i, i + 1.0) for i, w in enumerate(said)
    ]
    terms = rank_terms([count_terms(call, "r1")], role="customer")
    page = "De zolderruimte krijgt een zolderraam, met uitzicht op de kastanje."
    result = suggest_for_page(page, terms)
    missing = {s.term.lemma for s in result.missing_terms}
    assert "zolder" not in missing and "raam" not in missing
    assert "kast" in missing


@pytest.mark.parametrize(
    ("compound", "part", "is_part"),
    [
        ("dakgoot", "goot", True),
        ("zolderruimte", "zolder", True),
        ("verzekering", "zekering", False),  # "ver" is a prefix, no noun
        ("levering", "ring", False),
        ("onderdak", "dak", False),  # "onder" is a preposition
        ("garantie", "antie", False),
    ],
)
def test_a_compound_is_made_of_two_nouns(compound: str, part: str, is_part: bool) -> None:
    from analyze.suggest import compound_of

    assert compound_of(compound, part) is is_part


def test_pasted_lines_join_by_their_own_length() -> None:
    """A wrapped paragraph runs on; the short heading after it does not."""
    text = unwrapped(
        "Wij leggen zonnepanelen op elk dak in de\nregio, snel en netjes\nOnze prijzen\n"
        "Vanaf 4000 euro."
    )
    assert text.splitlines() == [
        "Wij leggen zonnepanelen op elk dak in de regio, snel en netjes",
        "Onze prijzen",
        "Vanaf 4000 euro.",
    ]
