"""Term statistics in SQL: stored per recording once, merged by the database on every report.

`store_analysis` writes one recording's `RecordingTerms` (counts per role, the words each
role spoke, its utterances and questions) and adds them to running totals;
`forget_analysis` takes them out again. `ranked_terms` answers a report: without filters it
reads the head of the running totals, with filters it lets the database sum the matching
recordings' rows; both rank with the same `analyze.rank_tallies` as the in-memory
`analyze.rank_terms`, which reads only as far down the most-said list as a term could
still make the top.
"""

from __future__ import annotations

import json
import logging
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Select,
    bindparam,
    case,
    delete,
    distinct,
    exists,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, undefer

from analyze import (
    GeneralFrequency,
    Question,
    Quote,
    RankedTally,
    RecordingTerms,
    Term,
    TermCount,
    TermTally,
    Utterance,
    WordfreqFrequency,
    drop_covered_words,
    make_term,
    rank_tallies,
    ranking_room,
    utterances_from_transcript,
)
from api.db import (
    STATS_VERSION,
    HiddenTerm,
    QuestionRow,
    Recording,
    RecordingWords,
    Status,
    TermCountRow,
    TermForm,
    TermKey,
    TermTotal,
    UtteranceRow,
    WordTotal,
    insert_on_conflict,
    report_day,
)
from transcribe import Transcript
from transcribe.types import ROLES

__all__ = [
    "EVERYONE",
    "Trend",
    "forget_analysis",
    "monthly_trend",
    "prune_terms",
    "ranked_terms",
    "recording_questions",
    "roles_spoken",
    "said_by",
    "store_analysis",
    "store_missing",
]

logger = logging.getLogger(__name__)

EVERYONE = "*"  # the role of the running totals over every speaker
_QUOTE_ROLE_ORDER = ("customer", "unknown", "other", "salesperson")  # whose words to quote first


def _upsert(session: Session, table: Any, rows: list[dict[str, Any]], keys: list[str]) -> None:
    """Insert rows, adding `count` (and `recordings`) to rows that exist: one statement
    that is safe with concurrent writers on SQLite and PostgreSQL."""
    if not rows:
        return
    rows = sorted(rows, key=lambda row: tuple(row[k] for k in keys))  # one lock order
    statement = insert_on_conflict(session, table)
    added = {
        column: getattr(table, column) + getattr(statement.excluded, column)
        for column in rows[0]
        if column in ("count", "recordings", "words")
    }
    connection = session.connection()  # Core executemany: ORM bulk inserts cost 10x more
    connection.execute(statement.on_conflict_do_update(index_elements=keys, set_=added), rows)


def _term_ids(
    session: Session,
    terms: RecordingTerms,
    frequency: GeneralFrequency,
    refreshed: set[str] | None = None,
) -> dict[str, int]:
    """The id of every term of a recording, adding the ones never seen before. With
    `refreshed` (the keys a run of `reanalyze` has already set), a known key not in it
    takes this recording's general frequency, as a new one would: an upgrade that changed
    how it is computed reaches the terms stored before."""
    known = _ids_of(session, [t.key for t in terms.terms], lock=True)

    def heard_here(term: TermCount) -> dict[str, Any]:
        return {"language": terms.language, "general": terms.general_frequency_of(term, frequency)}

    new = [{"key": t.key, **heard_here(t)} for t in terms.terms if t.key not in known]
    if refreshed is not None:
        again = [
            {"id": known[t.key], **heard_here(t)}
            for t in terms.terms
            if t.key in known and t.key not in refreshed
        ]
        if again:
            again.sort(key=lambda row: row["id"])  # one lock order for concurrent writers
            session.execute(update(TermKey), again)
        refreshed.update(t.key for t in terms.terms)
    if new:
        new.sort(key=lambda row: row["key"])  # one lock order for concurrent writers
        statement = insert_on_conflict(session, TermKey)
        statement = statement.on_conflict_do_nothing(index_elements=["key"])
        session.connection().execute(statement, new)
        known.update(_ids_of(session, [row["key"] for row in new], lock=True))
    return known


def _ids_of(session: Session, keys: Sequence[str], *, lock: bool = False) -> dict[str, int]:
    """{key: id} of the keys already known, asked 500 at a time (SQL parameter limits).

    `lock`: keep them (PostgreSQL's FOR KEY SHARE) until the caller's counts that refer to
    them are committed, so `prune_terms` in another transaction cannot delete them first.
    """
    ids: dict[str, int] = {}
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        query = select(TermKey.key, TermKey.id).where(TermKey.key.in_(chunk))
        if lock:
            query = query.with_for_update(read=True, key_share=True)
        ids.update((key, term_id) for key, term_id in session.execute(query))
    return ids


def store_analysis(
    session: Session,
    recording: Recording,
    terms: RecordingTerms,
    utterances: Sequence[Utterance],
    frequency: GeneralFrequency | None = None,
    refreshed: set[str] | None = None,
) -> None:
    """Replace one recording's statistics with `terms` (in the caller's transaction);
    `refreshed`: see `_term_ids`."""
    previous = forget_analysis(session, recording.id)
    frequency = frequency or WordfreqFrequency()
    ids = _term_ids(session, terms, frequency, refreshed)
    where = {(u.start, u.end, u.text): i for i, u in reversed(list(enumerate(utterances)))}
    _insert_rows(
        session,
        UtteranceRow,
        [{"recording_id": recording.id, "idx": i, "start": u.start, "end": u.end,
          "role": u.role, "text": u.text} for i, u in enumerate(utterances)],
    )  # fmt: skip
    counts, totals, forms = [], [], []
    for tc in terms.terms:
        term_id = ids[tc.key]
        for role, count in tc.count_by_role.items():
            if count <= 0:
                continue
            quoted = [
                str(where[(q.start, q.end, q.text)])
                for q in tc.quotes
                if q.role == role and (q.start, q.end, q.text) in where
            ]
            counts.append(
                {"recording_id": recording.id, "term_id": term_id, "role": role,
                 "count": count, "quotes": " ".join(quoted)}
            )  # fmt: skip
            totals.append({"term_id": term_id, "role": role, "count": count, "recordings": 1})
        everyone = sum(tc.count_by_role.values())
        if everyone > 0:
            totals.append(
                {"term_id": term_id, "role": EVERYONE, "count": everyone, "recordings": 1}
            )
        forms += [
            {"term_id": term_id, "surface": surface[:400], "count": n}
            for surface, n in tc.surface_counts.items()
        ]
    _insert_rows(session, TermCountRow, counts)
    _upsert(session, TermTotal, totals, ["term_id", "role"])
    _upsert(session, TermForm, _summed(forms), ["term_id", "surface"])
    words = {role: n for role, n in terms.words_by_role.items() if n}
    words[EVERYONE] = sum(words.values())
    _upsert(session, WordTotal, [{"role": r, "words": n} for r, n in words.items()], ["role"])
    _insert_rows(
        session,
        RecordingWords,
        [{"recording_id": recording.id, "role": role, "words": words}
         for role, words in terms.words_by_role.items()],
    )  # fmt: skip
    _insert_rows(
        session,
        QuestionRow,
        [{"recording_id": recording.id, "idx": i, "role": q.role, "text": q.text,
          "start": q.start, "end": q.end, "language": q.language}
         for i, q in enumerate(terms.questions)],
    )  # fmt: skip
    recording.terms_json = json.dumps(terms.to_dict(), ensure_ascii=False)
    recording.stats_version = STATS_VERSION
    session.flush()
    prune_terms(session, previous)  # a recount can drop terms (a name now known as one)


def _insert_rows(session: Session, table: Any, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.connection().execute(insert(table), rows)


def _summed(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows with the same (term, surface) folded into one (surfaces cut to 400 characters
    may collide)."""
    by_key: Counter[tuple[int, str]] = Counter()
    for row in rows:
        by_key[(row["term_id"], row["surface"])] += row["count"]
    return [{"term_id": t, "surface": s, "count": n} for (t, s), n in by_key.items()]


def forget_analysis(session: Session, recording_id: str) -> set[int]:
    """Take one recording's statistics out of the totals and delete them; returns the ids
    of the terms it had (for `prune_terms`)."""
    rows = session.execute(
        select(TermCountRow.term_id, TermCountRow.role, TermCountRow.count).where(
            TermCountRow.recording_id == recording_id
        )
    ).all()
    if rows:
        by_term: Counter[int] = Counter()
        decrements = []
        for term_id, role, count in rows:
            by_term[term_id] += count
            decrements.append({"t": term_id, "r": role, "n": count})
        decrements += [{"t": t, "r": EVERYONE, "n": n} for t, n in by_term.items()]
        decrements.sort(key=lambda row: (row["t"], row["r"]))  # the upserts' lock order
        session.connection().execute(  # Core executemany (ORM would want primary keys)
            update(TermTotal)
            .where(TermTotal.term_id == bindparam("t"), TermTotal.role == bindparam("r"))
            .values(count=TermTotal.count - bindparam("n"), recordings=TermTotal.recordings - 1)
            .execution_options(synchronize_session=False),
            decrements,
        )
        previous = session.scalar(select(Recording.terms_json).where(Recording.id == recording_id))
        forms = _stored_forms(previous, {t for t, _, _ in rows}, session)
        if forms:
            session.connection().execute(
                update(TermForm)
                .where(TermForm.term_id == bindparam("t"), TermForm.surface == bindparam("s"))
                .values(count=TermForm.count - bindparam("n"))
                .execution_options(synchronize_session=False),
                forms,
            )
    spoken = session.execute(
        select(RecordingWords.role, RecordingWords.words).where(
            RecordingWords.recording_id == recording_id
        )
    ).all()
    if spoken:
        minus: list[dict[str, Any]] = [{"r": role, "n": n} for role, n in spoken]
        minus.append({"r": EVERYONE, "n": sum(n for _, n in spoken)})
        session.connection().execute(
            update(WordTotal)
            .where(WordTotal.role == bindparam("r"))
            .values(words=WordTotal.words - bindparam("n")),
            sorted(minus, key=lambda row: str(row["r"])),
        )
    for table in (TermCountRow, RecordingWords, UtteranceRow, QuestionRow):
        session.execute(delete(table).where(table.recording_id == recording_id))
    session.execute(
        update(Recording).where(Recording.id == recording_id).values(stats_version=None)
    )
    return {term_id for term_id, _, _ in rows}


def prune_terms(session: Session, term_ids: Collection[int]) -> None:
    """Delete what no recording says any more among `term_ids`: the terms themselves, and
    the totals and spoken forms that have come down to zero.

    Without this a deleted recording's words ("pieter van dijk") would stay in the database
    for good. A term that a job storing a recording at this moment is about to count is
    locked by that job (PostgreSQL) and skipped here, never waited for: it stays until the
    next prune. Should the database still refuse, the savepoint is undone and the caller's
    delete goes on.
    """
    ids = sorted(term_ids)
    for first in range(0, len(ids), 500):
        chunk = ids[first : first + 500]
        try:
            with session.begin_nested():
                session.execute(
                    delete(TermForm).where(TermForm.term_id.in_(chunk), TermForm.count <= 0)
                )
                session.execute(
                    delete(TermTotal).where(TermTotal.term_id.in_(chunk), TermTotal.count <= 0)
                )
                unused = list(
                    session.scalars(
                        select(TermKey.id)
                        .where(
                            TermKey.id.in_(chunk),
                            ~exists().where(TermCountRow.term_id == TermKey.id),
                        )
                        .with_for_update(skip_locked=True)
                    )
                )
                if unused:
                    for table in (TermForm, TermTotal):
                        session.execute(delete(table).where(table.term_id.in_(unused)))
                    session.execute(delete(TermKey).where(TermKey.id.in_(unused)))
        except DBAPIError as e:
            logger.info("terms in use by a job storing now are pruned later (%s)", e.orig)


def _stored_forms(
    document: str | None, term_ids: set[int], session: Session
) -> list[dict[str, Any]]:
    """The surface-form decrements for a recording, from its stored terms document."""
    if not document:
        return []
    try:
        terms = RecordingTerms.from_dict(json.loads(document))
    except (ValueError, KeyError, TypeError):
        return []
    ids = _ids_of(session, [t.key for t in terms.terms])
    forms = [
        {"term_id": ids[t.key], "surface": surface[:400], "count": n}
        for t in terms.terms
        if ids.get(t.key) in term_ids
        for surface, n in t.surface_counts.items()
    ]
    summed = sorted(_summed(forms), key=lambda r: (r["term_id"], r["surface"]))  # lock order
    return [{"t": r["term_id"], "s": r["surface"], "n": r["count"]} for r in summed]


def store_missing(session: Session) -> int:
    """Store the statistics of processed recordings that have none or an older version
    (databases from before the statistics existed, an upgrade): from their transcripts and
    terms documents, without speech recognition. Returns how many were stored."""
    from analyze import count_terms

    pending = session.scalars(
        select(Recording.id).where(
            Recording.status == Status.done,
            Recording.transcript_json.is_not(None),
            (Recording.stats_version.is_(None)) | (Recording.stats_version != STATS_VERSION),
        )
    ).all()
    for recording_id in pending:
        recording = session.scalar(
            select(Recording)
            .where(Recording.id == recording_id)
            .options(undefer(Recording.transcript_json), undefer(Recording.terms_json))
        )
        if recording is None:
            continue
        transcript = Transcript.from_dict(json.loads(recording.transcript_json or "{}"))
        utterances = utterances_from_transcript(transcript, recording.id)
        try:
            terms = RecordingTerms.from_dict(json.loads(recording.terms_json or ""))
        except (ValueError, KeyError, TypeError):
            terms = count_terms(utterances, recording.id)
        store_analysis(session, recording, terms, utterances)
        session.commit()
    return len(pending)


# --- reading ----------------------------------------------------------------------------------


def roles_spoken(session: Session, recordings: Select[Any] | None) -> set[str]:
    """The roles with any words in `recordings` (None: every analysed recording)."""
    if recordings is None:
        query = select(WordTotal.role).where(WordTotal.words > 0, WordTotal.role != EVERYONE)
    else:
        query = (
            select(RecordingWords.role)
            .where(RecordingWords.recording_id.in_(recordings), RecordingWords.words > 0)
            .distinct()
        )
    return set(session.scalars(query))


def recordings_with_role(
    session: Session, recordings: Select[Any] | None, role: str, limit: int = 5
) -> tuple[int, list[str]]:
    """(how many of `recordings` hold words spoken in `role`, the ids of the first `limit`)."""
    query = select(RecordingWords.recording_id).where(
        RecordingWords.role == role, RecordingWords.words > 0
    )
    if recordings is not None:
        query = query.where(RecordingWords.recording_id.in_(recordings))
    count = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    ids = list(session.scalars(query.order_by(RecordingWords.recording_id).limit(limit)))
    return count, ids


def ranked_terms(
    session: Session,
    recordings: Select[Any] | None,
    *,
    role: str | None = None,
    limit: int = 50,
    min_count: int = 1,
    min_phrase_count: int = 2,
    max_quotes: int = 3,
) -> list[Term]:
    """The best terms over `recordings` (a query of recording ids; None: every analysed
    recording, answered from the running totals), without the terms people hid."""
    term_ids: dict[str, int] = {}  # filled as tallies are read
    if recordings is None:
        words = select(WordTotal.words).where(WordTotal.role == (role or EVERYONE))
        tallies: Iterable[TermTally] = _total_tallies(session, role, term_ids)
    else:
        words = select(func.sum(RecordingWords.words)).where(
            RecordingWords.recording_id.in_(recordings)
        )
        if role is not None:
            words = words.where(RecordingWords.role == role)
        tallies = _filtered_tallies(session, recordings, role, term_ids)
    total_words = int(session.scalar(words) or 0)
    hidden = set(session.scalars(select(HiddenTerm.key)))
    if hidden:
        tallies = (t for t in tallies if t.key not in hidden)
    ranked = rank_tallies(
        tallies,
        total_words,
        keep=ranking_room(limit),
        min_count=max(min_count, 1),
        min_phrase_count=min_phrase_count,
        descending_counts=True,
    )
    if not ranked:
        return []
    # Words inside a ranked phrase drop out first, so only the terms shown are looked up.
    kept = {
        t.lemma for t in drop_covered_words([make_term(r, role, [], []) for r in ranked])[:limit]
    }
    ranked = [r for r in ranked if r.tally.key in kept]
    ids = [term_ids[r.tally.key] for r in ranked]
    by_role = (
        _counts_by_role(session, ids)
        if recordings is None
        else {term_ids[r.tally.key]: dict(r.tally.count_by_role) for r in ranked}
    )
    forms = _forms(session, ids)
    quotes = _quotes(session, ids, recordings, role, max_quotes)
    return [
        make_term(
            _with_roles(r, by_role.get(term_id, {})),
            role,
            forms.get(term_id, []),
            quotes.get(term_id, []),
        )
        for r, term_id in zip(ranked, ids, strict=True)
    ]


def _with_roles(ranked: RankedTally, by_role: Mapping[str, int]) -> RankedTally:
    tally = ranked.tally
    return RankedTally(
        TermTally(tally.key, tally.count, by_role, tally.recordings, tally.general,
                  tally.language),
        ranked.score,
        ranked.keyness,
    )  # fmt: skip


def _total_tallies(
    session: Session, role: str | None, term_ids: dict[str, int]
) -> Iterator[TermTally]:
    rows = session.execute(
        select(
            TermTotal.term_id,
            TermKey.key,
            TermKey.language,
            TermKey.general,
            TermTotal.count,
            TermTotal.recordings,
        )
        .join(TermKey, TermKey.id == TermTotal.term_id)
        .where(TermTotal.role == (role or EVERYONE), TermTotal.count > 0)
        .order_by(TermTotal.count.desc())
        .execution_options(yield_per=1000)
    )
    try:  # read in batches; the ranking stops early, and the cursor must close then too
        for term_id, key, language, general, count, recordings in rows:
            term_ids[key] = term_id
            yield TermTally(key, count, {}, recordings, general, language)
    finally:
        rows.close()


def _filtered_tallies(
    session: Session, recordings: Select[Any], role: str | None, term_ids: dict[str, int]
) -> Iterator[TermTally]:
    if role is None:
        said = func.sum(TermCountRow.count)
        spread = func.count(distinct(TermCountRow.recording_id))
    else:
        said = func.sum(case((TermCountRow.role == role, TermCountRow.count), else_=0))
        spread = func.count(distinct(case((TermCountRow.role == role, TermCountRow.recording_id))))
    by_role = [
        func.sum(case((TermCountRow.role == who, TermCountRow.count), else_=0)).label(who)
        for who in ROLES
    ]  # every role's count in the same pass, for `count_by_role`
    per_term = (
        select(TermCountRow.term_id, said.label("said"), spread.label("spread"), *by_role)
        .where(TermCountRow.recording_id.in_(recordings))
        .group_by(TermCountRow.term_id)
        .having(said > 0)
        .subquery()
    )
    rows = session.execute(
        select(
            per_term.c.term_id,
            TermKey.key,
            TermKey.language,
            TermKey.general,
            per_term.c.said,
            per_term.c.spread,
            *(per_term.c[who] for who in ROLES),
        )
        .join(TermKey, TermKey.id == per_term.c.term_id)
        .order_by(per_term.c.said.desc())
        .execution_options(yield_per=1000)
    )
    try:
        for term_id, key, language, general, count, spread_, *counts in rows:
            term_ids[key] = term_id
            roles: dict[str, int] = {w: int(n) for w, n in zip(ROLES, counts, strict=True) if n}
            yield TermTally(key, int(count), roles, int(spread_), general, language)
    finally:
        rows.close()


def _counts_by_role(session: Session, ids: list[int]) -> dict[int, dict[str, int]]:
    """Each term's count per role over every analysed recording (the running totals)."""
    query = select(TermTotal.term_id, TermTotal.role, TermTotal.count).where(
        TermTotal.term_id.in_(ids), TermTotal.role != EVERYONE
    )
    by_role: dict[int, dict[str, int]] = defaultdict(dict)
    for term_id, role, count in session.execute(query):
        by_role[term_id][role] = int(count)
    return by_role


def _forms(session: Session, ids: list[int]) -> dict[int, list[str]]:
    """How each term was said over all recordings, most said first."""
    rows = session.execute(
        select(TermForm.term_id, TermForm.surface, TermForm.count)
        .where(TermForm.term_id.in_(ids), TermForm.count > 0)
        .order_by(TermForm.term_id, TermForm.count.desc(), TermForm.surface)
    )
    forms: dict[int, list[str]] = defaultdict(list)
    for term_id, surface, _count in rows:
        forms[term_id].append(surface)
    return forms


def _quotes(
    session: Session,
    ids: list[int],
    recordings: Select[Any] | None,
    role: str | None,
    max_quotes: int,
) -> dict[int, list[Quote]]:
    """A few quotes per term: the customers' words first, from different recordings, from
    the recordings where the term was said most (one indexed LIMIT query per term)."""
    roles = [role] if role else list(_QUOTE_ROLE_ORDER)
    connection = session.connection()  # Core: the same statement, compiled once, 50x over
    picked: dict[int, list[tuple[str, int]]] = {term_id: [] for term_id in ids}

    def take(term_id: int, recording_id: str, quoted: str) -> None:
        chosen = picked[term_id]
        if len(chosen) < max_quotes and all(r != recording_id for r, _ in chosen):
            chosen.append((recording_id, int(quoted.split()[0])))

    if recordings is None:
        query = (
            select(TermCountRow.recording_id, TermCountRow.quotes)
            .where(
                TermCountRow.term_id == bindparam("term_id"),
                TermCountRow.role == bindparam("role"),
                TermCountRow.quotes != "",
            )
            .order_by(TermCountRow.count.desc(), TermCountRow.recording_id)
            .limit(max_quotes)
        )
        for term_id in ids:
            for who in roles:
                for recording_id, quoted in connection.execute(
                    query, {"term_id": term_id, "role": who}
                ):
                    take(term_id, recording_id, quoted)
                if len(picked[term_id]) >= max_quotes:
                    break
    else:
        # One query for every term: the filter's subquery runs once, not once per term.
        rank = (
            func.row_number()
            .over(
                partition_by=(TermCountRow.term_id, TermCountRow.role),
                order_by=(TermCountRow.count.desc(), TermCountRow.recording_id),
            )
            .label("rank")
        )
        best = (
            select(
                TermCountRow.term_id,
                TermCountRow.role,
                TermCountRow.recording_id,
                TermCountRow.quotes,
                rank,
            )
            .where(
                TermCountRow.term_id.in_(ids),
                TermCountRow.role.in_(roles),
                TermCountRow.quotes != "",
                TermCountRow.recording_id.in_(recordings),
            )
            .subquery()
        )
        order = {who: i for i, who in enumerate(roles)}
        for term_id, _, recording_id, quoted, _ in sorted(
            connection.execute(select(best).where(best.c.rank <= max_quotes)),
            key=lambda row: (order[row.role], row.term_id, row.rank),
        ):
            take(term_id, recording_id, quoted)
    wanted = {pair for chosen in picked.values() for pair in chosen}
    texts: dict[tuple[str, int], Any] = {}
    recording_ids = sorted({rid for rid, _ in wanted})
    indices = sorted({idx for _, idx in wanted})
    for start in range(0, len(recording_ids), 300):
        # Both lists as plain INs (the primary key serves them; row-value INs scan on SQLite),
        # then the pairs actually wanted.
        rows = connection.execute(
            select(
                UtteranceRow.recording_id,
                UtteranceRow.idx,
                UtteranceRow.start,
                UtteranceRow.end,
                UtteranceRow.text,
                UtteranceRow.role,
            ).where(
                UtteranceRow.recording_id.in_(recording_ids[start : start + 300]),
                UtteranceRow.idx.in_(indices),
            )
        )
        texts.update(
            {(r.recording_id, r.idx): r for r in rows if (r.recording_id, r.idx) in wanted}
        )
    return {
        term_id: [
            Quote(rid, row.start, row.end, row.text, row.role)
            for rid, idx in chosen
            if (row := texts.get((rid, idx))) is not None
        ]
        for term_id, chosen in picked.items()
    }


def said_by(
    session: Session,
    keys: Collection[str],
    role: str | None,
    recordings: Select[Any] | None = None,
) -> set[str]:
    """Which of `keys` `role` (None: anyone) said in `recordings` (None: any analysed one)."""
    said: set[str] = set()
    listed = list(keys)
    for start in range(0, len(listed), 500):
        chunk = listed[start : start + 500]
        if recordings is None:
            query = (
                select(TermKey.key)
                .join(TermTotal, TermTotal.term_id == TermKey.id)
                .where(TermTotal.role == (role or EVERYONE), TermTotal.count > 0)
            )
        else:
            query = (
                select(TermKey.key)
                .join(TermCountRow, TermCountRow.term_id == TermKey.id)
                .where(TermCountRow.recording_id.in_(recordings), TermCountRow.count > 0)
                .distinct()
            )
            if role is not None:
                query = query.where(TermCountRow.role == role)
        said.update(session.scalars(query.where(TermKey.key.in_(chunk))))
    return said


def term_counts(
    session: Session, recordings: Select[Any], keys: Collection[str], role: str | None
) -> tuple[Counter[str], int]:
    """How often `role` (None: anyone) said each of `keys` in `recordings`, and how many
    content words it said there in all (the denominator of a rate)."""
    words_query = select(func.sum(RecordingWords.words)).where(
        RecordingWords.recording_id.in_(recordings)
    )
    if role is not None:
        words_query = words_query.where(RecordingWords.role == role)
    counts: Counter[str] = Counter()
    listed = list(keys)
    for start in range(0, len(listed), 500):
        query = (
            select(TermKey.key, func.sum(TermCountRow.count))
            .join(TermKey, TermKey.id == TermCountRow.term_id)
            .where(
                TermCountRow.recording_id.in_(recordings),
                TermKey.key.in_(listed[start : start + 500]),
            )
            .group_by(TermKey.key)
        )
        if role is not None:
            query = query.where(TermCountRow.role == role)
        counts.update({key: int(n or 0) for key, n in session.execute(query)})
    return counts, int(session.scalar(words_query) or 0)


def recording_questions(
    session: Session, recordings: Select[Any] | None, role: str | None, limit: int
) -> list[Question]:
    """The latest `limit` questions asked in `recordings` (None: every analysed one)."""
    query = select(QuestionRow).join(Recording, Recording.id == QuestionRow.recording_id)
    query = query.where(Recording.status == Status.done)
    if recordings is not None:
        query = query.where(QuestionRow.recording_id.in_(recordings))
    if role is not None:
        query = query.where(QuestionRow.role == role)
    query = query.order_by(
        Recording.created_at.desc(), QuestionRow.recording_id, QuestionRow.idx
    ).limit(limit)
    return [
        Question(q.recording_id, q.text, q.role, q.start, q.end, q.language)
        for q in session.scalars(query)
    ]


@dataclass(frozen=True, slots=True)
class Trend:
    """How often terms were said per month, per 1,000 content words of the role asked for
    (so a busy month does not look like a rising term)."""

    months: tuple[str, ...]  # "2026-10", every month from the first to the last
    words: tuple[int, ...]  # content words spoken per month
    rates: Mapping[str, tuple[float, ...]]  # term key -> said per 1,000 words, per month


def monthly_trend(
    session: Session, recordings: Select[Any] | None, role: str | None, keys: Sequence[str]
) -> Trend:
    """The trend of `keys` over the months of `recordings` (None: every analysed one)."""
    covered = recordings if recordings is not None else (
        select(Recording.id).where(Recording.status == Status.done)
    )  # fmt: skip
    day = report_day()
    words_query = (
        select(day, func.sum(RecordingWords.words))
        .join(Recording, Recording.id == RecordingWords.recording_id)
        .where(RecordingWords.recording_id.in_(covered))
        .group_by(day)
    )
    said_query = (
        select(TermKey.key, day, func.sum(TermCountRow.count))
        .join(TermKey, TermKey.id == TermCountRow.term_id)
        .join(Recording, Recording.id == TermCountRow.recording_id)
        .where(TermKey.key.in_(list(keys)), TermCountRow.recording_id.in_(covered))
        .group_by(TermKey.key, day)
    )
    if role is not None:
        words_query = words_query.where(RecordingWords.role == role)
        said_query = said_query.where(TermCountRow.role == role)
    words: Counter[str] = Counter()
    for when, n in session.execute(words_query):
        words[str(when)[:7]] += int(n or 0)
    said: dict[str, Counter[str]] = defaultdict(Counter)
    for key, when, n in session.execute(said_query):
        said[key][str(when)[:7]] += int(n or 0)
    months = _month_range(min(words), max(words)) if words else ()
    return Trend(
        months=months,
        words=tuple(words[m] for m in months),
        rates={
            key: tuple(round(1000 * said[key][m] / words[m], 2) if words[m] else 0.0
                       for m in months)
            for key in keys
        },
    )  # fmt: skip


def _month_range(first: str, last: str) -> tuple[str, ...]:
    """Every "YYYY-MM" from `first` to `last`, gaps included."""
    year, month = int(first[:4]), int(first[5:7])
    months = []
    while f"{year:04d}-{month:02d}" <= last:
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return tuple(months)
