"""Source text before and after python-hcl2: decoding, known repairs, precise error messages.

python-hcl2 8.x fails on some valid Terraform and misreads some invalid
Terraform (see ``docs/terraform-hcl.md``).  This module holds the text-level
part of the answer, so the parser wrapper stays a short pipeline:

- :func:`decode` turns bytes into text: a UTF-8 byte-order mark is dropped,
  CRLF becomes LF (a checkout on Windows declares what one on Linux does), and
  bytes that are not UTF-8 are a :class:`HclFileError` with their line;
- :func:`repair_heredoc_closers` drops trailing blanks after a heredoc's closing
  marker, which Terraform accepts and python-hcl2 8.1 rejects;
- :func:`describe_parse_error` turns a Lark exception into ``line`` and a
  message, naming the pitfall when the failing line shows a known one
  (``=>`` opening a continuation line, a Unicode identifier).

Line structure is never changed, so every line number refers to the file as stored.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["HclFileError", "decode", "describe_parse_error", "is_binary", "repair_heredoc_closers"]

_BOM = b"\xef\xbb\xbf"
_BINARY_PROBE = 8192
_HEREDOC_OPENER = re.compile(r"<<-?([A-Za-z][A-Za-z0-9._-]*)\n")
_HEREDOC_OPENER_BLANKS = re.compile(r"<<-?[A-Za-z][A-Za-z0-9._-]*[ \t]+$")
_NON_ASCII_WORD = re.compile(r"[^\W\d][\w-]*")
_TOKEN_NAMES = {
    "RBRACE": "'}'", "LBRACE": "'{'", "RSQB": "']'", "LSQB": "'['", "RPAR": "')'", "LPAR": "'('",
    "EQ": "'='", "COLON": "':'", "COMMA": "','", "DBLQUOTE": "'\"'", "NAME": "a name",
    "NL_OR_COMMENT": "a new line", "$END": "the end of the file", "FOR_OBJECT_ARROW": "'=>'",
    "INT_LITERAL": "a number", "STRING_CHARS": "text", "QMARK": "'?'",
}


class HclFileError(Exception):
    """A file that cannot be collected: ``line`` (1-based, 0 when unknown) and a message."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"{line}: {message}")
        self.line = line
        self.message = message


def is_binary(data: bytes) -> bool:
    """A NUL byte near the start: not a text file (Terraform files never hold one)."""
    return b"\x00" in data[:_BINARY_PROBE]


def decode(data: bytes) -> str:
    """UTF-8 text with the byte-order mark dropped and CRLF line ends made LF."""
    if data.startswith(_BOM):
        data = data[len(_BOM):]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise HclFileError(line, f"not UTF-8 text: invalid byte {data[exc.start]:#04x}; "
                                 "Terraform reads configuration as UTF-8, re-save the file "
                                 "as UTF-8") from None
    return text.replace("\r\n", "\n") if "\r" in text else text


def repair_heredoc_closers(text: str) -> str:
    """Strip blanks after heredoc closing markers (Terraform accepts them, python-hcl2 does not)."""
    if "<<" not in text:
        return text
    lines = text.split("\n")
    starts = _line_starts(lines)
    index, changed = 0, False
    while True:
        match = _HEREDOC_OPENER.search(text, starts[index] if index < len(starts) else len(text))
        if match is None:
            break
        opener_line = text.count("\n", 0, match.start())
        closer = _find_closer(lines, opener_line + 1, match.group(1))
        if closer is None:
            break
        if lines[closer] != lines[closer].rstrip(" \t"):
            lines[closer] = lines[closer].rstrip(" \t")
            changed = True
        index = closer + 1
    return "\n".join(lines) if changed else text


def _line_starts(lines: list[str]) -> list[int]:
    starts, offset = [], 0
    for line in lines:
        starts.append(offset)
        offset += len(line) + 1
    return starts


def _find_closer(lines: list[str], first: int, marker: str) -> int | None:
    for number in range(first, len(lines)):
        if lines[number].strip(" \t") == marker:
            return number
    return None


def describe_parse_error(exc: Exception, text: str) -> HclFileError:
    """A Lark error as a line and a message that says what is wrong and what to do."""
    line = int(getattr(exc, "line", 0) or 0)
    column = int(getattr(exc, "column", 0) or 0)
    lines = text.split("\n")
    source_line = lines[line - 1] if 0 < line <= len(lines) else ""
    following = lines[line] if 0 < line < len(lines) else ""
    hint = _pitfall(source_line, lines[line - 2] if line >= 2 else "", following)
    what = _unexpected(exc)
    where = f"syntax error at column {column}: " if column > 0 else "syntax error: "
    if following.lstrip().startswith("=>") and not source_line.lstrip().startswith("=>"):
        line, where = line + 1, "syntax error: "  # Lark stopped at the newline before "=>"
    return HclFileError(line, where + what + (f"; {hint}" if hint else ""))


def _unexpected(exc: Exception) -> str:
    token: Any = getattr(exc, "token", None)
    if token is not None:
        kind = str(getattr(token, "type", ""))
        if kind == "$END":
            return "unexpected end of file (an unclosed '{', '[', '(' or string?)"
        if kind == "NL_OR_COMMENT":
            return "unexpected end of line"
        value = str(token).strip() or kind
        expected = sorted(_TOKEN_NAMES.get(e, e.lower()) for e in getattr(exc, "expected", ()))
        shown = ", ".join(expected[:6]) + (", ..." if len(expected) > 6 else "")
        return f"unexpected {value[:40]!r}" + (f" (expected {shown})" if shown else "")
    char = getattr(exc, "char", None)
    if char is not None:
        return f"unexpected character {char!r}"
    return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}".rstrip(": ")


def _pitfall(line: str, previous: str, following: str) -> str:
    if line.lstrip().startswith("=>") or following.lstrip().startswith("=>"):
        return ("'=>' opens this line: Terraform accepts that, python-hcl2 8.x does not; "
                "move '=>' to the end of the previous line")
    word = _unicode_identifier(line)
    if word:
        return (f"Unicode identifier {word!r}: Terraform accepts it, python-hcl2 8.x reads "
                "only ASCII identifiers; rename it with ASCII letters")
    for candidate in (line, previous):
        if _HEREDOC_OPENER_BLANKS.search(candidate):
            return ("blanks follow a heredoc's opening marker ('<<EOF '): Terraform rejects "
                    "this too; remove them")
    return ""


def _unicode_identifier(line: str) -> str:
    """A word with non-ASCII letters outside a quoted string, or ""."""
    in_string = False
    for match in _NON_ASCII_WORD.finditer(line):
        in_string = line.count('"', 0, match.start()) % 2 == 1
        word = match.group(0)
        if not in_string and not word.isascii():
            return word
    return ""
