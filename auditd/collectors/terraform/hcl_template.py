"""HCL string templates: escapes, heredoc bodies, strip markers and directive nesting.

Pure text helpers used by :mod:`~auditd.collectors.terraform.hcl_ast` (which owns
the Lark tree) and :mod:`~auditd.collectors.terraform.hcl_json` (whose strings
are templates too).  A template becomes a ``["tpl", parts]`` node whose parts
are literal strings, ``["i", expr]`` interpolations and nested
``["if", cond, then_parts, else_parts]`` / ``["for", key, value, coll, parts]``
directives.

python-hcl2 lexes a heredoc as one opaque token, so ``${...}`` inside a heredoc
would come out as literal text; :func:`quote_template` rewrites such a body (and a
``.tf.json`` string) as an ordinary quoted string so the same grammar parses
its interpolations.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "Flat",
    "assemble",
    "heredoc_body",
    "literal_template_text",
    "needs_template",
    "quote_template",
    "strip_markers",
    "unescape_quoted",
]

Flat = list[Any]  # ("lit", text) | ("i", node) | ("if"|"else"|"endif"|"for"|"endfor", ...)

_SIMPLE = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}


def unescape_quoted(chars: str) -> str:
    """Resolve the backslash escapes of a quoted HCL string (unknown escapes kept as written)."""
    if "\\" not in chars:
        return chars
    out: list[str] = []
    index = 0
    while index < len(chars):
        char = chars[index]
        if char != "\\" or index + 1 >= len(chars):
            out.append(char)
            index += 1
            continue
        marker = chars[index + 1]
        width = {"u": 4, "U": 8}.get(marker, 0)
        if marker in _SIMPLE:
            out.append(_SIMPLE[marker])
            index += 2
        elif width and _is_hex(chars[index + 2:index + 2 + width], width):
            out.append(chr(int(chars[index + 2:index + 2 + width], 16)))
            index += 2 + width
        else:
            out.append(chars[index:index + 2])
            index += 2
    return "".join(out)


def _is_hex(digits: str, width: int) -> bool:
    if len(digits) != width or any(c not in "0123456789abcdefABCDEF" for c in digits):
        return False
    value = int(digits, 16)
    return value <= 0x10FFFF and not 0xD800 <= value < 0xE000


def needs_template(text: str) -> bool:
    """True when ``text`` (raw template source) holds an interpolation or a directive."""
    return "${" in text.replace("$${", "") or "%{" in text.replace("%%{", "")


def literal_template_text(text: str) -> str:
    """The value of template source without interpolations: only ``$${``/``%%{`` escapes."""
    return text.replace("$${", "${").replace("%%{", "%{")


def heredoc_body(token: str) -> str:
    """The text a ``<<EOT``/``<<-EOT`` token declares (Terraform keeps the final newline)."""
    first_newline = token.index("\n")
    opener = token[:first_newline]
    lines = token[first_newline + 1:].split("\n")
    while lines and lines[-1].strip() == "":
        lines.pop()
    body = lines[:-1]  # the last line is the closing marker
    if opener.startswith("<<-"):
        body = _dedent(body)
    return "".join(line + "\n" for line in body)


def _dedent(lines: list[str]) -> list[str]:
    widths = [len(line) - len(line.lstrip(" \t")) for line in lines if line.strip(" \t")]
    cut = min(widths, default=0)
    return [line[cut:] if line.strip(" \t") else line.lstrip(" \t") for line in lines]


def quote_template(text: str) -> str:
    """Template source (heredoc body, JSON string) as a double-quoted HCL string literal.

    Literal stretches get backslash escapes; ``${...}`` and ``%{...}`` sequences
    are copied as written, so the grammar parses them exactly as in a quoted string.
    """
    out: list[str] = ['"']
    index = 0
    while index < len(text):
        if text.startswith(("$${", "%%{"), index):
            out.append(text[index:index + 3])
            index += 3
        elif text.startswith(("${", "%{"), index):
            end = _sequence_end(text, index + 2)
            out.append(text[index:end])
            index = end
        else:
            out.append(_escape_char(text[index]))
            index += 1
    out.append('"')
    return "".join(out)


def _escape_char(char: str) -> str:
    return {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"}.get(char, char)


def _sequence_end(text: str, index: int) -> int:
    """Index just past the ``}`` closing a sequence whose body starts at ``index``."""
    depth = 1
    while index < len(text):
        char = text[index]
        if char == '"':
            index = _string_end(text, index + 1)
            continue
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return index + 1
        index += 1
    return len(text)


def _string_end(text: str, index: int) -> int:
    """Index just past the closing quote of a string whose body starts at ``index``."""
    while index < len(text):
        char = text[index]
        if char == "\\":
            index += 2
        elif char == '"':
            return index + 1
        elif text.startswith("${", index) or text.startswith("%{", index):
            index = _sequence_end(text, index + 2)
        else:
            index += 1
    return len(text)


def strip_markers(flat: list[Flat]) -> None:
    """Apply ``~`` strip markers in place: trim the blanks of the neighbouring literals."""
    for position, item in enumerate(flat):
        if item[0] == "lit":
            continue
        strip_left, strip_right = item[-2], item[-1]
        if strip_left and position > 0 and flat[position - 1][0] == "lit":
            flat[position - 1] = ["lit", flat[position - 1][1].rstrip()]
        if strip_right and position + 1 < len(flat) and flat[position + 1][0] == "lit":
            flat[position + 1] = ["lit", flat[position + 1][1].lstrip()]


def assemble(flat: list[Flat]) -> list[Any]:
    """Flat items (after :func:`strip_markers`) nested into template parts.

    Raises ``ValueError`` on unbalanced directives (``%{ else }`` without ``%{ if }``...).
    """
    return _parts(flat, 0, ())[0]


def _parts(flat: list[Flat], position: int,
           stops: tuple[str, ...]) -> tuple[list[Any], int, str | None]:
    parts: list[Any] = []
    while position < len(flat):
        item = flat[position]
        kind = item[0]
        if kind in ("else", "endif", "endfor"):
            if kind not in stops:
                raise ValueError(f"template directive %{{ {kind} }} is out of place")
            return parts, position, kind
        if kind == "lit":
            if item[1]:
                parts.append(item[1])
            position += 1
        elif kind == "i":
            parts.append(["i", item[1]])
            position += 1
        elif kind == "if":
            node, position = _if(flat, position, item[1])
            parts.append(node)
        else:  # "for"
            body, position, stop = _parts(flat, position + 1, ("endfor",))
            if stop != "endfor":
                raise ValueError("template %{ for } has no %{ endfor }")
            parts.append(["for", item[1], item[2], item[3], body])
            position += 1
    return parts, position, None


def _if(flat: list[Flat], position: int, cond: Any) -> tuple[list[Any], int]:
    then, position, stop = _parts(flat, position + 1, ("else", "endif"))
    otherwise: list[Any] = []
    if stop == "else":
        otherwise, position, stop = _parts(flat, position + 1, ("endif",))
    if stop != "endif":
        raise ValueError("template %{ if } has no %{ endif }")
    return ["if", cond, then, otherwise], position + 1
