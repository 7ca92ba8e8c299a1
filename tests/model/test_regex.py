"""Portable regular expressions: one pattern, four engines, the same answers."""

from __future__ import annotations

import re
from collections.abc import Iterator

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadscore.model.regex import MAX_PATTERN_LENGTH, PatternError, check, portable
from leadscore.values import ascii_lower

FLAVORS = ("python", "re2", "postgres", "java")


def renderings(pattern: str, ignore_case: bool = False) -> dict[str, str]:
    return {flavor: portable(pattern, flavor, ignore_case) for flavor in FLAVORS}


def same(text: str) -> dict[str, str]:
    return dict.fromkeys(FLAVORS, text)


# (pattern, ignore_case, expected rendering per flavor)
TRANSLATIONS = [
    # the end of the whole text: Python and Java would also match before a final newline
    (
        r"^abc$",
        False,
        {"python": r"^abc\Z", "re2": "^abc$", "postgres": "^abc$", "java": r"^abc\z"},
    ),
    # a word boundary is \y in PostgreSQL, where \b is a backspace
    (r"\bvp\b", False, {**same(r"\bvp\b"), "postgres": r"\yvp\y"}),
    # . never matches a newline (PostgreSQL's does, Java's also skips \r)
    ("a.c", False, same(r"a[^\n]c")),
    # ASCII classes everywhere
    (r"\d+\.\d*", False, same(r"[0-9]+\.[0-9]*")),
    (r"\w+@\w+", False, same("[0-9A-Za-z_]+@[0-9A-Za-z_]+")),
    (r"\s", False, same(r"[\t\n\f\r ]")),
    (r"\D\W\S", False, same(r"[^0-9][^0-9A-Za-z_][^\t\n\f\r ]")),
    (r"[\d_]", False, same("[0-9_]")),
    # ignore_case folds ASCII letters of the pattern (the value is folded at match time)
    ("VP", True, same("vp")),
    ("Éa", True, same("Éa")),
    (r"(?:VP|Chief)\s+of", True, same(r"(?:vp|chief)[\t\n\f\r ]+of")),
    ("[A-Z]{2,3}", True, same("[a-z]{2,3}")),
    # a range that is not all upper-case letters keeps its other characters
    ("[A-z]", True, same("[A-za-z]")),
    ("[0-Z]", True, same("[0-Za-z]")),
    ("[Z-a]", True, same("[Z-az]")),
    ("[Z-a]", False, same("[Z-a]")),
    # inside classes, characters that are syntax somewhere are escaped
    ("[a&&b]", False, same(r"[a\&\&b]")),
    ("[~|]", False, same(r"[\~\|]")),
    ("[+--]", False, same(r"[\+-\-]")),
    ("[a-]", False, same(r"[a\-]")),
    (r"[\d-z]", False, same(r"[0-9\-z]")),
    ("[a^]", False, same(r"[a\^]")),
    ("[.]", False, same(r"[\.]")),
    (r"[\]\\]", False, same(r"[\]\\]")),
    (r"[\t-\r]", False, same(r"[\t-\r]")),
    ("[^a-z]", False, same("[^a-z]")),
    # literals and escapes
    ("a/b-c", False, same(r"a\/b\-c")),
    (r"a\ b", False, same("a b")),
    (r"\t\n", False, same(r"\t\n")),
    ("é+東京", False, same("é+東京")),
    # lazy repeats are kept (only whether a value matches counts)
    ("a*?b+?c??x{2,}?", False, same("a*?b+?c??x{2,}?")),
    ("(a|)()", False, same("(a|)()")),
]


@pytest.mark.parametrize(("pattern", "ignore_case", "expected"), TRANSLATIONS)
def test_translation(pattern: str, ignore_case: bool, expected: dict[str, str]) -> None:
    assert renderings(pattern, ignore_case) == expected


REJECTED = [
    ("(?i)vp", r"'\(\?' at position 0 \(look-around, named groups, inline flags\) is not portable"),
    ("a(?=b)", r"'\(\?' at position 1"),
    ("(?P<x>a)", r"'\(\?' at position 0"),
    (r"(a)\1", r"'\\1' at position 3 is not portable"),
    (r"\Aabc", r"'\\A' at position 0 is not portable"),
    (r"abc\z", r"'\\z' at position 3"),
    (r"\p{L}", r"'\\p' at position 0"),
    (r"\x41", r"'\\x' at position 0"),
    (r"\B", r"'\\B' at position 0"),
    ("a++", "possessive quantifier at position 2 is not portable"),
    ("a*+", "possessive quantifier at position 2"),
    ("a**", "'\\*' at position 2 repeats a repeat"),
    ("a{2}+", "'\\+' at position 4 repeats a repeat"),
    ("a+{2}", "'\\{' at position 2 repeats a repeat"),
    ("^*", "'\\*' at position 1 repeats an anchor"),
    (r"\b+", "'\\+' at position 2 repeats an anchor"),
    ("${2}", "'\\{' at position 1 repeats an anchor"),
    ("*a", "'\\*' at position 0 has nothing to repeat"),
    ("(+a)", "'\\+' at position 1 has nothing to repeat"),
    ("a|?", "'\\?' at position 2 has nothing to repeat"),
    ("a{2", "'\\{' at position 1 must start a repeat like"),
    ("a{,3}", "'\\{' at position 1 must start a repeat like"),
    ("{2}", "'\\{' at position 0 has nothing to repeat"),
    ("a{5,2}", r"repeat \{5,2\} at position 1 has min > max"),
    ("a{1001}", r"repeat \{1001\} at position 1 is above 1000"),
    ("a}", "unescaped '}' at position 1"),
    ("a]", "unescaped ']' at position 1"),
    ("(a", "unbalanced '\\(' in the pattern"),
    ("a)", "unbalanced '\\)' at position 1"),
    ("ab\\", "the pattern ends with a lone backslash"),
    ("[[:alpha:]]", "'\\[' inside a character class at position 1"),
    ("[a[b]]", "'\\[' inside a character class at position 2"),
    ("[]a]", "empty character class at position 0"),
    ("[abc", "'\\[' at position 0 is never closed"),
    ("[z-a]", "the range 'z'-'a' at position 1 goes backwards"),
    (r"[a-\d]", "a range at position 1 cannot end with a class"),
    (r"[\D]", r"'\\D' inside a character class at position 1 is not portable"),
    (r"[\b]", r"'\\b' inside a character class"),
    ("x" * (MAX_PATTERN_LENGTH + 1), f"longer than {MAX_PATTERN_LENGTH} characters"),
]


@pytest.mark.parametrize(("pattern", "message"), REJECTED)
def test_rejected_constructs(pattern: str, message: str) -> None:
    with pytest.raises(PatternError, match=message):
        check(pattern)
    for flavor in FLAVORS:
        with pytest.raises(PatternError, match=message):
            portable(pattern, flavor)


def test_accepted_patterns_pass_the_check() -> None:
    for pattern, _ignore_case, _expected in TRANSLATIONS:
        check(pattern)
    check("x" * MAX_PATTERN_LENGTH)


# ---- behaviour: DuckDB (RE2) and the Python reference agree -----------------------------------

PATTERNS = [
    "^abc$",
    "abc$",
    "^$",
    "^",
    "a.c",
    "^.$",
    ".",
    r"\bvp\b",
    r"\d+",
    r"^\d{3}$",
    r"\w+@\w+\.com$",
    r"^\s*$",
    r"\S",
    r"\W",
    "[A-Z]{2}",
    "[^a-z]",
    r"(?:vp|chief)\s+of",
    "[A-z]",
    "[0-Z]",
    "é",
    "É",
    "[é-ü]",
    "ß",
    "a/b",
    "colou?r",
    "x{2,3}",
    r"\t",
    "[~|&]",
    "line$",
    "^line",
    "head of",
    "İ",
]

SUBJECTS = [
    "abc",
    "abc\n",
    "\nabc",
    "a\nc",
    "a\rc",
    "ABC",
    "",
    "\n",
    "x",
    "VP Sales",
    "svp of",
    "Chief  Of Staff",
    "CHIEF\nOF",
    "vp_x",
    "123",
    "123\n",
    "١٢٣",
    "joe@acme.com",
    "joe@acme.com\n",
    " \t\r\n\f",
    "\x0b",
    "a\u00a0b",
    "é",
    "É",
    "e\u0301",
    "ß",
    "STRASSE",
    "İstanbul",
    "istanbul",
    "a/b",
    "colour",
    "xxxx",
    "a\tb",
    "~",
    "_",
    "[",
    "`",
    "line1\nline2",
    "first line\n",
    "Head Of Growth",
    "東京",
    "🚀",
]


@pytest.fixture(scope="module")
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect()
    yield connection
    connection.close()


def python_search(pattern: str, value: str, ignore_case: bool) -> bool:
    """What the reference evaluator does."""
    subject = ascii_lower(value) if ignore_case else value
    return re.search(portable(pattern, "python", ignore_case), subject, re.ASCII) is not None


def duckdb_search(con: duckdb.DuckDBPyConnection, cases: list[tuple[str, bool, str]]) -> list[bool]:
    """What the DuckDB engine does: regexp_matches on the folded value with the re2 text."""
    rows = [
        (i, portable(pattern, "re2", ic), ascii_lower(value) if ic else value)
        for i, (pattern, ic, value) in enumerate(cases)
    ]
    con.execute("CREATE OR REPLACE TEMP TABLE cases (i INTEGER, p VARCHAR, s VARCHAR)")
    con.executemany("INSERT INTO cases VALUES (?, ?, ?)", rows)
    result = con.execute("SELECT i, regexp_matches(s, p) FROM cases ORDER BY i").fetchall()
    return [bool(matched) for _i, matched in result]


def test_duckdb_and_python_agree_on_tricky_strings(con: duckdb.DuckDBPyConnection) -> None:
    cases = [(p, ic, s) for p in PATTERNS for ic in (False, True) for s in SUBJECTS]
    engine = duckdb_search(con, cases)
    reference = [python_search(p, s, ic) for p, ic, s in cases]
    disagreements = [
        (case, got, want)
        for case, got, want in zip(cases, engine, reference, strict=True)
        if got != want
    ]
    assert disagreements == []
    assert sum(reference) > len(cases) // 10  # plenty of both answers: the check is not vacuous
    assert sum(reference) < len(cases) - len(cases) // 10


@pytest.mark.parametrize(
    ("pattern", "ignore_case", "value", "expected"),
    [
        ("^abc$", False, "abc", True),
        ("^abc$", False, "abc\n", False),  # $ is the very end, never before a final newline
        ("abc$", False, "\nabc", True),
        ("^abc", False, "\nabc", False),  # ^ is the very start, never after a newline
        ("a.c", False, "a\nc", False),  # . never matches a newline
        ("a.c", False, "a\rc", True),  # ...but matches a carriage return
        ("^.$", False, "🚀", True),  # one character, not one byte
        ("^.$", False, "e\u0301", False),  # two code points
        (r"\d+", False, "١٢٣", False),  # \d is ASCII only
        (r"\s", False, "a\u00a0b", False),  # \s is [\t\n\f\r ] only
        (r"\s", False, "\x0b", False),
        (r"\W", False, "é", True),  # é is not a word character
        (r"\bvp\b", True, "VP Sales", True),
        (r"\bvp\b", True, "svp of", False),
        (r"\bvp\b", True, "vp_x", False),
        (r"(?:vp|chief)\s+of", True, "CHIEF\nOF", True),
        ("[A-Z]{2}", True, "abc", True),  # folded: upper-case ranges match lower case
        ("É", True, "é", False),  # only ASCII letters fold
        ("é", True, "É", False),
        ("ß", True, "STRASSE", False),
        ("İ", True, "istanbul", False),
        ("[A-z]", True, "_", True),  # the non-letters of a mixed range still match
        ("[0-Z]", True, "q", True),
        ("[~|&]", False, "~", True),
    ],
)
def test_documented_behaviour_on_both_engines(
    con: duckdb.DuckDBPyConnection, pattern: str, ignore_case: bool, value: str, expected: bool
) -> None:
    assert python_search(pattern, value, ignore_case) is expected
    assert duckdb_search(con, [(pattern, ignore_case, value)]) == [expected]


ALPHABET = st.sampled_from([*"abcABC _-.\n\r\t9é É ß🚀/[]", "VP", "vp", "of", "\xa0"])


@settings(max_examples=60)
@given(value=st.lists(ALPHABET, max_size=8).map("".join))
def test_duckdb_and_python_agree_on_random_strings(
    con: duckdb.DuckDBPyConnection, value: str
) -> None:
    cases = [(p, ic, value) for p in PATTERNS for ic in (False, True)]
    assert duckdb_search(con, cases) == [python_search(p, value, ic) for p, ic, _ in cases]
