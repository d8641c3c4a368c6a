from pathlib import Path

from api.settings import Settings
from transcribe.glossary import glossary_prompt, read_glossary


def test_glossary_file_lines_commas_and_comments(tmp_path: Path) -> None:
    path = tmp_path / "glossary.txt"
    path.write_text(
        "# our products\nZonnig Dak, thuisbatterij\n\nSolarEdge  # brand\nthuisbatterij\n"
    )
    terms = read_glossary(path)
    assert terms == ["Zonnig Dak", "thuisbatterij", "SolarEdge", "thuisbatterij"]
    assert glossary_prompt(terms) == "Zonnig Dak, thuisbatterij, SolarEdge"


def test_long_glossaries_are_cut_at_a_term_boundary() -> None:
    prompt = glossary_prompt(f"product{i}" for i in range(500))
    assert len(prompt) <= 600 and prompt.endswith(tuple("0123456789"))


def test_the_setting_reaches_the_decoder_options() -> None:
    settings = Settings(glossary="Zonnig Dak, SolarEdge")  # type: ignore[call-arg]
    assert settings.transcribe_options().hotwords == "Zonnig Dak, SolarEdge"
    assert Settings().transcribe_options().hotwords is None  # type: ignore[call-arg]
    per_recording = settings.transcribe_options("nl", "thuisbatterij, solaredge")
    assert per_recording.hotwords == "Zonnig Dak, SolarEdge, thuisbatterij"
