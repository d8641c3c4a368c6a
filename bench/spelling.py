"""`python -m bench.spelling`: what correcting non-words gains, and what it breaks.

Every shared Dutch recording (the three constructed ones as WAV, MP3 and M4A, the female
monologue and the dialogue on an 8-kHz phone line at 60, 20 and 15 dB SNR, the five Flemish
clips) and jfk.flac is transcribed once with `spelling` off; the correction is then applied
to that same transcript, so the two columns differ by the correction alone. Then the
false-correction checks: the words of every reference transcript and sample conversation,
the sample conversations as if Whisper had taken them for English, a list of right words of
sales talk (brands, Flemish forms, English verbs made Dutch), Dutch word forms from spaCy's
lookup tables that the word lists lack, and 2,000 new compounds of two common words. Prints
Markdown.
"""

from __future__ import annotations

import gzip
import json
import os
import random
import re
import resource
import tempfile
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path

import numpy as np

from bench.formats import FILES, VERSIONS
from bench.run import AUDIO, cpu_name

REPO = Path(__file__).resolve().parents[1]


def cases(tmp: Path) -> Iterator[tuple[str, np.ndarray, str]]:
    """(label, 16 kHz audio, reference text) for every recording measured."""
    from tests.conftest import reference_text, telephone_noisy, write_audio
    from transcribe import decode_audio

    folder = AUDIO / "nl_constructed"
    for name, reference_name in FILES.items():
        reference = reference_text(folder / reference_name)
        samples = decode_audio(folder / name)
        yield name, samples, reference
        for label, suffix, codec, bit_rate in VERSIONS:
            path = write_audio(samples, tmp / f"v{suffix}", codec, bit_rate=bit_rate)
            yield f"{name} as {label}", decode_audio(path), reference
        if "monologue_male" not in name:
            for snr in (60.0, 20.0, 15.0):
                phone = write_audio(
                    telephone_noisy(samples, snr), tmp / "phone.wav", "pcm_s16le", rate=8000
                )
                yield f"{name}, 8 kHz, {snr:.0f} dB", decode_audio(phone), reference
    for line in (AUDIO / "nl" / "vltts_samples.ref.tsv").read_text().splitlines()[1:]:
        name, reference = line.split("\t")
        yield name, decode_audio(AUDIO / "nl" / name), reference
    jfk = (AUDIO / "en" / "jfk.ref.txt").read_text()
    yield "jfk.flac", decode_audio(AUDIO / "en" / "jfk.flac"), jfk


def errors(reference: str, hypothesis: str) -> tuple[int, int]:
    """(word errors, reference words) with the MANIFEST's normalisation, digits spelled."""
    import jiwer

    from tests.conftest import normalise, spell_numbers_nl

    out = jiwer.process_words(normalise(reference), normalise(spell_numbers_nl(hypothesis)))
    return out.substitutions + out.deletions + out.insertions, len(normalise(reference).split())


def _changed(words: list[str], language: str = "nl") -> list[str]:
    """Each word as a segment of its own in `language`, through `correct_spelling`."""
    from transcribe.spelling import correct_spelling
    from transcribe.types import Segment, Word

    segments = [
        Segment(0.0, 1.0, w, words=(Word(0.0, 1.0, f" {w}", 0.5),), language=language)
        for w in words
    ]
    fixed = correct_spelling(segments, "nl", languages=("nl", "en"))
    return [f"{a.text} → {b.text}" for a, b in zip(segments, fixed, strict=True) if a != b]


def false_corrections() -> list[tuple[str, int, int, list[str]]]:
    """(word set, words, words changed, examples) for right words the lists may lack."""
    import spacy_lookups_data
    from wordfreq import zipf_frequency

    from transcribe.spelling import lexicon

    nl = lexicon("nl")
    assert nl is not None
    texts = [p.read_text(encoding="utf-8") for p in AUDIO.rglob("*.ref.txt")]
    texts += [p.read_text(encoding="utf-8") for p in (REPO / "samples").glob("*.txt")]
    texts.append((AUDIO / "nl" / "vltts_samples.ref.tsv").read_text(encoding="utf-8"))
    real = sorted({w for t in texts for w in re.findall(r"[^\W\d_]+", t)})
    samples = sorted({w for p in (REPO / "samples").glob("*.txt") for w in p.read_text().split()})
    listed = Path(__file__).with_name("spelling_right_words.txt").read_text(encoding="utf-8")
    sales = sorted(
        {w for line in listed.splitlines() if not line.startswith("#") for w in line.split()}
    )
    table = Path(spacy_lookups_data.__file__).parent / "data" / "nl_lemma_lookup.json.gz"
    pairs = json.loads(gzip.decompress(table.read_bytes()))
    forms = {w for pair in pairs.items() for w in pair if w.isalpha() and w.islower()}
    unlisted = sorted(w for w in forms if len(w) >= 4 and not nl.lists(w))
    parts = sorted(w for w in nl.common if len(w) >= 4 and 3.5 <= zipf_frequency(w, "nl") <= 5.5)
    rng = random.Random(0)
    compounds: set[str] = set()
    while len(compounds) < 2000:
        word = "".join(rng.sample(parts, 2))
        if not nl.lists(word):
            compounds.add(word)
    rows = []
    for label, words, language in [
        ("words of the references and sample conversations", real, "nl"),
        ("the sample conversations' words, in windows Whisper took for English", samples, "en"),
        (
            "words of sales talk: brands, Flemish, English verbs made Dutch (`bench/spelling_right_words.txt`)",
            sales,
            "nl",
        ),
        (f"spaCy's Dutch word forms the lists lack (of {len(forms):,})", unlisted, "nl"),
        ("new compounds of two common words, in no list", sorted(compounds), "nl"),
    ]:
        changed = _changed(words, language)
        rows.append((label, len(words), len(changed), changed[:8]))
    return rows


def main() -> None:
    from transcribe import TranscribeOptions, load_model, transcribe
    from transcribe.spelling import correct_spelling
    from transcribe.types import Segment, Word

    off = TranscribeOptions(speakers=False, spelling=False)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    correct_spelling(
        [Segment(0, 1, "x", words=(Word(0, 1, " ofverte", 0.5),))], "nl", (), ("nl", "en")
    )
    load_s = time.perf_counter() - started
    load_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024
    load_model(off)
    print(f"# {date.today()} · {cpu_name()} · {os.cpu_count()} cores\n")
    print("| recording | words | errors, spelling off | errors, on | corrections |")
    print("|---|---|---|---|---|")
    totals = [0, 0, 0]
    correct_s = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for label, audio, reference in cases(Path(tmp)):
            transcript = transcribe(audio, off)
            started = time.perf_counter()
            fixed = correct_spelling(transcript.segments, transcript.language, (), off.languages)
            correct_s += time.perf_counter() - started
            corrected = replace(transcript, segments=tuple(fixed))
            before, words = errors(reference, transcript.text)
            after, _ = errors(reference, corrected.text)
            changes = [
                f"{a.word.strip()} → {b.word.strip()}"
                for s0, s1 in zip(transcript.segments, fixed, strict=True)
                for a, b in zip(s0.words, s1.words, strict=True)
                if a.word != b.word
            ]
            totals = [totals[0] + words, totals[1] + before, totals[2] + after]
            print(f"| {label} | {words} | {before} | {after} | {'; '.join(changes)} |", flush=True)
    print(f"| **all** | {totals[0]} | {totals[1]} | {totals[2]} | |")
    print(
        f"\nFirst use (Dutch and English word lists loaded): {load_s:.2f} s, {load_mib:.0f} MiB"
        f" more peak memory; correcting every transcript after that: {correct_s:.2f} s.\n"
    )
    print("| correct words | words | changed | examples |")
    print("|---|---|---|---|")
    for label, count, changed, examples in false_corrections():
        print(f"| {label} | {count:,} | {changed} | {'; '.join(examples)} |")


if __name__ == "__main__":
    main()
