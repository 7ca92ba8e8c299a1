"""Portable regular expressions.

``matches`` must mean the same on DuckDB (RE2), PostgreSQL (ARE), Spark (Java) and the Python
reference. Their defaults differ (what ``.``, ``$``, ``\\s`` and ``\\w`` match, newline handling,
case folding), so a pattern is parsed once into a small token list and written out for each
engine with the differences spelled out:

- ``.`` never matches a newline; ``^``/``$`` anchor at the start/end of the whole text;
- ``\\d``, ``\\w``, ``\\s`` are the ASCII classes ``[0-9]``, ``[0-9A-Za-z_]``, ``[\\t\\n\\f\\r ]``;
- ``ignore_case`` folds ASCII letters only, in the pattern here and in the value at match time;
- ``\\b`` is a word boundary (engines may differ next to non-ASCII letters);
- inside ``[...]`` a ``-`` makes a range only between two single characters, and the characters
  that are syntax in some engine (``& ~ | - [ ] ^ \\``) are written escaped.

Anything outside this subset (look-around, back-references, inline flags, possessive quantifiers,
a repeat of a repeat, Unicode classes, POSIX classes) is rejected when the model is loaded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from leadscore.values import ascii_lower

MAX_PATTERN_LENGTH = 500
Flavor = Literal["python", "re2", "postgres", "java"]

_CLASS_BODY = {"d": "0-9", "w": "0-9A-Za-z_", "s": "\\t\\n\\f\\r "}
_META = set(".^$|?*+()[]{}\\/-")
_CONTROL = {"t": "\\t", "n": "\\n", "r": "\\r", "f": "\\f"}


class PatternError(ValueError):
    """A pattern outside the portable subset, with the position of the problem."""


@dataclass(frozen=True)
class Token:
    kind: Literal["lit", "any", "class", "bol", "eol", "wordb", "raw", "rep"]
    text: str


def _escape_literal(char: str) -> str:
    if char in _META:
        return "\\" + char
    if char == "\n":
        return "\\n"
    if char == "\t":
        return "\\t"
    if char == "\r":
        return "\\r"
    if char == "\f":
        return "\\f"
    return char


def tokenize(pattern: str, ignore_case: bool = False) -> list[Token]:
    """Parse ``pattern`` into tokens, folding ASCII letters when ``ignore_case``."""
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise PatternError(f"the pattern is longer than {MAX_PATTERN_LENGTH} characters")
    fold = ascii_lower if ignore_case else (lambda s: s)
    tokens: list[Token] = []
    i, n = 0, len(pattern)
    depth = 0
    while i < n:
        c = pattern[i]
        if c == "\\":
            if i + 1 >= n:
                raise PatternError("the pattern ends with a lone backslash")
            e = pattern[i + 1]
            i += 2
            if e in _CLASS_BODY:
                tokens.append(Token("class", "[" + _CLASS_BODY[e] + "]"))
            elif e.lower() in _CLASS_BODY:
                tokens.append(Token("class", "[^" + _CLASS_BODY[e.lower()] + "]"))
            elif e == "b":
                tokens.append(Token("wordb", ""))
            elif e in _CONTROL:
                tokens.append(Token("lit", _CONTROL[e]))
            elif e in _META or e == " ":
                tokens.append(Token("lit", _escape_literal(e) if e != " " else " "))
            else:
                raise PatternError(
                    f"'\\{e}' at position {i - 2} is not portable; use \\d \\w \\s \\D \\W \\S \\b,"
                    " \\t \\n \\r \\f, or escape a punctuation character"
                )
        elif c == "[":
            body, i = _bracket(pattern, i, ignore_case)
            tokens.append(Token("class", body))
        elif c == "(":
            if pattern.startswith("(?:", i):
                tokens.append(Token("raw", "(?:"))
                i += 3
            elif pattern.startswith("(?", i):
                raise PatternError(
                    f"'(?' at position {i} (look-around, named groups, inline flags) is not "
                    "portable; use (?:...) for a group and ignore_case: true for case"
                )
            else:
                tokens.append(Token("raw", "("))
                i += 1
            depth += 1
        elif c == ")":
            if depth == 0:
                raise PatternError(f"unbalanced ')' at position {i}")
            depth -= 1
            tokens.append(Token("raw", ")"))
            i += 1
        elif c in "*+?":
            _check_repeatable(tokens, c, i)
            text = c
            i += 1
            if i < n and pattern[i] == "?":
                text += "?"
                i += 1
            elif i < n and pattern[i] == "+":
                raise PatternError(f"possessive quantifier at position {i} is not portable")
            tokens.append(Token("rep", text))
        elif c == "{":
            end = pattern.find("}", i)
            body = pattern[i + 1 : end] if end > 0 else ""
            parts = body.split(",")
            valid = (
                end > 0
                and 1 <= len(parts) <= 2
                and parts[0].isdigit()
                and (len(parts) == 1 or parts[1] == "" or parts[1].isdigit())
            )
            if not valid:
                raise PatternError(
                    f"'{{' at position {i} must start a repeat like {{2}}, {{2,}} or {{2,5}}; "
                    "write \\{ for a literal brace"
                )
            if len(parts) == 2 and parts[1] and int(parts[1]) < int(parts[0]):
                raise PatternError(f"repeat {{{body}}} at position {i} has min > max")
            if max(int(p) for p in parts if p) > 1000:
                raise PatternError(f"repeat {{{body}}} at position {i} is above 1000")
            _check_repeatable(tokens, "{", i)
            text = "{" + body + "}"
            i = end + 1
            if i < n and pattern[i] == "?":
                text += "?"
                i += 1
            tokens.append(Token("rep", text))
        elif c == "|":
            tokens.append(Token("raw", "|"))
            i += 1
        elif c == ".":
            tokens.append(Token("any", ""))
            i += 1
        elif c == "^":
            tokens.append(Token("bol", ""))
            i += 1
        elif c == "$":
            tokens.append(Token("eol", ""))
            i += 1
        elif c in "]}":
            raise PatternError(f"unescaped '{c}' at position {i}; write \\{c}")
        else:
            tokens.append(Token("lit", _escape_literal(fold(c))))
            i += 1
    if depth:
        raise PatternError("unbalanced '(' in the pattern")
    return tokens


def _check_repeatable(tokens: list[Token], c: str, i: int) -> None:
    """A repeat (``*``, ``+``, ``?``, ``{m,n}``) must follow something it can repeat."""
    if not tokens or (tokens[-1].kind == "raw" and tokens[-1].text in ("(", "(?:", "|")):
        raise PatternError(f"'{c}' at position {i} has nothing to repeat")
    if tokens[-1].kind in ("bol", "eol", "wordb"):
        raise PatternError(f"'{c}' at position {i} repeats an anchor")
    if tokens[-1].kind == "rep":
        # Python 3.11 and Java read a{2}+ as possessive, RE2 and PostgreSQL reject it
        raise PatternError(
            f"'{c}' at position {i} repeats a repeat; group the repeated part first, "
            f"like (?:x{{2}}){c}"
        )


# Characters written with a backslash inside a character class, so that no engine reads them
# as syntax (Java: && is an intersection; Python warns about --, &&, ~~ and ||).
_CLASS_ESCAPED = set("\\]^-[&~|") | _META


def _class_char(char: str) -> str:
    if char in _CLASS_ESCAPED:
        return "\\" + char
    return _escape_literal(char)


def _class_atom(pattern: str, i: int) -> tuple[str, str, int]:
    """One member of a class at ``i``: ``("char", c, next)`` or ``("set", body, next)``."""
    c = pattern[i]
    if c == "[":
        raise PatternError(
            f"'[' inside a character class at position {i} (POSIX or nested classes) "
            "is not portable; write \\["
        )
    if c != "\\":
        return "char", c, i + 1
    if i + 1 >= len(pattern):
        raise PatternError("the pattern ends with a lone backslash")
    e = pattern[i + 1]
    if e in _CLASS_BODY:
        return "set", _CLASS_BODY[e], i + 2
    if e in _CONTROL:
        return "char", {"t": "\t", "n": "\n", "r": "\r", "f": "\f"}[e], i + 2
    if e in _META or e in " ]&~":
        return "char", e, i + 2
    raise PatternError(f"'\\{e}' inside a character class at position {i} is not portable")


def _class_range(low: str, high: str, ignore_case: bool) -> str:
    """A range ``low-high``; with ``ignore_case`` the upper-case letters in it also match folded."""
    if not ignore_case:
        return f"{_class_char(low)}-{_class_char(high)}"
    if low >= "A" and high <= "Z":
        return f"{ascii_lower(low)}-{ascii_lower(high)}"
    out = f"{_class_char(low)}-{_class_char(high)}"
    first, last = max(low, "A"), min(high, "Z")
    if first <= last:  # e.g. [0-Z]: the letters A-Z in it must also match a-z
        out += ascii_lower(first) if first == last else f"{ascii_lower(first)}-{ascii_lower(last)}"
    return out


def _bracket(pattern: str, start: int, ignore_case: bool) -> tuple[str, int]:
    """A character class from ``[`` at ``start``: its portable text and the position after it.

    A ``-`` is a range only between two single characters; anywhere else it is a literal.
    """
    i = start + 1
    n = len(pattern)
    out = "["
    if i < n and pattern[i] == "^":
        out += "^"
        i += 1
    items = 0
    while True:
        if i >= n:
            raise PatternError(f"'[' at position {start} is never closed")
        if pattern[i] == "]":
            if items == 0:
                raise PatternError(f"empty character class at position {start}; write \\]")
            return out + "]", i + 1
        kind, text, after = _class_atom(pattern, i)
        items += 1
        if kind == "set":
            out += text
            i = after
            continue
        if after + 1 < n and pattern[after] == "-" and pattern[after + 1] != "]":
            high_kind, high, end = _class_atom(pattern, after + 1)
            if high_kind == "set":
                raise PatternError(
                    f"a range at position {i} cannot end with a class like \\d; write \\- for "
                    "a literal hyphen"
                )
            if high < text:
                raise PatternError(
                    f"the range {text!r}-{high!r} at position {i} goes backwards (low after high)"
                )
            out += _class_range(text, high, ignore_case)
            i = end
            continue
        out += _class_char(ascii_lower(text) if ignore_case else text)
        i = after


def render(tokens: list[Token], flavor: Flavor) -> str:
    """Write tokens as a pattern for one engine, to be used with search (unanchored) semantics."""
    parts: list[str] = []
    for token in tokens:
        if token.kind == "any":
            parts.append("[^\\n]")
        elif token.kind == "bol":
            parts.append("^")
        elif token.kind == "eol":
            parts.append({"python": "\\Z", "java": "\\z"}.get(flavor, "$"))
        elif token.kind == "wordb":
            parts.append("\\y" if flavor == "postgres" else "\\b")
        else:
            parts.append(token.text)
    return "".join(parts)


def portable(pattern: str, flavor: Flavor, ignore_case: bool = False) -> str:
    """The pattern for one engine (raises :class:`PatternError` outside the portable subset)."""
    return render(tokenize(pattern, ignore_case), flavor)


def check(pattern: str) -> None:
    """Validate a pattern: portable and accepted by Python's ``re``, with and without
    ``ignore_case`` (folding rewrites character classes)."""
    import re

    for ignore_case in (False, True):
        try:
            re.compile(portable(pattern, "python", ignore_case), re.ASCII)
        except re.error as exc:
            raise PatternError(f"invalid regular expression: {exc}") from None
