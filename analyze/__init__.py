"""Language analysis: terms per role, quotes as evidence, suggestions for page copy.

Pure functions over dataclasses; nothing here loads a web framework or a database.
"""

from analyze.inputs import TEXT_SUFFIXES, read_utterances
from analyze.questions import (
    Question,
    QuestionGroup,
    find_questions,
    group_questions,
    is_question,
    unanswered_questions,
)
from analyze.suggest import (
    PageSuggestions,
    SuggestedTerm,
    suggest_for_page,
    suggestions_csv,
    suggestions_markdown,
)
from analyze.terms import (
    GeneralFrequency,
    Quote,
    RecordingTerms,
    Term,
    TermCount,
    Utterance,
    WordfreqFrequency,
    count_terms,
    rank_terms,
    utterances_from_text,
    utterances_from_transcript,
)
from analyze.text import guess_language, html_to_text, tokenize

__all__ = [
    "TEXT_SUFFIXES",
    "GeneralFrequency",
    "PageSuggestions",
    "Question",
    "QuestionGroup",
    "Quote",
    "RecordingTerms",
    "SuggestedTerm",
    "Term",
    "TermCount",
    "Utterance",
    "WordfreqFrequency",
    "count_terms",
    "find_questions",
    "group_questions",
    "is_question",
    "unanswered_questions",
    "guess_language",
    "html_to_text",
    "rank_terms",
    "read_utterances",
    "suggest_for_page",
    "suggestions_csv",
    "suggestions_markdown",
    "tokenize",
    "utterances_from_text",
    "utterances_from_transcript",
]
