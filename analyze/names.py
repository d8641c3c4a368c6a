"""People and places mentioned in passing: "dat doet Helen in finance", "met Sanne",
"wij huren nu in Utrecht". They are no terms, and a marketer reading the customers' words
does not want them among the first twenty.

A word is taken for a name when the transcript writes it capitalised inside a sentence
(Whisper capitalises names and sentence starts, nothing else), not after an article ("een
Mercedes" is a car), and it is a first name or a Dutch or Belgian place. The lists come from
Faker's locale data (MIT, inside its wheel): first names of the languages customers in the
Netherlands and Belgium speak, and the places of both countries. A surname right after a
first name goes with it ("Henk Visser"). Lower case, a word stays a word: "met veel fleur";
so does a place that is an everyday word at a sentence's start ("Best", "Echt") unless the
same transcript also writes it capitalised inside a sentence.
"""

from __future__ import annotations

import functools
import importlib
import re
from collections.abc import Iterable
from typing import Any

__all__ = ["NAME_LINKS", "is_first_name", "names_mentioned"]

# Locales whose first names customers and their families in NL and BE carry.
_NAME_LOCALES = ("nl_NL", "nl_BE", "en_GB", "en_US", "de_DE", "fr_FR", "tr_TR", "ar_AA",
                 "es_ES", "it_IT", "pl_PL", "pt_PT")  # fmt: skip
_PLACE_LOCALES = ("nl_NL", "nl_BE")
_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*|[.?!]")
_TITLE_CASE = re.compile(r"[^\W\d_][\w'’-]+")  # with `_title_case`: any script with capitals
# Before a name: no article or determiner. "een Mercedes", "de Albert Heijn" are things.
_DETERMINERS = {"een", "de", "het", "die", "deze", "dat", "dit", "zo'n", "a", "an", "the",
                "this", "that", "our", "your", "my", "mijn", "onze", "uw", "jullie"}  # fmt: skip
NAME_LINKS = {"de", "van", "der", "den", "ter", "ten", "te", "el", "al", "le", "la", "du"}


def _title_case(word: str) -> bool:
    """ "Sanne", "Łukasz", "Çağla": a capital, then small letters (not "AFAS", not "iPhone")."""
    return bool(_TITLE_CASE.fullmatch(word)) and word[0].isupper() and word[1:] == word[1:].lower()


def _provider(kind: str, locale: str) -> Any:
    return importlib.import_module(f"faker.providers.{kind}.{locale}").Provider


@functools.cache
def _first_names() -> frozenset[str]:
    names: set[str] = set()
    for locale in _NAME_LOCALES:
        provider = _provider("person", locale)
        for field in ("first_names", "first_names_male", "first_names_female"):
            listed = getattr(provider, field, None) or ()
            names |= {n.lower() for n in listed if " " not in n}
    return frozenset(names)


@functools.cache
def _places() -> frozenset[str]:
    places: set[str] = set()
    for locale in _PLACE_LOCALES:
        for place in _provider("address", locale).cities:
            if " " not in place:
                places.add(place.lower())
    return frozenset(places)


def is_first_name(word: str) -> bool:
    """Whether a word is a first name in the lists (any capitals)."""
    return word.lower() in _first_names()


def names_mentioned(texts: Iterable[str]) -> list[str]:
    """The people and places the texts mention by name, each once, as written."""
    first_names, places = _first_names(), _places()
    found: dict[str, None] = {}
    for text in texts:
        words = _WORD.findall(text)
        taken = 0  # words up to here belong to a name found already
        for at, word in enumerate(words):
            if at < taken:
                continue
            before = words[at - 1] if at else "."
            if before in ".?!" or before.lower() in _DETERMINERS or not _title_case(word):
                continue  # a sentence's first word says nothing by its capital
            lower = word.lower()
            if lower in first_names:
                name = [word]
                for after in words[at + 1 : at + 4]:  # "Henk Visser", "Mark van den Berg"
                    if after.lower() in NAME_LINKS and len(name) < 3:
                        name.append(after)
                        if [w.lower() for w in name[1:]] == ["van"] and not (
                            at + 2 < len(words) and words[at + 2].lower() in NAME_LINKS
                        ):  # "Mark van Zonnig Dak" says where Mark works, as names_said reads it
                            name.pop()
                            break
                    elif _title_case(after):
                        name.append(after)
                        break
                    else:
                        break
                while name[-1].lower() in NAME_LINKS:
                    name.pop()
                found[" ".join(name)] = None
                taken = at + len(name)
            elif lower in places:
                found[word] = None
    return list(found)
