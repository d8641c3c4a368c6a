"""Compare a web page's copy with the words customers use, and say what the page lacks."""

from __future__ import annotations

import functools
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from analyze.questions import QuestionGroup, unanswered_questions
from analyze.synonyms import (
    Replacement,
    TextEmbedder,
    embed_terms,
    replacements,
    shown_form,
    term_word_class,
)
from analyze.terms import (
    Term,
    WordClass,
    candidate_terms,
    majority_class,
    tagged_candidates,
    word_class_votes,
)
from analyze.text import (
    guess_language,
    html_to_text,
    is_noun,
    is_stop,
    part_of_speech,
    spoken_symbols,
    starts_sentence,
    unwrapped,
    without_menus,
)
from analyze.wording import ENGLISH, Wording

__all__ = [
    "PageSuggestions",
    "PageWord",
    "SuggestedTerm",
    "page_terms",
    "page_word_classes",
    "missing_reason",
    "suggest_for_page",
    "suggestions_csv",
    "suggestions_markdown",
]

_COMPOUND_MIN = 4  # letters a word needs before "panelen" may count as found in "zonnepanelen"


def missing_reason(term: Term, wording: Wording = ENGLISH) -> str:
    """Why a customer term is suggested for a page that lacks it (in `wording`'s language)."""
    gettext, ngettext = wording.gettext, wording.ngettext
    customers = term.count_by_role.get("customer", 0)
    if customers:
        who = gettext("customers said it %(n)sx") % {"n": customers}
    else:
        who = gettext("said %(n)sx") % {"n": term.count}
    spread = ngettext("%(n)s recording", "%(n)s recordings", term.recordings) % {
        "n": term.recordings
    }
    return gettext("%(who)s in %(spread)s; the page never uses it") % {
        "who": who,
        "spread": spread,
    }


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
    # The page's words customers never say, with the customers' word for the same thing.
    replacements: tuple[Replacement, ...] = ()
    # Whose words the page was compared with: "everyone" until speech is attributed to
    # customers (then salespeople's words count too).
    terms_from: str = "customer"
    # The page's uncommon words no customer said ("SCOP-waarde", "inregeling"): jargon to
    # explain or drop, whether or not customers have a word of their own for it.
    jargon: tuple[PageWord, ...] = ()
    # The language most of the compared customer terms were said in; where it is not the
    # page's, no swaps and no jargon are given (they would be translations).
    terms_language: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "language": self.language,
            "coverage": self.coverage,
            "missing_terms": [s.to_dict() for s in self.missing_terms],
            "present_terms": list(self.present_terms),
            "page_words": self.page_words,
            "questions": [q.to_dict() for q in self.questions],
            "replacements": [r.to_dict() for r in self.replacements],
            "terms_from": self.terms_from,
            "jargon": [w.to_dict() for w in self.jargon],
            "terms_language": self.terms_language,
        }


@dataclass(frozen=True, slots=True)
class PageWord:
    """A word as the page writes it, and how often it does."""

    term: str
    count: int

    def to_dict(self) -> dict[str, Any]:
        return {"term": self.term, "count": self.count}


def page_terms(text: str, language: str) -> tuple[int, set[str]]:
    """(content words, lemma keys of every word and word pair on the page)."""
    words, found = candidate_terms(text, language)
    return words, {key for key, _ in found}


def page_word_classes(found: Sequence[tuple[str, str, WordClass | None]]) -> dict[str, WordClass]:
    """Each page term's word class as the page mostly uses it (from `tagged_candidates`);
    terms used evenly as both are left out."""
    majorities = {key: majority_class(v) for key, v in word_class_votes(found).items()}
    return {key: kind for key, kind in majorities.items() if kind is not None}


def _on_page(lemma: str, keys: set[str], single_words: set[str], language: str) -> bool:
    if lemma in keys:
        return True
    if " " in lemma:
        return False
    # A compound on the page covers its last part: "zonnepaneel" covers "paneel"; in Dutch
    # also its first, where the rest is a word of its own: "zolderruimte" says "zolder".
    # English writes compounds apart or with a hyphen ("air-source"): "support" is no "port".
    if language == "nl":
        return len(lemma) >= _COMPOUND_MIN and any(
            w.endswith(lemma) or (w.startswith(lemma) and compound_of(w, lemma))
            for w in single_words
        )
    return len(lemma) >= _COMPOUND_MIN and any(w.endswith(f"-{lemma}") for w in single_words)


_LINKS = ("", "s", "e", "en")  # what Dutch puts between a compound's parts
_PART_ZIPF = 2.5  # the other part must be a word in use (wordfreq's Zipf scale)


def compound_of(compound: str, part: str) -> bool:
    """Whether a Dutch compound is `part` and another word in use: its head ("dakgoot":
    goot) or its first part ("zolderruimte": zolder, "asbestsanering": asbest)."""
    if len(part) < 3 or len(compound) < len(part) + 3 or " " in compound + part:
        return False
    if compound.endswith(part):
        rest = compound[: -len(part)]
        others = [rest.removesuffix(link) for link in _LINKS if rest.endswith(link)]
    elif compound.startswith(part):
        rest = compound[len(part) :]
        others = [rest.removeprefix(link) for link in _LINKS if rest.startswith(link)]
    else:
        return False
    from wordfreq import zipf_frequency

    return any(
        len(o) >= 3
        and zipf_frequency(o, "nl") >= _PART_ZIPF
        and not is_stop(o, "nl")  # "onderdak" is no kind of "dak"
        and _a_noun(o)  # "verzekering" no "zekering", "levering" no "ring"
        for o in others
    )


@functools.lru_cache(maxsize=4096)
def _a_noun(word: str) -> bool:
    """Whether a Dutch word alone reads as a noun (any word, without the tagger)."""
    tags = part_of_speech([word], "nl")
    return tags is None or is_noun(tags[0])


def suggest_for_page(
    page: str,
    customer_terms: Sequence[Term],
    *,
    is_html: bool = False,
    language: str | None = None,
    limit: int = 20,
    top: int = 30,
    customer_questions: Sequence[QuestionGroup] = (),
    embedder: TextEmbedder | None = None,
    customer_said: Callable[[Collection[str]], set[str]] | None = None,
) -> PageSuggestions:
    """Rank the customers' terms a page does not use, with the evidence for each.

    `customer_terms` come from `rank_terms(..., role="customer")` (best first); only the
    `top` of them count towards coverage. `customer_questions` (from `group_questions`)
    that the page does not answer come back as FAQ drafts in the customers' phrasing.
    With an `embedder`, the page's own words that customers never say come back with the
    customers' word for the same thing (`replacements`); `customer_said(keys)` tells which
    page terms customers did say at all (default: those among `customer_terms`).
    """
    text = without_menus(html_to_text(page) if is_html else unwrapped(page))
    language = language or guess_language(text)
    text = spoken_symbols(text, language)
    words, tagged = tagged_candidates(text, language)
    keys = {key for key, _, _ in tagged}
    # Only a noun compound covers its head ("zonnepanelen" covers "panelen"): a verb with a
    # prefix is no kind of its stem ("bestellen" does not say "stellen", nor "betalen" "talen").
    verbs = {key for key, kind in page_word_classes(tagged).items() if kind == "verb"}
    single_words = {k for k in keys if " " not in k and k not in verbs}
    considered = list(customer_terms[:top])
    missing: list[SuggestedTerm] = []
    present: list[str] = []
    weight_present = 0.0
    for term in considered:
        if _on_page(term.lemma, keys, single_words, language):
            present.append(term.term)
            weight_present += term.score
            continue
        missing.append(SuggestedTerm(term, missing_reason(term)))
    total = sum(t.score for t in considered)
    coverage = round(100 * weight_present / total) if total else 0
    open_questions = unanswered_questions(
        customer_questions, keys, limit=limit, language=language, page_text=text
    )
    swaps: list[Replacement] = []
    # Across languages a near-synonym is a translation ("heat pumps" for "warmtepomp"), and
    # every page word is one no customer said: no swaps and no jargon then.
    spoken = Counter(t.general_language for t in considered if t.general_language)
    terms_language = spoken.most_common(1)[0][0] if spoken else None
    same_language = terms_language in (None, language)
    if embedder is not None and same_language:
        swaps = _replacements(text, tagged, customer_terms, embedder, customer_said, language)
        swaps = swaps[:limit]
    everyone = bool(considered) and not any(t.count_by_role.get("customer", 0) for t in considered)
    # Without speech attributed to customers, the page is compared with everyone's words.
    said = (
        {t.lemma for t in customer_terms}
        if everyone
        else _customers_said(tagged, customer_terms, customer_said)
    )
    swapped = {r.page_term for r in swaps}
    jargon = (
        [
            w
            for w in _jargon(text, tagged, said, language, limit + len(swapped))
            if w[0] not in swapped
        ]
        if same_language
        else []
    )
    return PageSuggestions(
        language,
        coverage,
        tuple(missing[:limit]),
        tuple(present),
        words,
        tuple(open_questions),
        tuple(swaps),
        terms_from="everyone" if everyone else "customer",
        jargon=tuple(word for _, word in jargon[:limit]),
        terms_language=terms_language,
    )


_PAGE_TERMS_COMPARED = 60  # the page's most used terms checked against customers' words
_CUSTOMER_TERMS_COMPARED = 100


def _replacements(
    text: str,
    tagged: Sequence[tuple[str, str, WordClass | None]],
    customer_terms: Sequence[Term],
    embedder: TextEmbedder,
    customer_said: Callable[[Collection[str]], set[str]] | None,
    language: str = "nl",
) -> list[Replacement]:
    """The page's most used terms that customers never say, each with the customers' word
    that means the same (a part of a Dutch compound, else by embedding; see
    analyze/synonyms.py). Names are left out.
    `tagged`: the page's `tagged_candidates`."""
    found = [(key, surface) for key, surface, _ in tagged]
    surfaces = _surfaces(found)
    on_page = _most_used(tagged)
    said = _customers_said(tagged, customer_terms, customer_said)
    unused: list[str] = []
    for key in on_page:  # names checked only until enough terms are found: a long page
        if key not in said and not _is_name(text, surfaces[key]):  # has thousands of keys
            unused.append(key)
            if len(unused) == _PAGE_TERMS_COMPARED:
                break
    spoken = [t for t in customer_terms if t.count_by_role.get("customer", 0)]
    spoken = spoken[:_CUSTOMER_TERMS_COMPARED]
    if not unused or not spoken:
        return []
    classes = page_word_classes(tagged)
    parts = _compound_swaps(unused, spoken, classes) if language == "nl" else []
    unused = [key for key in unused if key not in {r.page_term for r in parts}]
    found_pairs = parts + replacements(
        unused,
        spoken,
        embedder.encode(unused),
        embed_terms(embedder, spoken),
        parts_embedder=embedder,
        page_classes=classes,
    )
    found_pairs.sort(key=lambda r: (-r.customer_count, -r.similarity, r.page_term))
    return [
        replace(r, page_says=_page_form(surfaces.get(r.page_term, Counter()), r.page_term))
        for r in found_pairs
    ]


def _compound_swaps(
    unused: Sequence[str], spoken: Sequence[Term], page_classes: Mapping[str, WordClass]
) -> list[Replacement]:
    """A page's Dutch compound that customers never say, where they say its head: "dakgoot"
    where they say "goot", "toetsinkomen" where they say "inkomen" (similarity 1: the same
    thing, said plainer). Not its first part: a "keukeneiland" is no kitchen, and
    "zolderruimte" already says "zolder" (`_on_page`)."""
    nouns = [t for t in spoken if " " not in t.lemma and term_word_class(t) in (None, "noun")]
    swaps = []
    for key in unused:
        if not key.isalpha() or page_classes.get(key) == "verb":  # not "in-het-oor"
            continue
        parts = [
            t
            for t in nouns
            if t.lemma != key and key.endswith(t.lemma) and compound_of(key, t.lemma)
        ]
        if parts:
            best = max(parts, key=lambda t: (len(t.lemma), t.count_by_role.get("customer", 0)))
            swaps.append(Replacement(page_term=key, customer_term=best, similarity=1.0))
    return swaps


def _most_used(tagged: Sequence[tuple[str, str, WordClass | None]]) -> list[str]:
    """The page's term keys, most used first (of three letters or more)."""
    return [key for key, _ in Counter(key for key, _, _ in tagged).most_common() if len(key) > 2]


def _customers_said(
    tagged: Sequence[tuple[str, str, WordClass | None]],
    customer_terms: Sequence[Term],
    customer_said: Callable[[Collection[str]], set[str]] | None,
) -> set[str]:
    """Which of the page's term keys customers said at all."""
    if customer_said is not None:
        return customer_said(_most_used(tagged))
    return {t.lemma for t in customer_terms if t.count_by_role.get("customer", 0)}


_JARGON_ZIPF = 3.0  # under this, a word is not everyday language (wordfreq's Zipf scale)


def _jargon(
    text: str,
    tagged: Sequence[tuple[str, str, WordClass | None]],
    said: set[str],
    language: str,
    enough: int,
) -> list[tuple[str, PageWord]]:
    """The page's words that are rare in everyday language and that no customer said, most
    used first, as (key, word): "warmteverliesberekening", "SCOP-waarde"; `enough` of them
    at most. Names (a brand, a place) and verbs are left out: a name is no jargon, and a
    verb is rarely what a reader stumbles over."""
    from wordfreq import zipf_frequency

    forms = _surfaces([(key, surface) for key, surface, _ in tagged])
    classes = page_word_classes(tagged)
    words: list[tuple[str, PageWord]] = []
    for key in _most_used(tagged):
        if " " in key or key in said or classes.get(key) == "verb":
            continue
        usual = _page_form(forms[key], key)
        if zipf_frequency(usual, language) >= _JARGON_ZIPF:  # case aside, as wordfreq is
            continue
        written = _as_written(text, usual)
        # A compound of an abbreviation and a word ("SCOP-waarde") is jargon, not a name.
        term_of_a_kind = "-" in written and written.rsplit("-", 1)[1].islower()
        if not term_of_a_kind and _is_name(text, forms[key]):
            continue
        words.append((key, PageWord(written, sum(forms[key].values()))))
        if len(words) == enough:
            break
    return words


def _as_written(text: str, surface: str) -> str:
    """`surface` as the page spells it within a sentence ("SCOP-waarde", not the lower
    case the terms are kept in); its first spelling where every use starts one."""
    words = r"\s+".join(re.escape(w) for w in surface.split())
    uses = list(re.finditer(rf"(?<!\w){words}(?!\w)", text, re.IGNORECASE))
    inside = [u.group() for u in uses if not starts_sentence(text, u.start())]
    spellings = Counter(inside or [u.group().lower() for u in uses[:1]])
    return spellings.most_common(1)[0][0] if spellings else surface


def _page_form(forms: Counter[str], key: str) -> str:
    """The page's most used way of writing a term, from its `forms` (lower case wins a tie:
    a sentence's first word is capitalised only there); `key` where it has none."""
    written = [(n, surface.islower(), surface) for surface, n in forms.items()]
    return max(written)[2] if written else key


def _surfaces(found: Sequence[tuple[str, str]]) -> dict[str, Counter[str]]:
    """Lemma key -> every form the page writes it in, with how often."""
    surfaces: dict[str, Counter[str]] = defaultdict(Counter)
    for key, surface in found:
        surfaces[key][surface] += 1
    return surfaces


def _is_name(text: str, surfaces: Collection[str]) -> bool:
    """Whether a term is a name: a brand, a product, a place ("Zonnig Dak"). A name is not a
    word customers could say differently, so it is never offered for replacement. It is one
    when every use of every form of it on the page is capitalised, and at least one use is
    neither at the start of a sentence or line nor in a Title Case heading."""
    uses: list[re.Match[str]] = []
    for surface in surfaces:
        words = r"\s+".join(re.escape(w) for w in surface.split())
        uses += re.finditer(rf"(?<!\w){words}(?!\w)", text, re.IGNORECASE)
    if not uses or not all(u.group()[0].isupper() for u in uses):
        return False
    return any(
        not starts_sentence(text, u.start()) and not _in_title(text, u.start()) for u in uses
    )


def _in_title(text: str, at: int) -> bool:
    """In a line of three or more words most of which are capitalised ("Tien Jaar Garantie
    op Elk Paneel"): capitals there say nothing about names."""
    line = text[text.rfind("\n", 0, at) + 1 : (text.find("\n", at) + 1 or len(text) + 1) - 1]
    words = re.findall(r"[^\W\d_]+", line)
    return len(words) >= 3 and sum(w[0].isupper() for w in words) >= 0.6 * len(words)


def suggestions_markdown(
    result: PageSuggestions, wording: Wording = ENGLISH, about: Sequence[str] = ()
) -> str:
    """The suggestions as Markdown, for a copywriter's brief or a ticket. `about`: lines
    that say which page and which conversations were compared (a brief read a week later
    must say what it rests on)."""
    _, ngettext = wording.gettext, wording.ngettext
    lines = [
        "# " + _("Customer language on this page"),
        "",
        *(f"{line}  " for line in about),
        _("Coverage: **%(coverage)s/100** of the customers' top vocabulary.")
        % {"coverage": result.coverage},
        "",
    ]
    if result.present_terms:
        present = ", ".join(result.present_terms)
        lines += [_("Already on the page: %(terms)s.") % {"terms": present}, ""]
    lines += ["## " + _("Customer words the page lacks"), ""]
    for s in result.missing_terms:
        reason = s.reason if wording is ENGLISH else missing_reason(s.term, wording)
        lines.append(f"- **{shown_form(s.term)}**: {reason}")
        lines += [f"  - “{q.text}”" for q in s.term.quotes[:2]]
    if result.replacements:
        lines += ["", "## " + _("Page words customers never say, and what they say instead"), ""]
        for r in result.replacements:
            quote = r.evidence
            said = _("customers said it %(n)s×") % {"n": r.customer_count}
            lines.append(f"- **{r.page_words}** → **{shown_form(r.customer_term)}** ({said})")
            if quote is not None:
                lines.append(f"  - “{quote.text}”")
    if result.jargon:
        lines += ["", "## " + _("Uncommon page words no customer said"), ""]
        lines += [f"- **{w.term}**" + (f" ({w.count}×)" * (w.count > 1)) for w in result.jargon]
    lines += ["", "## " + _("Questions the page does not answer (FAQ drafts)"), ""]
    for g in result.questions:
        asked = ngettext(
            "asked %(count)s× in %(n)s conversation",
            "asked %(count)s× in %(n)s conversations",
            g.recordings,
        ) % {"count": g.count, "n": g.recordings}
        lines.append(f"- **{g.question}** ({asked})")
    return "\n".join(lines) + "\n"


def suggestions_csv(result: PageSuggestions) -> str:
    """The suggestions as CSV rows: one per missing term, open question, replacement and
    jargon word."""
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["kind", "text", "count", "recordings", "reason", "quote"])
    for s in result.missing_terms:
        quote = s.term.quotes[0].text if s.term.quotes else ""
        row = ["missing term", s.term.term, s.term.count, s.term.recordings, s.reason, quote]
        writer.writerow([csv_safe(v) for v in row])
    for g in result.questions:
        quote = g.other_phrasings[0].text if g.other_phrasings else ""
        row = ["open question", g.question, g.count, g.recordings, "", quote]
        writer.writerow([csv_safe(v) for v in row])
    for r in result.replacements:
        evidence = r.evidence
        reason = f"the page says '{r.page_words}'; customers say '{r.customer_term.term}'"
        row = ["replace", r.customer_term.term, r.customer_count,
               r.customer_term.recordings, reason, evidence.text if evidence else ""]  # fmt: skip
        writer.writerow([csv_safe(v) for v in row])
    for w in result.jargon:
        row = ["jargon", w.term, w.count, "", "uncommon on the page; no customer said it", ""]
        writer.writerow([csv_safe(v) for v in row])
    return buffer.getvalue()


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # OWASP's list for CSV injection


def formula_like(text: str) -> bool:
    """Whether a spreadsheet could take this text for a formula (it starts like one)."""
    return text.startswith(_FORMULA_STARTS)


def csv_safe(value: object) -> object:
    """A CSV cell that no spreadsheet runs as a formula: text that starts like one gets a
    leading single quote (OWASP's advice for CSV injection); numbers stay as they are."""
    if isinstance(value, str) and formula_like(value):
        return "'" + value
    return value
