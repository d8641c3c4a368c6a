"""The questions customers ask: found in transcripts, grouped by meaning, kept with evidence.

A marketer reads them as FAQ candidates: every group says how often it was asked, in how
many conversations, in the customers' own phrasing, with quotes that play at the second.

Finding: a sentence is a question when it ends in "?" (Whisper punctuates most questions),
starts with a question word ("hoeveel", "wanneer", "how", ...), or starts with a verb
followed by a pronoun ("Kan ik ...", "Heeft u ...", "Do you ..."), which separates yes/no
questions from instructions ("Vul alle gegevens in"). Words said first ("En, eh, ...") do not
count, nor does a topic put before the question ("En de financiering, hoe werkt dat?"). A
full stop is evidence too: a verb with "ik" or "we" before it is spoken Dutch's statement
without its subject ("Weet ik niet.", "Kan ik me voorstellen."), "wat een ..." an
exclamation. Indirect questions count ("Ik vroeg me af of ...", "Ik wil graag weten of
..."), and so do question tags without their mark ("... de vloer eruit toch"). A sentence
Whisper carried over into the same person's next segment is read whole.
Grouping: questions that share their content words (lemmatised, then stemmed so the verb
"kost" meets the noun "kosten", weighted by TF-IDF) are clustered with average linkage on
cosine distance, so "Wat kost een thuisbatterij?" and "Hoeveel kost zo'n thuisbatterij
ongeveer?" form one group. A group asks one thing: sharing one word of several is not
enough ("Zijn er subsidies?" and "Hoe vraag ik die subsidie aan?" stay apart).
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from analyze.text import is_noun, part_of_speech, tokenize

__all__ = [
    "Question",
    "QuestionGroup",
    "find_questions",
    "group_questions",
    "is_question",
    "unanswered_questions",
]

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_WORDS = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")
_QUESTION_WORDS = {
    "nl": {"wat", "wie", "waar", "wanneer", "waarom", "hoe", "hoeveel", "welke", "welk",
           "waarmee", "waarvoor", "waarover", "hoelang", "hoezo"},
    "en": {"what", "who", "where", "when", "why", "how", "which", "whose", "whom"},
}  # fmt: skip
_ANY_QUESTION_WORD = _QUESTION_WORDS["nl"] | _QUESTION_WORDS["en"]
_LEADING_VERBS = {
    "nl": {"kan", "kunt", "kun", "kunnen", "is", "zijn", "heeft", "hebt", "heb", "hebben",
           "moet", "moeten", "wordt", "worden", "zou", "zouden", "mag", "mogen", "doet",
           "doen", "gaat", "gaan", "krijg", "krijgt", "krijgen", "weet", "weten", "wilt",
           "wil", "willen", "valt", "klopt", "komt", "zit", "blijft", "levert", "werkt",
           "zijt", "hebde", "kunde", "zijde", "moogt"},  # Flemish: "Kunde gij …", "Zijt ge …"
    "en": {"can", "could", "is", "are", "do", "does", "did", "will", "would", "should",
           "have", "has", "may", "might", "am", "was", "were", "shall"},
}  # fmt: skip
_PRONOUNS = {
    "nl": {"ik", "u", "je", "jij", "jullie", "we", "wij", "het", "dat", "dit", "die", "er",
           "hij", "zij", "ze", "men", "zo'n", "zoiets", "iemand", "alles", "een", "de",
           "daar", "hier", "ge", "gij", "gulle", "gullie", "da"},
    "en": {"i", "you", "we", "it", "that", "this", "there", "he", "she", "they", "anyone",
           "someone", "a", "the"},
}  # fmt: skip
# Said before the question proper: "En, eh, kan ik het ook met de app bedienen?"
_OPENERS = {
    "nl": {"en", "maar", "dus", "eh", "ehm", "uh", "uhm", "nou", "oké", "ok", "ja", "nee",
           "want", "trouwens", "oh", "o", "hé", "he", "zeg", "goh"},
    "en": {"and", "but", "so", "uh", "um", "oh", "well", "okay", "ok", "yes", "no", "hey"},
}  # fmt: skip
_FIRST_PERSON = {"nl": {"ik", "we", "wij"}, "en": {"i", "we"}}
# A question word straight before its subject starts a clause, not a question: a question
# puts its verb first ("wat zoeken we"). Stated, "Wat we zoeken is een elektrische auto.",
# "When we hire for peak, we go up to two hundred." say something.
_SUBJECTS = {
    "nl": {"ik", "we", "wij", "je", "jij", "u", "jullie", "ze", "zij", "hij", "men", "ge", "gij"},
    "en": {"i", "we", "you", "they", "he", "she"},
}
_EXCLAIMING = {"nl": {"een"}, "en": {"a", "an"}}  # "Wat een gedoe.", "What a mess."
_EXCLAIMED = {"nl": {"zeg"}, "en": set()}  # the last word of an exclamation
_IDIOMS = {("wie", "weet"), ("who", "knows")}  # said, not asked: "Wie weet wat het nog wordt."
# A topic put before its question starts as a noun phrase does, in a few words.
_TOPIC_STARTS = {
    "nl": {"de", "het", "die", "dat", "deze", "dit", "een", "zo'n", "jullie", "uw", "mijn"},
    "en": {"the", "that", "this", "those", "these", "a", "an", "your", "my"},
}
_TOPIC_WORDS = 5
_ASKED = r"(?:of|hoe|wat|wanneer|waarom|welke|welk|hoeveel|wie|waar|hoelang)"
_INDIRECT = {
    "nl": re.compile(
        rf"\b(?:vraag|vroeg|vragen|vroegen)\b(?: \w+){{0,4}}? af {_ASKED}\b"  # vroeg me af of
        rf"|\bwil\w*(?: \w+){{0,3}}? weten {_ASKED}\b"  # ik wil (nog wel) graag weten of
        rf"|\b(?:benieuwd|nieuwsgierig) (?:naar |)?{_ASKED}\b"
    ),
    "en": re.compile(
        r"\bi (?:wonder|wondered|was wondering|am wondering)\b(?: \w+){0,2}? "
        r"(?:if|whether|how|what|when|why|which|who|where)\b"
        r"|\b(?:want|like|love) to know (?:if|whether|how|what|when|why|which|who|where)\b"
    ),
}
# Words set off by commas that ask nothing: "Maar ja, weet je, dat is een stap te ver."
_ASIDE = re.compile(
    r"(?:^|,)\s*(?:weet je|weet u|zie je|snap je|zeg maar|you know|i mean)\s*,", re.IGNORECASE
)
# "…, toch?" said without its "?". Not "hè": "Mam is tachtig, hè." seeks agreement.
_TAGS = {"nl": ("toch",), "en": ("right",)}
_MIN_WORDS = 3  # shorter sentences ("Hoezo?", "Echt?") are reactions, not FAQ material
_GROUP_DISTANCE = 0.5  # cosine distance under which two questions ask the same thing
_MAX_QUOTES = 5
_ANSWERED_SHARE = 0.6  # of a group's keywords a page must use to count as answering it


@dataclass(frozen=True, slots=True)
class Question:
    """One question as said, where it was said, and by whom."""

    recording_id: str
    text: str
    role: str
    start: float | None = None
    end: float | None = None
    language: str = "nl"

    def to_dict(self) -> dict[str, Any]:
        return {
            "recording_id": self.recording_id,
            "text": self.text,
            "role": self.role,
            "start": self.start,
            "end": self.end,
            "language": self.language,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Question:
        return cls(
            recording_id=str(data["recording_id"]),
            text=str(data["text"]),
            role=str(data.get("role") or "unknown"),
            start=data.get("start"),
            end=data.get("end"),
            language=str(data.get("language") or "nl"),
        )


@dataclass(frozen=True, slots=True)
class QuestionGroup:
    """Questions that ask the same thing: an FAQ candidate."""

    question: str  # the most typical phrasing of the group
    count: int  # times asked
    recordings: int  # in how many conversations
    keywords: tuple[str, ...]  # the content lemmas the group is about
    quotes: tuple[Question, ...]  # a few of the askings, as evidence
    # What a person reads as its subject: the keywords that are nouns in its typical question
    # ("offerte", not "stuur"); the keywords where none is. Pages only, not in the JSON.
    topics: tuple[str, ...] = field(default=(), compare=False)
    # Against a page (`unanswered_questions`): the keywords the page does not use, which
    # make the question count as unanswered.
    page_lacks: tuple[str, ...] = field(default=(), compare=False)
    # … or, where it speaks of them, the amount or time the question asks for: "price",
    # "time" (see `asks`).
    page_gives_no: str | None = field(default=None, compare=False)

    @property
    def other_phrasings(self) -> tuple[Question, ...]:
        """The quotes that word it differently from `question` (evidence beside it)."""
        return tuple(q for q in self.quotes if q.text != self.question)

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "count": self.count,
            "recordings": self.recordings,
            "keywords": list(self.keywords),
            "quotes": [q.to_dict() for q in self.quotes],
            **({"page_lacks": list(self.page_lacks)} if self.page_lacks else {}),
            **({"page_gives_no": self.page_gives_no} if self.page_gives_no else {}),
        }


def _opens_a_question(words: Sequence[str], lang: str, stated: bool) -> bool:
    """Whether a clause's words start as a question does: a question word (not "wat een",
    an exclamation, nor "wat we", a clause, where the sentence is stated), or a verb and then
    a pronoun. After a
    full stop a verb with "ik" or "we" is a statement that left its subject out ("Weet ik
    niet hoor.", "Kan ik me voorstellen.")."""
    words = _without_openers(words, lang)
    if len(words) < 2:
        return False
    if words[0] in _ANY_QUESTION_WORD:  # a switching speaker's "What kost dat per maand"
        return not stated or not (
            words[1] in _EXCLAIMING[lang]
            or tuple(words[:2]) in _IDIOMS
            or words[1] in _SUBJECTS[lang]
        )
    if words[0] in _LEADING_VERBS[lang] and words[1] in _PRONOUNS[lang]:
        return not (stated and words[1] in _FIRST_PERSON[lang])
    return False


def _without_openers(words: Sequence[str], lang: str) -> Sequence[str]:
    at = 0
    while at < len(words) - 1 and words[at] in _OPENERS[lang]:
        at += 1
    return words[at:]


# "What's", "isn't", "can't you …": the word a question starts with, without its clitic.
_CONTRACTED = re.compile(r"['’](?:s|re|ll|ve|m|d)$|n['’]t$")
_CONTRACTED_WHOLE = {"can't": "can", "can’t": "can", "won't": "will", "won’t": "will"}


def _words_of(sentence: str) -> list[str]:
    words = [w.lower() for w in _WORDS.findall(sentence)]
    return [_CONTRACTED_WHOLE.get(w) or _CONTRACTED.sub("", w) or w for w in words]


def is_question(sentence: str, language: str = "nl") -> bool:
    """Whether one sentence asks something (see the module docstring for the rules)."""
    sentence = _ASIDE.sub(",", sentence)  # "Maar ja, weet je, …": no question in "weet je"
    words = _words_of(sentence)
    if len(words) < _MIN_WORDS:
        return False
    ending = sentence.rstrip()[-1:]
    if ending == "?":
        return True
    lang = language if language in _QUESTION_WORDS else "nl"
    if words[-1] in _EXCLAIMED[lang]:  # "Wat ingewikkeld zeg.": an exclamation
        return False
    stated = ending in (".", "!", "…")
    if _opens_a_question(words, lang, stated):
        return True
    # A topic put first, then the question about it: "En die subsidie, moet ik die zelf
    # aanvragen?", "En de financiering, hoe werkt dat."
    clauses = [c for c in sentence.split(",") if c.strip()]
    if len(clauses) > 1:
        topic = _without_openers(_words_of(clauses[0]), lang)
        rest = _words_of(",".join(clauses[1:]))
        if topic and topic[0] in _TOPIC_STARTS[lang] and len(topic) <= _TOPIC_WORDS:
            if _opens_a_question(rest, lang, stated):
                return True
    if _INDIRECT[lang].search(" ".join(words)):  # "ik vroeg me af of …", "I wonder if …"
        return True
    # A question tag where Whisper wrote no question mark: "… de vloer eruit toch".
    return words[-1] in _TAGS[lang] and (
        not stated or sentence.rstrip(".!… ").endswith(tuple(f", {w}" for w in _TAGS[lang]))
    )


def find_questions(utterances: Iterable[Any]) -> list[Question]:
    """The questions in `analyze.Utterance`s, one per sentence that asks something. A
    sentence Whisper carried over into the next segment of the same person (no full stop
    at the end of the first) is read whole, and plays from where it began."""
    return [
        Question(began.recording_id, text, began.role, began.start, ended.end, began.language)
        for text, began, ended in _sentences(utterances)
        if is_question(text, began.language)
    ]


_JOINED_MAX = 3  # segments one sentence may run over
_ENDS = ".?!…"


def _sentences(utterances: Iterable[Any]) -> list[tuple[str, Any, Any]]:
    """Each sentence with the utterances it begins and ends in: one left open at the end
    of a segment runs on into the next of the same person (recording, role and speaker),
    over at most `_JOINED_MAX` segments, unless that one starts with a capital: a new
    sentence the first one's speaker left without its full stop."""
    found: list[tuple[str, Any, Any]] = []
    unfinished: tuple[str, Any, Any, int] | None = None  # text, began, ended, segments
    for utt in utterances:
        pieces = [p.strip() for p in _SENTENCE_END.split(utt.text.strip()) if p.strip()]
        if not pieces:
            continue
        began, run = utt, 1
        if unfinished is not None:
            text, earlier, ended, runs = unfinished
            same = _person(earlier) == _person(utt) and not _starts_anew(pieces[0])
            if same and runs < _JOINED_MAX:
                pieces[0] = f"{text} {pieces[0]}"
                began, run = earlier, runs + 1
            else:
                found.append((text, earlier, ended))
            unfinished = None
        for i, piece in enumerate(pieces):
            first = (began, run) if i == 0 else (utt, 1)
            if i == len(pieces) - 1 and piece[-1] not in _ENDS:
                unfinished = (piece, first[0], utt, first[1])
            else:
                found.append((piece, first[0], utt))
    if unfinished is not None:
        found.append(unfinished[:3])
    return found


def _starts_anew(text: str) -> bool:
    """A capital starts a sentence, except the English "I" ("… so I was wondering")."""
    return text[:1].isupper() and not re.match(r"I\b", text)


def _person(utterance: Any) -> tuple[Any, ...]:
    return (utterance.recording_id, utterance.role, getattr(utterance, "speaker", None))


def _content(question: Question) -> list[str]:
    return [t.lemma for t in tokenize(question.text, question.language) if t.lemma]


def group_questions(
    questions: Sequence[Question], *, role: str | None = "customer", limit: int = 50
) -> list[QuestionGroup]:
    """Group `role`'s questions (None: everyone's) by meaning; most asked first."""
    asked = [q for q in questions if role is None or q.role == role]
    lemmas = [_content(q) for q in asked]
    # Questions without a content word ("Hoe bedoelt u?", "Eén dag maar?") ask about what
    # was just said: no FAQ material.
    kept = [i for i, words in enumerate(lemmas) if words]
    asked, lemmas = [asked[i] for i in kept], [lemmas[i] for i in kept]
    if not asked:
        return []
    stems = [_stems(words, q.language) for words, q in zip(lemmas, asked, strict=True)]
    labels = _cluster(stems, [asks(q.text) for q in asked])
    groups = []
    for label in sorted(set(labels)):
        members = [i for i, lab in enumerate(labels) if lab == label]
        groups.append(
            _group(
                [asked[i] for i in members],
                [lemmas[i] for i in members],
                [stems[i] for i in members],
            )
        )
    # Among groups asked as often, those about what more questions touch come first (a cut
    # at `limit` then keeps "Wat is de terugverdientijd?", not what sorts first).
    asked_about = Counter(stem for stemmed in stems for stem in set(stemmed))
    groups.sort(
        key=lambda g: (
            -g.count,
            -g.recordings,
            -max((asked_about[s] for s in _stems(list(g.keywords), _language(g))), default=0),
            g.question,
        )
    )
    return [replace(g, topics=_topics(g)) for g in groups[:limit]]


_LEANS_ON = r"(?:en|maar|dus|of|ook|and|but|so|or|also)"
_LEANING = re.compile(rf"^\W*{_LEANS_ON}\b|\b(?:dan|daar|die|dat|zo'n|then|that|it)\W*$", re.I)


def _reads_alone(question: Question) -> bool:
    """Whether a question reads as a heading without the words said before it: five
    words or more, not starting with "en"/"maar"/"and" nor ending leaning back ("…krijg
    ik dan?", "Wat kost dat?")."""
    words = _words_of(question.text)
    return len(words) >= 5 and not _LEANING.search(question.text.rstrip("?!. "))


def _language(group: QuestionGroup) -> str:
    return group.quotes[0].language if group.quotes else "nl"


def _topics(group: QuestionGroup) -> tuple[str, ...]:
    """The group's keywords that its typical question uses as nouns (tagged in context: "Kunt
    u een offerte sturen?" makes "offerte" the subject, not "stuur")."""
    language = group.quotes[0].language if group.quotes else "nl"
    tokens = tokenize(group.question, language)
    tags = part_of_speech([t.text for t in tokens], language)
    if tags is None:
        return group.keywords
    nouns = {t.lemma for t, tag in zip(tokens, tags, strict=True) if t.lemma and is_noun(tag)}
    return tuple(k for k in group.keywords if k in nouns) or group.keywords


def _stems(lemmas: list[str], language: str) -> list[str]:
    """Snowball stems of lemmas (the lemmatiser keeps "kost" and "kosten" apart)."""
    return list(_stemmer({"en": "english"}.get(language, "dutch")).stemWords(lemmas))


@functools.cache
def _stemmer(name: str) -> Any:
    import snowballstemmer

    return snowballstemmer.stemmer(name)


def _cluster(lemmas: list[list[str]], kinds: Sequence[str | None] = ()) -> list[int]:
    """A group label per question, from its content words (TF-IDF, cosine, average link).
    Questions asking different kinds of answer (`asks`: a price, a time) never share a
    group: "Hoe lang duurt de installatie?" is not "Wat kost de installatie?"."""
    if len(lemmas) == 1:
        return [0]
    import numpy as np
    from sklearn.cluster import AgglomerativeClustering
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectors = TfidfVectorizer(analyzer=lambda words: words).fit_transform(lemmas)
    # Rows are L2-normalised, so cosine distance is 1 - X·Xᵀ: a sparse product instead of
    # scipy's dense pdist over the whole vocabulary (3,000 questions: 0.2 s instead of 4 s).
    distances = 1.0 - (vectors @ vectors.T).toarray()
    np.clip(distances, 0.0, 2.0, out=distances)
    if kinds:
        kind = np.array([k or "" for k in kinds])
        asked = kind != ""
        apart = asked[:, None] & asked[None, :] & (kind[:, None] != kind[None, :])
        distances[apart] = 2.0
    np.fill_diagonal(distances, 0.0)
    clustering = AgglomerativeClustering(
        n_clusters=None,
        metric="precomputed",
        linkage="average",
        distance_threshold=_GROUP_DISTANCE,
    ).fit(distances)
    return [int(label) for label in clustering.labels_]


def _group(
    members: list[Question], lemmas: list[list[str]], stems: list[list[str]]
) -> QuestionGroup:
    """One group; its keywords are counted by stem ("kost" and "kosten" are one) and shown as
    the lemma said most."""
    said: dict[str, Counter[str]] = {}
    for words, stemmed in zip(lemmas, stems, strict=True):
        for word, stem in zip(words, stemmed, strict=True):
            said.setdefault(stem, Counter())[word] += 1
    # In the order said, never a set's: a tie cut at four keywords must not depend on the
    # process's hash seed (the keywords decide whether a page answers the question).
    counts = Counter(stem for stemmed in stems for stem in dict.fromkeys(stemmed))
    keywords = tuple(
        said[stem].most_common(1)[0][0]
        for stem, n in counts.most_common()
        if n * 2 > len(members) or len(members) == 1  # what most of its questions share
    )[:4]
    # The typical phrasing: the one sharing most keywords, then one that reads on its own
    # as an FAQ heading (not "En de terugverdientijd?", which leans on what was said
    # before), then the shortest.
    typical = max(
        range(len(members)),
        key=lambda i: (
            len(set(lemmas[i]) & set(keywords)),
            _reads_alone(members[i]),
            -len(members[i].text),
        ),
    )
    return QuestionGroup(
        question=members[typical].text,
        count=len(members),
        recordings=len({q.recording_id for q in members}),
        keywords=keywords,
        # The typical asking first, so a page can link it to its moment in the conversation.
        quotes=(members[typical], *members[:typical], *members[typical + 1 :])[:_MAX_QUOTES],
    )


_MODIFIER_MIN = 5  # letters a keyword needs to be found as the start of a page's compound


def unanswered_questions(
    groups: Sequence[QuestionGroup],
    page_lemmas: set[str],
    *,
    limit: int = 10,
    language: str = "nl",
    page_text: str | None = None,
) -> list[QuestionGroup]:
    """The groups a page does not answer: it uses too few of their topics (the nouns of
    their keywords; all keywords where none is a noun). A page that speaks of the
    terugverdientijd answers "Wat betekent dat voor mijn terugverdientijd?" though it never
    says "betekenen", and a page offering an offerte answers "Kunt u een offerte sturen?".
    A question about a price or a time (`asks`) needs more, with `page_text`: a sentence of
    the page (or the one after it, an FAQ's answer) that names a topic and gives an amount
    or a time: a page that only mentions the accu does not answer "Wat kost een nieuwe
    accu?". Each comes with the topics the page lacks (`page_lacks`), so a person sees why.

    `page_lemmas` are the lemmas (and lemma pairs) on the page. A keyword is on the page
    as its lemma, by its stem (the page's "belt" is "bellen", a question's "bel"), or in a
    compound: as its last part, as for terms ("zonnepaneel" covers "paneel"), or, from five
    letters, as its first ("adviesgesprek" covers "advies").
    """
    on_page = _finder(page_lemmas, language)
    passages: list[tuple[str, Callable[[str], bool]]] | None = None  # read once, if asked
    missing = []
    for group in groups:
        if not group.keywords:
            continue
        topics = group.topics or _topics(group)
        lacks = tuple(w for w in topics if not on_page(w))
        if len(topics) - len(lacks) < _ANSWERED_SHARE * len(topics):
            missing.append(replace(group, page_lacks=lacks))
            continue
        kind = asks(group.question, _language(group))
        if kind is not None and page_text and passages is None:
            passages = _passages(page_text, language)
        if (
            kind is not None
            and passages is not None
            and not any(
                _answers(kind, group.question, text) and any(found(w) for w in topics)
                for text, found in passages
            )
        ):
            missing.append(replace(group, page_lacks=lacks, page_gives_no=kind))
    return missing[:limit]


def _finder(lemmas: set[str], language: str) -> Callable[[str], bool]:
    """Whether a keyword is among `lemmas` (see `unanswered_questions`)."""
    single = {k for k in lemmas if " " not in k}
    stems = set(_stems(sorted(single), language))
    joined = "" if language == "nl" else "-"  # English compounds: apart or hyphenated

    def found(word: str) -> bool:
        return (
            word in lemmas
            or _stems([word], language)[0] in stems
            or (len(word) >= 4 and any(w.endswith(joined + word) for w in single))
            or (len(word) >= _MODIFIER_MIN and any(w.startswith(word + joined) for w in single))
        )

    return found


# What a question asks about, by its words ("Wat kost …", "Hoe lang duurt …"), and what a
# page's answer to it holds: an amount of money, or a time.
_ASKS = {
    # "How much" asks a price when nothing else follows it to be measured ("How much space
    # does it need?" asks none); "de duur van" is a duration, "te duur" a price.
    "price": re.compile(
        r"\b(?:kost|kosten|kostte|prijs|prijzen|tarief|duurder|euro"
        r"|cost|costs|price|prices|expensive|fee|how much(?! (?:time|space|room|noise|power|"
        r"energy|electricity|heat|water|gas|weight|longer|more time)\b))\b"
        r"|(?<!\bde )\bduur\b",
        re.IGNORECASE,
    ),
    # "wanneer"/"when" asks a time where it opens the question; inside it, it is "if" ("Wat
    # gebeurt er wanneer de stroom uitvalt?").
    "time": re.compile(
        r"\b(?:hoe ?lang|duurt|duren|levertijd|how long|take to|hoeveel tijd|how much time"
        r"|how much longer|how much more time|de duur)\b"
        r"|^\W*(?:(?:en|maar|dus|and|but|so),?\s+)?(?:wanneer|when)\b",
        re.IGNORECASE,
    ),
}
# A number as a page writes it: digits ("4.500", "1,5"; never started inside a run of
# them, which made a page of "1,1,1,…" take seconds), or words: Dutch ones built of number
# parts ("vijftienhonderd", "veertien", "anderhalf"), English ones up to "twenty" and the
# tens, "a", "an", "a couple of".
_NUMBER_NL = r"(?:een|één|twee|drie|vier|vijf|zes|zeven|acht|negen|tien|elf|twaalf|honderd|duizend)"
_NUMBER = (
    r"(?:(?<![\d.,])\d+(?:[.,]\d+){0,3}|(?:ander)?half|(?:ander)?halve|een half|een halve"
    rf"|(?:{_NUMBER_NL}|twin|der|veer|tach|tig|en)*(?:{_NUMBER_NL}|tig)"
    r"|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty"
    r"|thirty|forty|fifty|sixty|hundred|a few|a couple of|several)"
)
_ANSWERS = {
    "price": re.compile(
        rf"€|\$|£|\beuro\b|\bgratis\b|\bkosteloos\b|\bfree\b"
        rf"|\b{_NUMBER}\s?(?:,-|euros?|eur|pounds?|dollars?|gbp|usd)\b|\b(?:eur|gbp|usd)\s?\d",
        re.IGNORECASE,
    ),
    # "once a year", "een keer per jaar", "elke 2 jaar", "every 2-3 years" say how often,
    # not how long (nor does the end of a range alone)
    "time": re.compile(
        r"(?<!\bonce )(?<!\btwice )(?<!\bevery )(?<!\beach )(?<!\bper )(?<!\bkeer )"
        r"(?<!\belke )(?<!\bieder )(?<!\biedere )(?<!\bom de )(?<![-–])(?<![-–] )(?<!\bto )"
        r"(?<!\btot )"
        rf"\b{_NUMBER}(?:\s?(?:tot|à|-|–|to)\s?{_NUMBER})?\s?(?:werk|working |business )?"
        r"(?:minuten|minuut|uur|uren|kwartier|dagen|dag|weken|week|maanden|maand|jaar|jaren"
        r"|minutes?|hours?|days?|weeks?|months?|years?)\b"
        r"|\bbinnen een\b|\bdezelfde dag\b|\bmorgen\b|\bsame day\b|\bwithin\b",
        re.IGNORECASE,
    ),
}


# A share answers a price question only where it asks for one (the btw, the interest, a
# discount): "bespaart tot 30 procent" gives no price of the roof.
_ASKS_SHARE = re.compile(
    r"\b(?:rente|btw|korting|procent|percentage|belasting|interest|discount|vat|rate|tax)\b",
    re.IGNORECASE,
)
_SHARE = re.compile(r"\b(?:procent|percent)\b|%", re.IGNORECASE)


def _answers(kind: str, question: str, text: str) -> bool:
    """Whether a page's passage holds what a price or time question asks for."""
    if _ANSWERS[kind].search(text):
        return True
    return kind == "price" and bool(_ASKS_SHARE.search(question) and _SHARE.search(text))


def asks(question: str, language: str = "nl") -> str | None:
    """ "price" or "time" when a question asks for an amount or a time; None otherwise."""
    del language  # the words of both languages are kept apart enough to look for all
    for kind in ("time", "price"):
        if _ASKS[kind].search(question):
            return kind
    return None


# A sentence that starts by pointing back at the one before it.
_REFERS_BACK = re.compile(
    r"(?:dat|dit|het|die|deze|daarvoor|daarmee|that|this|it|these|those)\b", re.IGNORECASE
)


def _passages(text: str, language: str) -> list[tuple[str, Callable[[str], bool]]]:
    """The page's sentences, a question (an FAQ's) with the sentence after it (its answer)
    and a sentence with one that points back at it ("Dat duurt twee dagen."), each with a
    finder of the lemmas it uses. A sentence next to another answers nothing else: "Vraag
    uw gratis plaatsbezoek aan" after a sentence about the roof prices no roof."""
    sentences = [s.strip() for s in re.split(r"(?<=[.!?])\s+|\n+", text) if s.strip()]
    passages = []
    for at in range(len(sentences)):
        # A sentence answers alone; a question (an FAQ's) with the sentence after it, and a
        # sentence with the next where that one speaks of it ("Dat duurt twee dagen.").
        after = sentences[at + 1] if at + 1 < len(sentences) else ""
        joined = sentences[at].endswith("?") or _REFERS_BACK.match(after)
        window = f"{sentences[at]} {after}" if joined else sentences[at]
        lemmas = {t.lemma for t in tokenize(window, language) if t.lemma}
        passages.append((window, _finder(lemmas, language)))
    return passages
