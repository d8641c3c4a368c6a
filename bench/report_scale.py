"""`python -m bench.report_scale`: the report over many recordings (issue #5).

Generates `--recordings` (10,000) six-minute conversations' worth of analysed transcripts:
Dutch words drawn Zipf-like from wordfreq's list, customer and salesperson turns, word pairs,
questions, tags, salespeople and dates, at the density of the sample conversations. Every recording goes through the service's real
`termstore.store_analysis`, as a finished job would, so the ingest rate is measured too.
Then the API is asked through the ASGI app (httpx, no network): `GET /api/v1/terms`
unfiltered and per role (the running totals) and with filters (the database sums the
matching recordings), and the `/report` page. Targets: /api/v1/terms p95 ≤ 100 ms at
10,000 recordings, a report over 1,000 hours ≤ 10 s.
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import statistics
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from bench.run import cpu_name

# Shaped on the sample conversations (samples/*.json through count_terms): a 6-minute call
# has about 280 content words (47 a minute) and 150 distinct terms, since the word-class
# filter keeps only noun phrases as pairs.
CONTENT_WORDS_PER_MINUTE = 47
PAIR_SHARE = 0.25  # of adjacent content words, the share that forms a noun phrase
MINUTES = 6.0
SALESPEOPLE = ["Mark", "Ilse", "Jeroen", "Fatima", "Sanne", "Bram", "Noor", "Daan"]
TAGS = ["zakelijk", "particulier", "webinar", "beurs", "Q3", "Q4", "noord", "zuid"]


def vocabulary(size: int = 20_000) -> list[str]:
    from wordfreq import top_n_list

    return [w for w in top_n_list("nl", size * 2) if w.isalpha() and len(w) >= 4][:size]


def fake_recording(
    recording_id: str, words: list[str], cum_weights: list[float], rng: random.Random
):
    """(RecordingTerms, utterances) shaped like `count_terms` output of a 6-minute call."""
    from collections import Counter, defaultdict

    from analyze import Question, Quote, RecordingTerms, TermCount, Utterance

    n_utterances = 120
    content = int(MINUTES * CONTENT_WORDS_PER_MINUTE)
    per_utterance = max(1, content // n_utterances)
    utterances: list[Utterance] = []
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    quotes: dict[str, list[Quote]] = defaultdict(list)
    words_by_role: Counter[str] = Counter()
    questions = []
    for i in range(n_utterances):
        role = "customer" if i % 2 else "salesperson"
        said = rng.choices(words, cum_weights=cum_weights, k=per_utterance)
        text = " ".join(said).capitalize() + ("?" if i % 9 == 1 else ".")
        start = i * MINUTES * 60 / n_utterances
        utterance = Utterance(recording_id, text, role, start, start + 2.5)  # type: ignore[arg-type]
        utterances.append(utterance)
        words_by_role[role] += len(said)
        pairs = [f"{a} {b}" for a, b in zip(said, said[1:], strict=False)]
        keys = said + [p for p in pairs if rng.random() < PAIR_SHARE]
        for key in keys:
            counts[key][role] += 1
            if len(quotes[key]) < 3 and all(q.text != text for q in quotes[key]):
                quotes[key].append(Quote(recording_id, start, start + 2.5, text, role))
        if text.endswith("?"):
            questions.append(Question(recording_id, text, role, start, start + 2.5))
    terms = tuple(
        TermCount(key, dict(by_role), {key: sum(by_role.values())}, tuple(quotes[key]))
        for key, by_role in sorted(counts.items())
    )
    return (
        RecordingTerms(recording_id, "nl", dict(words_by_role), terms, tuple(questions)),
        utterances,
    )


def populate(data_dir: Path, recordings: int, seed: int = 1) -> float:
    """Fill a fresh database; returns recordings stored per second."""
    from api import termstore
    from api.db import Recording, RecordingTag, Status, get_database
    from api.settings import Settings

    settings = Settings(data_dir=data_dir, _env_file=None)  # type: ignore[call-arg]
    data_dir.mkdir(parents=True, exist_ok=True)
    database = get_database(settings.sqlalchemy_url)
    rng = random.Random(seed)
    words = vocabulary()
    weights = [1 / (rank + 10) ** 1.05 for rank in range(len(words))]  # Zipf-like
    cum_weights = list(itertools.accumulate(weights))
    started = time.perf_counter()
    for n in range(recordings):
        recording_id = f"{n:032x}"
        terms, utterances = fake_recording(recording_id, words, cum_weights, rng)
        with database.session.begin() as session:
            recording = Recording(
                id=recording_id,
                title=f"gesprek {n}",
                filename=f"{n}.m4a",
                salesperson=rng.choice(SALESPEOPLE),
                customer=f"klant {rng.randrange(5000)}",
                recorded_at=date(2025, 1, 1) + timedelta(days=rng.randrange(700)),
                duration_s=MINUTES * 60,
                language="nl",
                status=Status.done,
                progress=1.0,
                consent=True,
                tag_rows=[RecordingTag(tag=t.lower()) for t in rng.sample(TAGS, 2)],
            )
            session.add(recording)
            session.flush()
            termstore.store_analysis(session, recording, terms, utterances)
        if (n + 1) % 500 == 0:
            rate = (n + 1) / (time.perf_counter() - started)
            print(f"  stored {n + 1} recordings, {rate:.0f}/s", flush=True)
    return recordings / (time.perf_counter() - started)


def timed(client, url: str, repeat: int) -> tuple[float, float]:
    """(median, p95) milliseconds of `repeat` GETs after one warm-up."""
    assert client.get(url).status_code == 200, url
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.text[:200])
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(0.95 * len(times)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--recordings", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--data-dir", type=Path, help="keep the database here (default: temp)")
    args = parser.parse_args()

    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.auth import create_api_key
    from api.db import get_database
    from api.settings import Settings

    with tempfile.TemporaryDirectory() as tmp:
        data_dir = args.data_dir or Path(tmp)
        data_dir.mkdir(parents=True, exist_ok=True)
        settings = Settings(data_dir=data_dir, _env_file=None)  # type: ignore[call-arg]
        database = get_database(settings.sqlalchemy_url)
        with database.session() as session:
            from sqlalchemy import func, select

            from api.db import Recording

            have = session.scalar(select(func.count()).select_from(Recording)) or 0
        print(f"# {date.today()} · {cpu_name()} · {os.cpu_count()} cores")
        rate = populate(data_dir, args.recordings) if have < args.recordings else float("nan")
        size_mb = (data_dir / "ridealong.db").stat().st_size / 2**20
        hours = args.recordings * MINUTES / 60
        print(f"\n{args.recordings} recordings ({hours:,.0f} h), SQLite {size_mb:,.0f} MiB, "
              f"stored at {rate:.0f} recordings/s\n")  # fmt: skip
        with database.session() as session:
            key = create_api_key(session, "bench", scope="read")
        app = create_app(settings, start_worker=False)
        with TestClient(app, headers={"Authorization": f"Bearer {key}"}) as client:
            print("| request | median (ms) | p95 (ms) |")
            print("|---|---|---|")
            for url, repeat in [
                ("/api/v1/terms", args.repeat),
                ("/api/v1/terms?role=customer", args.repeat),
                ("/api/v1/terms?role=salesperson&limit=200", args.repeat),
                ("/api/v1/terms?salesperson=mark", 5),
                ("/api/v1/terms?tag=webinar&role=customer", 5),
                ("/api/v1/terms?since=2025-06-01&until=2025-06-30", 5),
                ("/api/v1/terms?since=2020-01-01", 3),  # every recording, summed by the database
                ("/report?since=2020-01-01", 3),
                ("/report", 3),
            ]:
                median, p95 = timed(client, url, repeat)
                print(f"| `{url}` | {median:,.0f} | {p95:,.0f} |", flush=True)


if __name__ == "__main__":
    main()
