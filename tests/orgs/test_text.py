"""The one rule for which strings Roster stores (orgs.text)."""

import re

import pytest

from orgs.exceptions import InvalidInput
from orgs.text import clean_text, text_problem


@pytest.mark.parametrize(
    "value",
    ["Ada", "Émile Zoë", "李小龍", "o'brien-smith", "a b", "😀", "\u200fmark", ""],
)
def test_ordinary_text_is_stored(value):
    assert text_problem(value) is None
    assert clean_text(value, field="name") == value


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("\ud800", "unpaired surrogate"),
        ("a\udfffb", "unpaired surrogate"),
        ("a\x00b", "control character (U+0000)"),
        ("a\x1bb", "control character (U+001B)"),
        ("a\x85b", "control character (U+0085)"),
        ("a\nb", "control character (U+000A)"),
        ("evil\u202etxt.exe", "bidirectional control character (U+202E)"),
        ("x\u2066y", "bidirectional control character (U+2066)"),
    ],
)
def test_unstorable_text_is_refused_with_its_reason(value, reason):
    assert reason in text_problem(value)
    with pytest.raises(InvalidInput, match="^givenName contains .*" + re.escape(reason)):
        clean_text(value, field="givenName")


def test_multiline_text_allows_line_breaks_and_tabs_only():
    assert text_problem("1 Main St\r\nSpringfield\tUS", multiline=True) is None
    assert "U+0000" in text_problem("a\n\x00", multiline=True)
    assert "U+202E" in text_problem("a\n\u202e", multiline=True)


def test_max_length_is_checked_after_the_characters():
    assert clean_text("a" * 5, field="userName", max_length=5) == "a" * 5
    with pytest.raises(InvalidInput, match="userName must be at most 4 characters"):
        clean_text("a" * 5, field="userName", max_length=4)
