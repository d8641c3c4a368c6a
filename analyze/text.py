"""Tokens, lemmas and stop words for Dutch and English speech.

spaCy's rule-based tokenizer (no trained pipeline is needed, and none for Dutch ships on
PyPI) splits the text; simplemma's lookup tables give lemmas, so that "offertes" and
"offerte" count as one term. Stop words are spaCy's lists plus the fillers of speech.
"""

from __future__ import annotations

import re
import threading
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from spacy.language import Language

__all__ = [
    "starts_sentence",
    "MAX_WORD_CHARS",
    "SUPPORTED_LANGUAGES",
    "Token",
    "guess_language",
    "html_to_text",
    "is_noun",
    "is_stop",
    "known_as_name",
    "looks_like_html",
    "normalise_language",
    "proper_nouns",
    "tokenize",
    "without_menus",
]

SUPPORTED_LANGUAGES = ("nl", "en")

# Spoken fillers, hedges and back-channel words that are never a term a marketer wants.
_FILLERS = {
    "nl": {
        # sounds and backchannels: "haha", "pff", "tja", "klopt" (for "that's right")
        "haha",
        "hahaha",
        "ah",
        "oh",
        "och",
        "ach",
        "pff",
        "poeh",
        "tja",
        "klopt",
        "eh",
        "ehm",
        "euh",
        "uh",
        "uhm",
        "um",
        "hm",
        "hmm",
        "mm",
        "mhm",
        "nou",
        "ja",
        "jaja",
        "nee",
        "neen",
        "jawel",
        "oké",
        "oke",
        "ok",
        "okay",
        "hè",
        "he",
        "hoor",
        "joh",
        "toch",
        "zeg",
        "gewoon",
        "eigenlijk",
        "echt",
        "best",
        "soort",
        "zo'n",
        "zoiets",
        "dinges",
        "enzo",
        "ofzo",
        "dus",
        "inderdaad",
        "precies",
        "goed",
        "prima",
        "natuurlijk",
        "even",
        "wel",
        "heel",
        "helemaal",
        "beetje",
        "allemaal",
        "iets",
        "mevrouw",
        "meneer",
        "allee",
        "awel",
        "ge",
        "gij",
        "gulle",
        "gullie",
        "da",
        "ne",
        # Flemish verbs with "ge" grown on: "hebde gij", "zijt ge" ("kunde" and "zijde" are
        # also Dutch nouns, expertise and silk: questions know them, terms keep them)
        "hebde",
        "zijt",
        "moogt",
        # spoken and regional forms of function words (Flemish, Brabant, Limburg), written as
        # heard: "nie" (niet), "da's" (dat is), "den" (de), "jao" (ja), "mekaar" (elkaar)
        "nie",
        "da's",
        "das",
        "den",
        "jao",
        "jo",
        "mekaar",
        "'t",
        "'k",
        "m'n",
        "z'n",
        "d'r",
        "amai",
        # exclamations and leave-takings: reactions, never what the call is about
        "jeetje",
        "jeminee",
        "jessus",
        "tjonge",
        "tjongejonge",
        "houdoe",
        # interjections: surprise, pain, relief, disgust ("Oef. Vijftig procent.", "Allez,
        # dat valt mee."); not "ai", which would take "AI" with it
        "oef",
        "oei",
        "oeps",
        "allez",
        "au",
        "auw",
        "jee",
        "jemig",
        "wauw",
        "wow",
        "huh",
        "bah",
        "jakkes",
        "getver",
        "tsja",
        "goh",
        "hup",
        "hoera",
        "verdorie",
        "potverdorie",
        "salu",
        "ajuus",
        "doeg",
        "nice",
        "top",
        "perfect",
        "gaaf",
        "cool",
        "helder",
        "netjes",
        # family said to each other: "Mam, rustig."
        "mam",
        "pap",
        "mama",
        "papa",
        "lieverd",
        # placeholder nouns: stand for what was said before
        "ding",
        "dingen",
        "dingetje",
        "keer",
        "manier",
        "gaan",
        "zeggen",
        "denken",
        "weten",
        "kijken",
        "nodig",
        "graag",
        "dank",
        "bedankt",
        "hallo",
        "dag",
        "doei",
        # greetings and courtesies open and close every call: never what the call is about
        "hoi",
        "hai",
        "daag",
        "goedemorgen",
        "goedemiddag",
        "goedenavond",
        "goedendag",
        "goeiemorgen",
        "goeiemiddag",
        "goeienavond",
        "goeiedag",
        "goeiendag",
        "welterusten",
        "groet",
        "groetjes",
        "dankjewel",
        "dankuwel",
        "alsjeblieft",
        "alstublieft",
        "sorry",
        "pardon",
        "super",
        "mooi",
        "zeker",
        "misschien",
        "ongeveer",
        "vaak",
        "nogal",
        "gewoonweg",
        "sowieso",
        "hartstikke",
        "zit",
        "zitten",
        "staan",
        "liggen",
        "komen",
        "doen",
        "maken",
        "krijgen",
        "willen",
        "moeten",
        "kunnen",
        "zullen",
        "mogen",
        "laten",
        "vinden",
        "hebben",
        "zijn",
        "worden",
        "hoeveel",
        "hoelang",
        "hoezo",
        "waarom",
        "wanneer",
        "welke",
        "welk",
        "per",
        "via",
        "elke",
        "ieder",
        "iedere",
        "allebei",
        "beide",
        "daarvan",
        "erbij",
    },
    "en": {
        "haha",
        "ah",
        "uh",
        "um",
        "er",
        "erm",
        "hm",
        "hmm",
        "mm",
        "mhm",
        "like",
        "yeah",
        "yep",
        "yes",
        "no",
        "okay",
        "ok",
        "right",
        "well",
        "so",
        "actually",
        "basically",
        "really",
        "just",
        "oh",
        "gonna",
        "wanna",
        "gotta",
        "thing",
        "things",
        "stuff",
        "lot",
        "bit",
        "sure",
        "maybe",
        "thanks",
        "thank",
        "hello",
        "hi",
        "bye",
        "goodbye",
        "please",
        "sorry",
        "cheers",
        "get",
        "got",
        "go",
        "going",
        "know",
        "think",
        "mean",
        "want",
        "say",
        "said",
        "let",
        "make",
        "need",
        "good",
        "great",
        "nice",
        "cool",
        "awesome",
        "perfect",
        # interjections: "Wow, that's a lot.", "Oops.", "Phew."
        "wow",
        "oops",
        "whoa",
        "ouch",
        "yikes",
        "gosh",
        "blimey",
        "phew",
        "huh",
        "hey",
        "ugh",
        "aw",
        # as the Dutch "kijken", "komen", "meneer", "goedemorgen": said in every call
        "looking",
        "come",
        "coming",
        "mate",
        "guys",
        "mum",
        "mom",
        "dad",
        "sir",
        "madam",
    },
}
_PHRASE_FILLERS = {
    "nl": {
        ("zeg", "maar"),
        ("weet", "je"),
        ("snap", "je"),
        ("of", "zo"),
        ("en", "zo"),
        ("tot", "ziens"),
        ("fijne", "dag"),
        ("prettige", "dag"),
        ("dank", "je"),
        ("dank", "u"),
        ("goede", "morgen"),
        ("goede", "middag"),
        ("goede", "avond"),
        ("goeie", "morgen"),
        ("goeie", "middag"),
    },
    "en": {
        ("you", "know"),
        ("i", "mean"),
        ("sort", "of"),
        ("kind", "of"),
        ("good", "morning"),
        ("good", "afternoon"),
        ("good", "evening"),
        ("thank", "you"),
    },
}

_WORD = re.compile(r"[^\W\d_]", re.UNICODE)  # a letter
# Numbers written as words ("vijfenvijftig", "twenty-five"): never a term.
_NUMBER_WORD = {
    "nl": re.compile(
        r"^(nul|een|één|eén|twee|drie|vier|vijf|zes|zeven|acht|negen|tien|elf|twaalf|dertien|"
        r"veertien|twintig|dertig|veertig|vijftig|zestig|zeventig|tachtig|negentig|honderd|"
        r"duizend|miljoen|miljard|en|ën|half|halve|anderhalf|eerste|tweede|derde|vierde|de|ste)+$"
    ),
    "en": re.compile(
        r"^(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fifteen|"
        r"twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|thousand|million|"
        r"billion|teen|ty|first|second|third|fourth|fifth|-)+$"
    ),
}


@dataclass(frozen=True, slots=True)
class Token:
    """One word of text. `lemma` is None for stop words, fillers, numbers and punctuation."""

    text: str  # as written
    lemma: str | None  # lower-case dictionary form, or None when it can never be a term
    start_char: int


@lru_cache(maxsize=4)
def _nlp(language: str) -> Language:
    import spacy

    nlp = spacy.blank(language)
    nlp.max_length = 50_000_000  # the rule-based tokenizer needs no memory per character
    return nlp


@lru_cache(maxsize=4)
def _stop_words(language: str) -> frozenset[str]:
    if language == "nl":
        from spacy.lang.nl.stop_words import STOP_WORDS
    else:
        from spacy.lang.en.stop_words import STOP_WORDS
    return frozenset(STOP_WORDS) | frozenset(_FILLERS[language])


def normalise_language(language: str | None) -> str:
    """The language the analysis uses: nl or en (anything else is analysed as Dutch).
    "NL", "nl-BE" and "en_GB" are Dutch and English; Whisper's "af" for Flemish is none."""
    code = re.split(r"[-_]", (language or "").strip().lower(), maxsplit=1)[0]
    return code if code in SUPPORTED_LANGUAGES else "nl"


_lang = normalise_language


def is_stop(word: str, language: str) -> bool:
    return word.lower() in _stop_words(_lang(language))


@lru_cache(maxsize=65536)
def _lemma(word: str, language: str) -> str:
    """The lemmatiser's lemma, unless it made a word nobody writes of one people do
    ("growing" → "growe"): then the word as said."""
    import simplemma
    from wordfreq import zipf_frequency

    lemma = str(simplemma.lemmatize(word, lang=language)).lower().replace("_", "")
    if (
        lemma != word
        and zipf_frequency(lemma, language) == 0
        and zipf_frequency(word, language) >= 2
    ):
        return word
    return lemma


# Longer than any word people say ("hottentottententententoonstelling" has 33 letters): a
# URL, a hash or a run of letters. Never a term, and never tagged: HanTa's time grows
# faster than a word's length (4,000 letters took minutes).
MAX_WORD_CHARS = 40


_EDGE_PUNCTUATION = ".,;:!?…\"'“”„‘’()[]"


def tokenize(text: str, language: str | None) -> list[Token]:
    """Split text into tokens with lemmas; stop words, fillers and numbers get no lemma."""
    lang = _lang(language)
    stops = _stop_words(lang)
    doc = _nlp(lang)(text)
    tokens: list[Token] = []
    foreign: list[int] = []  # the other language's function words: mixed speech, or words
    for tok in doc:
        if tok.is_space:
            # A line ends a phrase: a page's heading and the paragraph under it make no pair
            # ("… for growing UK businesses" / "Payloop brings …").
            if "\n" in tok.text and tokens and tokens[-1].lemma is not None:
                tokens.append(Token(".", None, tok.idx))
            continue
        # spaCy may leave a full stop on a word ("VvE.", and "dat." after it): not the word's
        text = tok.text.strip(_EDGE_PUNCTUATION) or tok.text
        lower = text.lower()
        usable = (
            not tok.is_punct
            and not tok.like_num
            and len(_WORD.findall(lower)) >= 2
            and len(lower) <= MAX_WORD_CHARS
            and lower not in stops
            and not _NUMBER_WORD[lang].match(lower)
        )
        lemma = _lemma(lower, lang) if usable else None
        if lemma is not None and (lemma in stops or len(lemma) < 2):
            lemma = None
        if lemma is not None and _foreign_function_word(lower, lang):
            foreign.append(len(tokens))
        tokens.append(Token(text, lemma, tok.idx + tok.text.find(text)))
    _blank_foreign_function_words(tokens, foreign)
    _blank_phrase_fillers(tokens, lang)
    return tokens


_FOREIGN_NEAR = 10  # tokens between two other-language function words that mark mixed speech


def _blank_foreign_function_words(tokens: list[Token], at: list[int]) -> None:
    """A word that is a function word of the other language is none of this one's where
    another such word, a different one, stands near it ("the premium package with the
    extra garantie", "Oké, so the price is inclusief btw, ja?"); alone it is a word of
    this language that looks like one ("the heel of this boot", "kennis en kunde")."""
    for i in at:  # `at` is in order: only the neighbours within reach are looked at
        said = tokens[i].text.lower()
        near = at[bisect_left(at, i - _FOREIGN_NEAR) : bisect_right(at, i + _FOREIGN_NEAR)]
        if any(tokens[j].text.lower() != said for j in near):
            tokens[i] = Token(tokens[i].text, None, tokens[i].start_char)


# How much more common (Zipf, log10) a word must be in the other language for one of that
# language's stop words or fillers said here to be taken for it rather than for a word of
# this one: "the" (7.7 against 5.8 in Dutch), "with", "ja", "dus" (6.1 against 2.2 in
# English) are; "front" (5.3 against 4.4), "call" and "door" (1.5, 1.6) are words of both.
_FOREIGN_BY = 1.8


@lru_cache(maxsize=65536)
def _foreign_function_word(word: str, language: str) -> bool:
    """A function word or filler of the other language, said in a code-switched line that
    was read in this one ("de premium package with the extra garantie", "so the price is
    inclusief btw, toch?"): no term, as it is none in its own language."""
    other = "en" if language == "nl" else "nl"
    if word not in _stop_words(other):
        return False
    from wordfreq import zipf_frequency

    return zipf_frequency(word, other) - zipf_frequency(word, language) >= _FOREIGN_BY


def _blank_phrase_fillers(tokens: list[Token], language: str) -> None:
    phrases = _PHRASE_FILLERS[language]
    for i in range(len(tokens) - 1):
        pair = (tokens[i].text.lower(), tokens[i + 1].text.lower())
        if pair in phrases:
            for j in (i, i + 1):
                tokens[j] = Token(tokens[j].text, None, tokens[j].start_char)


def guess_language(text: str) -> str:
    """Dutch or English, by which language's stop words cover more of the text."""
    words = re.findall(r"[^\W\d_]+", text.lower())[:2000]
    if not words:
        return "nl"
    nl = sum(w in _stop_words("nl") for w in words)
    en = sum(w in _stop_words("en") for w in words)
    return "en" if en > nl else "nl"


def utterance_language(text: str, default: str) -> str:
    """The language a transcribed line is in: `default` unless the words clearly say otherwise.

    Whisper often writes an English sentence as English even while decoding a Dutch call;
    such a line should be lemmatised and filtered as English. A few loanwords never flip a
    line: at least four words, and the other language's stop words must outnumber the
    default's two to one.
    """
    if default not in ("nl", "en"):
        return default
    words = re.findall(r"[^\W\d_]+", text.lower())
    if len(words) < 4:
        return default
    other = "en" if default == "nl" else "nl"
    own = sum(w in _stop_words(default) for w in words)
    foreign = sum(w in _stop_words(other) for w in words)
    return other if foreign >= 2 and foreign >= 2 * own else default


_HANTA_MODELS = {"nl": "morphmodel_dutch.pgz", "en": "morphmodel_en.pgz"}
_tagger_lock = threading.Lock()


@lru_cache(maxsize=2)
def _tagger(language: str) -> Any:
    from HanTa import HanoverTagger

    return HanoverTagger.HanoverTagger(_HANTA_MODELS[language])


def is_noun(tag: str | None) -> bool:
    """CGN (Dutch) N and SPEC (names), CLAWS (English) NN* and NP*."""
    return tag is not None and (tag in ("N", "SPEC") or tag.startswith(("NN", "NP")))


def part_of_speech(words: Sequence[str], language: str) -> list[str] | None:
    """Coarse word classes ("N", "ADJ", "WW", "NN", "JJ", ...) from HanTa, or None when the
    tagger (an optional package) is not installed or knows no model for the language."""
    tags = _fine_tags(words, language)
    return None if tags is None else [tag.split("(")[0] for tag in tags]


def proper_nouns(words: Sequence[str], language: str) -> list[bool]:
    """Which of `words` (a sentence's, in order) the tagger reads as a name in context:
    "Mark" in "Mark, wat vind jij?", not "Thuisbatterij" in "Thuisbatterij, hebben jullie
    daar ervaring mee?". All False without the tagger."""
    tags = _fine_tags(words, language) or [""] * len(words)
    return [tag.startswith("N(eigen") or tag in ("NNP", "NNPS") for tag in tags]


def _fine_tags(words: Sequence[str], language: str) -> list[str] | None:
    """HanTa's full tags ("N(eigen,ev,basis,zijd,stan)"), one a word; None without it."""
    if language not in _HANTA_MODELS or not words:
        return None
    try:
        with _tagger_lock:  # HanTa is not thread-safe while it loads
            tagger = _tagger(language)
    except ImportError:
        return None
    sayable = [w if len(w) <= MAX_WORD_CHARS else "x" for w in words]  # one tag each still
    return [tag for _word, _lemma, tag in tagger.tag_sent(sayable, taglevel=1)]


def known_as_name(word: str, language: str = "nl") -> bool:
    """Whether a word written in lower case is still a name to the tagger's lexicon
    ("jansen", "mulder"), not a common word ("bakker", "appel")."""
    return proper_nouns(["de" if language == "nl" else "the", word.lower()], language)[-1]


class _TextExtractor(HTMLParser):
    # A menu and a footer are the site's, on every page: not this page's copy ("Home").
    _SKIP = {"script", "style", "noscript", "template", "svg", "head", "nav", "footer"}
    _BLOCK = {"p", "div", "li", "br", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "td", "th",
              "section", "article", "header", "aside", "blockquote", "dt", "dd", "figcaption",
              "ul", "ol", "table", "button", "summary"}  # fmt: skip

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0
        self._in_head = False
        self._in_title = False  # the page's <title>: what search results show

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self._skipping += 1
        elif tag in self._BLOCK:
            self.parts.append("\n")
        if tag == "head":
            self._in_head = True
        elif tag == "body" and self._in_head:  # a <head> never closed ends where <body> starts
            self._in_head = self._in_title = False
            self._skipping = max(self._skipping - 1, 0)
        elif tag == "title" and self._in_head:
            self._in_title = True
            self.parts.append("\n")
        elif tag == "meta":  # the description search results show under the title
            meta = dict(attrs)
            if (meta.get("name") or "").lower() == "description" and meta.get("content"):
                self.parts.append(f"\n{meta['content']}\n")
        if tag == "img" and not self._skipping:  # a menu's or a footer's images: not copy
            alt = dict(attrs).get("alt")
            if alt:
                self.parts.append(f" {alt} ")

    def handle_endtag(self, tag: str) -> None:
        if tag == "head":
            self._in_head = self._in_title = False
        elif tag == "title" and self._in_title:
            self._in_title = False
            self.parts.append("\n")
        if tag in self._SKIP and self._skipping:
            self._skipping -= 1
        elif tag in self._BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping or self._in_title:
            # The source's own line breaks are no line: a browser shows a paragraph whole.
            self.parts.append(re.sub(r"\s+", " ", data))


_HTML_TAG = re.compile(
    r"<(?:!doctype html|html|head|body|title|meta|p|div|span|h[1-6]|ul|ol|li|a|section|article"
    r"|header|footer|nav|main|br|img|strong|em|table)\b[^>]*>",
    re.IGNORECASE,
)


def looks_like_html(copy: str) -> bool:
    """Whether pasted copy is HTML source (tags read as words would spoil the comparison):
    a few of the tags pages are made of, and at least one closing tag."""
    return len(_HTML_TAG.findall(copy[:200_000])) >= 2 and "</" in copy


def html_to_text(html: str) -> str:
    """The text of an HTML page that people read: the visible text, image alt text, and the
    title and meta description that search results show (scripts and styles dropped)."""
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    return "\n".join(line for line in lines if line)


# A line this long that ends in no punctuation was wrapped (an e-mail's or a PDF's text):
# headings are shorter.
_WRAPPED_LINE_CHARS = 65


def unwrapped(text: str) -> str:
    """Pasted copy with its hard-wrapped lines joined again, so that a line break ends a
    phrase only where the page breaks the line (a heading, a list item): a line that ends
    in no punctuation runs on when the next starts in lower case or when it is as long as
    a wrapped line."""
    lines: list[str] = []
    physical = 0  # the length of the last line as pasted, before any joining
    for line in text.splitlines():
        line = line.strip()
        last = lines[-1] if lines else ""
        runs_on = (
            last
            and line
            and last[-1] not in ".?!:;…"
            and (line[0].islower() or physical >= _WRAPPED_LINE_CHARS)
        )
        if runs_on:
            lines[-1] = f"{last} {line}"
        else:
            lines.append(line)
        physical = len(line)
    return "\n".join(lines)


_MENU_SEPARATORS = re.compile(r"[|›»]")  # not bullets: "Gratis advies • 10 jaar garantie"


def without_menus(text: str) -> str:
    """Copy without its menu lines, as a page's text pasted from the browser holds them
    ("Home | Zonnepanelen | Warmtepompen | Contact", "Home › Warmtepompen › Hybride"):
    three or more items between bars or arrows, a word or two each (1.5 on average), no
    digit and no sentence. A bar of selling points stays ("Gratis offerte | 25 jaar
    garantie | Erkend installateur"). A menu is no copy (in HTML the page's nav and footer
    are left out already)."""
    kept = []
    for line in text.splitlines():
        items = [i.strip() for i in _MENU_SEPARATORS.split(line) if i.strip()]
        words = [len(i.split()) for i in items]
        menu = (
            len(items) >= 3
            and max(words) <= 3
            and sum(words) <= 1.5 * len(items)
            and not any(re.search(r"\d|[.?!]$", i) for i in items)
        )
        if not menu:
            kept.append(line)
    return "\n".join(kept)


_AMOUNT = r"\d+(?:[.,]\d+)*(?:,[-–]{1,2})?"
_SYMBOLS = (
    (re.compile(rf"€\s?({_AMOUNT})"), r"\1 euro"),  # "€ 50 per maand": "50 euro per maand"
    (re.compile(rf"({_AMOUNT})\s?€"), r"\1 euro"),
    (re.compile(r"€"), "euro"),
)
_PERCENT = {"nl": "procent", "en": "percent"}


def spoken_symbols(text: str, language: str) -> str:
    """Written copy's symbols as people say them: "€ 50 per maand" is "50 euro per maand",
    "21%" is "21 procent". A page writes the one, and customers say the other."""
    for pattern, said in _SYMBOLS:
        text = pattern.sub(said, text)
    return re.sub(r"(\d)\s?%", rf"\1 {_PERCENT.get(language, 'procent')}", text)


def starts_sentence(text: str, at: int) -> bool:
    """At the start of the text, a line, a sentence, a quote or a list item."""
    before = text[max(0, at - 200) : at]  # enough to see past any run of spaces
    kept = before.rstrip()
    return not kept or "\n" in before[len(kept) :] or kept[-1] in ".!?:;\"'“‘(•-–—*#>|"
