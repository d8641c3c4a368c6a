"""Pydantic models of the JSON API (what /docs shows); the shapes are a stable contract."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from api.db import HiddenTerm, Recording, as_utc
from transcribe import VoiceProfile

# RFC 3339 date-times in UTC ("...Z"), never a local time of unknown zone.
UtcDatetime = Annotated[datetime, AfterValidator(as_utc)]

RoleName = Literal["salesperson", "customer", "other", "unknown"]
StatusName = Literal["queued", "processing", "done", "failed"]


ERROR_CODES = (
    "unauthorized, forbidden, not_found, not_ready (no transcript yet: ask again later), "
    "method_not_allowed, invalid_input, invalid_request, consent_required, unknown_language, "
    "empty_file, unreadable_audio, no_audio, too_long, too_large, rate_limited, busy, "
    "database_unavailable, model_unavailable, storage_full, transcription_failed, refused, "
    "unreadable_transcript, unsupported_file, too_few_recordings, line_changed"
)


class Problem(BaseModel):
    """An error answer (400, 401, 404, 413, 422, 503, 507): what was wrong, in words."""

    detail: str
    code: str | None = Field(
        None,
        description=f"what went wrong, for programs; stable where `detail` is not: {ERROR_CODES}",
    )


class InputProblem(BaseModel):
    """One thing wrong with the request, in FastAPI's shape minus the `input` echoed back."""

    type: str
    loc: list[str | int] = Field(description="where: e.g. ['body', 'limit'] or ['query', 'role']")
    msg: str
    ctx: dict[str, str | int | float | bool | None] | None = Field(
        None, description="the rule that was broken, e.g. {'le': 200}"
    )


class InputProblems(BaseModel):
    """A 422 for a request that does not fit the schema: every problem found."""

    detail: list[InputProblem]
    code: Literal["invalid_request"] = "invalid_request"


class RecordingCreated(BaseModel):
    id: str
    status: StatusName
    duplicate: bool = Field(False, description="this audio was uploaded before: the earlier one")


def _milliseconds(seconds: float | None) -> float | None:
    """Durations to the millisecond: 57.466, not 57.46600907029478."""
    return None if seconds is None else round(seconds, 3)


class RecordingOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    title: str
    filename: str
    status: StatusName
    progress: float = Field(ge=0, le=1)
    error: str | None
    language: str | None
    language_requested: str
    glossary: str | None = None
    tags: list[str] = []
    duration_s: Annotated[float | None, AfterValidator(_milliseconds)]
    salesperson: str | None
    customer: str | None
    recorded_at: date | None
    size_bytes: int
    sha256: str | None
    model: str | None
    consent: bool
    consent_at: UtcDatetime | None
    consent_by: str | None = None
    created_at: UtcDatetime
    updated_at: UtcDatetime
    no_speech: bool = Field(
        False, description="done, but no speech was found (silence, noise): nothing to analyse"
    )

    @classmethod
    def of(cls, recording: Recording, no_speech: bool = False) -> RecordingOut:
        return cls.model_validate(recording).model_copy(update={"no_speech": no_speech})


class RecordingPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(None, max_length=300)
    salesperson: str | None = Field(None, max_length=200)
    customer: str | None = Field(None, max_length=200)
    recorded_at: date | Literal[""] | None = Field(
        None, description='YYYY-MM-DD; "" forgets a wrong date (reports then count the upload day)'
    )
    tags: list[Annotated[str, Field(max_length=50)]] | None = Field(None, max_length=20)


class RecordingList(BaseModel):
    recordings: list[RecordingOut]
    total: int = Field(description="how many recordings there are (with `status`: of it)")


class WordOut(BaseModel):
    start: float
    end: float
    word: str
    probability: float
    heard: str | None = Field(
        None, description="what Whisper wrote, where ridealong corrected its spelling"
    )


class SegmentOut(BaseModel):
    start: float
    end: float
    text: str
    speaker: str | None
    role: RoleName
    words: list[WordOut]
    language: str | None = None
    overlap: bool = False  # someone else talks at the same time


class SpeakerOut(BaseModel):
    id: str
    role: RoleName
    name: str | None
    confidence: float | None = None  # 0..1; 1 when a person set it


class ConversationStats(BaseModel):
    talk_s: dict[str, float] = Field(description="seconds of speech per role")
    talk_share: dict[str, float] = Field(description="share of the speech per role, 0..1")
    longest_monologue_s: dict[str, float]
    questions: dict[str, int] = Field(description="questions asked per role")
    turns: int


class SpeakersOut(BaseModel):
    speakers: list[SpeakerOut]
    stats: ConversationStats


class SpeakerChangeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(max_length=20, description="the speaker's label, e.g. S1")
    role: Literal["salesperson", "customer", "other"] | None = None
    name: str | None = Field(None, max_length=200, description="a name; empty clears it")
    merge_into: str | None = Field(
        None, max_length=20, description="move this speaker's speech to that speaker"
    )


class SpeakersPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    speakers: list[SpeakerChangeIn] = Field(min_length=1, max_length=20)
    enroll: bool = Field(False, description="enrol named salespeople's voices from this recording")
    consent: bool = Field(
        False, description="with `enroll`: they agreed that their voice is recognised (recorded)"
    )


class LineChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    index: int = Field(ge=0, description="the line's place in the transcript's `segments`, from 0")
    text: str | None = Field(
        None,
        max_length=2000,
        description="what was said; empty removes a line that was never said; absent or null: "
        "the words stay as they are",
    )
    was: str | None = Field(
        None,
        max_length=2000,
        description="what the line said when you read it: if it has changed since (corrected, "
        "or a line before it removed), nothing is changed and the answer is 409",
    )
    speaker: str | None = Field(
        None,
        max_length=20,
        description="who said it: a speaker's `id` in this recording, or `new` for someone the "
        "speaker finder missed (all lines given to `new` in one request go to one new "
        "speaker); a speaker left without lines is dropped, as a merged one is",
    )
    role: RoleName | None = Field(
        None, description="the role of the `new` speaker (default: unknown); only with `new`"
    )

    @model_validator(mode="after")
    def _something_to_change(self) -> LineChange:
        if self.text is None and self.speaker is None:
            raise ValueError("send 'text', 'speaker' or both")
        if self.role is not None and self.speaker != "new":
            raise ValueError('\'role\' is for a new speaker: send it with "speaker": "new"')
        return self


class LinesPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    segments: list[LineChange] = Field(min_length=1, max_length=500)


class VoiceOut(BaseModel):
    name: str
    role: RoleName
    consent_by: str | None = Field(
        None, description="who confirmed the person agreed to be recognised; null: nobody"
    )
    enrolled_at: str | None = Field(None, description="when it was enrolled (ISO 8601, UTC)")

    @classmethod
    def of(cls, profile: VoiceProfile, **extra: Any) -> Self:
        """The answer for a `transcribe.VoiceProfile`."""
        return cls(
            name=profile.name,
            role=profile.role,
            consent_by=profile.consent_by,
            enrolled_at=profile.enrolled_at,
            **extra,
        )


class VoiceEnrolled(VoiceOut):
    replaced: bool = Field(
        description="true when a voice of this name existed and this one took its place"
    )
    warnings: list[str] = Field(
        [],
        description="saved, but its sample was short or seemed to hold another voice: "
        "enrol again with more recordings of the person alone",
    )


class VoiceList(BaseModel):
    voices: list[VoiceOut]


class PersonForgotten(BaseModel):
    name: str
    deleted_recordings: list[str] = Field(description="ids of the recordings deleted whole")
    unnamed_recordings: list[str] = Field(
        description="ids of the recordings kept without the person (keep_words)"
    )
    voice_profile_deleted: bool
    mentions_redacted: list[str] = Field(
        default_factory=list,
        description="ids of other people's recordings whose words said the person's name: it "
        "became [naam] there",
    )
    mentions_not_checked: list[str] = Field(
        default_factory=list,
        description="ids of other recordings still waiting to be transcribed or being "
        "transcribed: their words could not be checked yet; forget the person again when "
        "they are done",
    )


class HideTerm(BaseModel):
    term: str = Field(
        min_length=1, max_length=400, description="the term's `lemma`, as /terms gives it"
    )


class HiddenTermOut(BaseModel):
    key: str = Field(description="the lemma it is hidden by; DELETE /hidden-terms/{key}")
    term: str
    hidden_at: datetime

    @classmethod
    def of(cls, row: HiddenTerm) -> Self:
        return cls(key=row.key, term=row.term, hidden_at=as_utc(row.hidden_at))


class HiddenTermList(BaseModel):
    terms: list[HiddenTermOut]


class TranscriptOut(BaseModel):
    language: str | None
    duration_s: float
    model: str
    segments: list[SegmentOut]
    speakers: list[SpeakerOut]
    notes: list[str]


class QuoteOut(BaseModel):
    recording_id: str
    start: float | None
    end: float | None
    text: str
    role: RoleName


class TermOut(BaseModel):
    term: str
    lemma: str
    count: int = Field(
        description="times said by the role asked for (`?role=`; suggestions: customers), "
        "or by everyone"
    )
    count_by_role: dict[str, int] = Field(description="times said by each role, always all")
    score: float
    variants: list[str]
    quotes: list[QuoteOut]
    recordings: int
    keyness: float
    why: str = Field("", description="the score explained in words")


class TermsOut(BaseModel):
    terms: list[TermOut]


class RisingTermOut(TermOut):
    before: int = Field(description="times said before `since` (0: a new word)")
    ratio: float = Field(description="its rate per content word since, over its rate before")


class RisingTermsOut(BaseModel):
    since: date
    terms: list[RisingTermOut]


class SuggestionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a misspelt field is an error, not ignored

    text: str | None = Field(None, max_length=2_000_000, description="the page copy as plain text")
    html: str | None = Field(
        None, max_length=5_000_000, description="the page as HTML (scripts and styles ignored)"
    )
    url: str | None = Field(
        None,
        max_length=2000,
        description="a page to fetch; only on the domains in RIDEALONG_PAGE_FETCH_DOMAINS",
    )
    language: Literal["nl", "en"] | None = Field(None, description="default: guessed")
    limit: int = Field(20, ge=1, le=200)

    @field_validator("language", mode="before")
    @classmethod
    def _lower_case(cls, value: object) -> object:
        """ "NL" as uploads and reports take it."""
        return value.strip().lower() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _one_source(self) -> SuggestionRequest:
        if sum(x is not None for x in (self.text, self.html, self.url)) != 1:
            raise ValueError("send exactly one of 'text', 'html' or 'url'")
        return self


class QuestionOut(BaseModel):
    recording_id: str
    text: str
    role: RoleName
    start: float | None
    end: float | None
    language: str


class QuestionGroupOut(BaseModel):
    question: str = Field(description="the most typical phrasing")
    count: int = Field(description="times asked")
    recordings: int = Field(description="conversations it was asked in")
    keywords: list[str]
    quotes: list[QuestionOut]
    page_lacks: list[str] | None = Field(
        None,
        description="in page suggestions: the keywords the page does not use, which leave the "
        "question unanswered",
    )
    page_gives_no: Literal["price", "time"] | None = Field(
        None,
        description="in page suggestions: the page speaks of the question's topics but gives "
        "no amount (price) or time (time), which is what the question asks",
    )


class QuestionsOut(BaseModel):
    questions: list[QuestionGroupOut]


class SuggestedTermOut(TermOut):
    reason: str


class ReplacementOut(BaseModel):
    page_term: str = Field(description="the page term's lemma key")
    page_says: str = Field(description="the page's own words for it, as written there")
    customer_term: str
    customer_lemma: str
    customer_count: int = Field(description="times customers said the customer term")
    similarity: float
    quote: QuoteOut | None


class PageWordOut(BaseModel):
    term: str = Field(description="as the page writes it")
    count: int = Field(description="times the page uses it")


class SynonymMemberOut(BaseModel):
    term: str
    lemma: str
    count: int
    count_by_role: dict[str, int]


class ChoiceOut(BaseModel):
    term: str
    lemma: str


class SynonymGroupOut(BaseModel):
    members: list[SynonymMemberOut]
    customer_choice: ChoiceOut | None
    salesperson_choice: ChoiceOut | None
    words_differ: bool = Field(description="customers and salespeople prefer different words")
    similarity: float


class SynonymsOut(BaseModel):
    groups: list[SynonymGroupOut]


class SuggestionsOut(BaseModel):
    language: str
    coverage: int = Field(ge=0, le=100)
    missing_terms: list[SuggestedTermOut]
    present_terms: list[str]
    page_words: int
    questions: list[QuestionGroupOut] = Field(
        default_factory=list, description="customer questions the page does not answer: FAQ drafts"
    )
    replacements: list[ReplacementOut] = Field(
        default_factory=list,
        description="page words customers never say, with the customers' word for the same",
    )
    terms_from: Literal["customer", "everyone"] = Field(
        "customer",
        description=(
            "whose words the page was compared with: 'everyone' (salespeople's words "
            "included) while no speech is attributed to customers"
        ),
    )
    jargon: list[PageWordOut] = Field(
        default_factory=list,
        description=(
            "the page's words that are uncommon in everyday language and that no customer "
            "said (names and verbs left out), most used first: explain them or say it as "
            "customers do"
        ),
    )
    terms_language: str | None = Field(
        None,
        description=(
            "the language most of the compared customer terms were said in; where it is not "
            "`language`, `replacements` and `jargon` are empty (they would be translations)"
        ),
    )
    recordings_language: str | None = Field(
        None,
        description=(
            "the language most analysed recordings are in; when it is not `language`, the "
            "page and the calls share few words by nature"
        ),
    )


class Health(BaseModel):
    status: Literal["ok", "unavailable"]
    database: bool
    worker: bool
