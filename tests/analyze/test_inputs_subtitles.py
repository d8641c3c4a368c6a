"""ridealong's own subtitle files read back for analysis."""

from analyze.inputs import subtitle_lines


def test_a_cue_of_digits_is_speech_and_header_blocks_are_not() -> None:
    vtt = (
        "WEBVTT\n\nNOTE made by ridealong\n\n"
        "00:00:00.000 --> 00:00:01.000\n<v Jan Smit, verkoper>Het model van\n2025\n\n"
        "7\n00:00:01.000 --> 00:00:02.000\n<v S3>Ja &amp; nee\n"
    )
    assert subtitle_lines(vtt).splitlines() == ["verkoper: Het model van 2025", "Ja & nee"]
