"""Portable regular expressions.

``matches`` must mean the same on DuckDB (RE2), PostgreSQL (ARE), Spark (Java) and the Python
reference. Their defaults differ (what ``.``, ``$``, ``\\s`` and ``\\w`` match, newline handling,
case folding), so a pattern is parsed once into a small token list and written out for each
engine with the differences spelled out:

- ``.`` never matches a newline; ``^``/``$`` anchor at the start/end of the whole text;
- ``\\d``, ``\\w``, ``\\s`` are the ASCII classes ``[0-9]``, ``[0-9A-Za-z_]``, ``[\\t\\n\\f\\r ]``;
- ``ignore_case`` folds ASCII letters only, in the pattern here and in the value at match time;
- ``\\b`` is a word boundary (engines may differ next to non-ASCII letters).

Anything outside this subset (look-around, back-references, inline flags, possessive quantifiers,
Unicode classes, POSIX classes) is rejected when the model is loaded.
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
    kind: Literal["lit", "any", "class", "bol", "eol", "wordb", "raw"]
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
                    f"'\\{e}' at position {i - 1} is not portable; use \\d \\w \\s \\D \\W \\S \\b,"
                    " \\t \\n \\r \\f, or escape a punctuation character"
                )
        elif c == "[":
            body, i = _bracket(pattern, i, fold)
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
            if not tokens or (tokens[-1].kind == "raw" and tokens[-1].text in ("(", "(?:", "|")):
                raise PatternError(f"'{c}' at position {i} has nothing to repeat")
            if tokens[-1].kind in ("bol", "eol", "wordb"):
                raise PatternError(f"'{c}' at position {i} repeats an anchor")
            text = c
            i += 1
            if i < n and pattern[i] == "?":
                text += "?"
                i += 1
            elif i < n and pattern[i] == "+":
                raise PatternError(f"possessive quantifier at position {i} is not portable")
            tokens.append(Token("raw", text))
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
            if not tokens or (tokens[-1].kind == "raw" and tokens[-1].text in ("(", "(?:", "|")):
                raise PatternError(f"'{{' at position {i} has nothing to repeat")
            text = "{" + body + "}"
            i = end + 1
            if i < n and pattern[i] == "?":
                text += "?"
                i += 1
            tokens.append(Token("raw", text))
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


def _bracket(pattern: str, start: int, fold: object) -> tuple[str, int]:
    fold_fn = fold if callable(fold) else (lambda s: s)
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
        c = pattern[i]
        if c == "]":
            if items == 0:
                raise PatternError(f"empty character class at position {start}; write \\]")
            return out + "]", i + 1
        if c == "[":
            raise PatternError(
                f"'[' inside a character class at position {i} (POSIX or nested classes) "
                "is not portable; write \\["
            )
        if c == "\\":
            if i + 1 >= n:
                raise PatternError("the pattern ends with a lone backslash")
            e = pattern[i + 1]
            if e in _CLASS_BODY:
                out += _CLASS_BODY[e]
            elif e in _CONTROL:
                out += _CONTROL[e]
            elif e in _META or e == " " or e == "]":
                out += "\\" + e if e != " " else " "
            else:
                raise PatternError(
                    f"'\\{e}' inside a character class at position {i} is not portable"
                )
            i += 2
        else:
            if c == "-" and items and i + 1 < n and pattern[i + 1] != "]":
                out += "-"
            elif c == "-":
                out += "\\-"
            else:
                out += _escape_literal(fold_fn(c)) if c in "\n\t\r\f" else fold_fn(c)
            i += 1
        items += 1


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
    """Validate a pattern: portable and accepted by Python's ``re``."""
    import re

    try:
        re.compile(portable(pattern, "python"), re.ASCII)
    except re.error as exc:
        raise PatternError(f"invalid regular expression: {exc}") from None
