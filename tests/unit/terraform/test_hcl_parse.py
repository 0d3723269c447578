"""The parser wrapper: python-hcl2's pitfalls are repaired or reported precisely, per file.

Also a conformance check: on every ``.tf`` file of the corpus, the document's
structure and literal values equal what ``hcl2.loads`` answers, except for the
documented differences (escapes resolved, CRLF read as LF, repaired heredocs).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from auditd.collectors.terraform.hcl_parse import file_kind, parse_source
from tests.unit.terraform.hcl_helpers import CORPUS


def _doc(text: str | bytes, name: str = "main.tf") -> dict[str, Any]:
    result = parse_source(name, text.encode() if isinstance(text, str) else text)
    assert result["ok"], result
    return dict(result["doc"]["body"])


def _error(text: str | bytes, name: str = "main.tf") -> dict[str, Any]:
    result = parse_source(name, text.encode() if isinstance(text, str) else text)
    assert not result["ok"], result
    return result


def _attr(body: dict[str, Any], name: str) -> Any:
    return body["attrs"][name]["expr"]


def test_byte_order_mark_is_stripped() -> None:
    body = _doc(b"\xef\xbb\xbfa = 1\n")
    assert _attr(body, "a") == ["lit", 1]


def test_crlf_reads_like_lf_including_heredocs() -> None:
    lf = _doc('a = "x"\nb = <<EOT\nline\nEOT\nc = [1,\n  2]\n')
    crlf = _doc('a = "x"\r\nb = <<EOT\r\nline\r\nEOT\r\nc = [1,\r\n  2]\r\n')
    assert crlf == lf
    assert _attr(crlf, "b") == ["lit", "line\n"]


def test_blanks_after_heredoc_closing_marker_are_repaired() -> None:
    body = _doc("a = <<EOT\nbody\nEOT  \t\nb = 2\n")
    assert _attr(body, "a") == ["lit", "body\n"]
    assert body["attrs"]["b"] == {"line": 4, "expr": ["lit", 2]}


def test_heredoc_marker_words_inside_the_body_are_content() -> None:
    body = _doc("a = <<EOT\nEOT x\nbody\nEOT\n")
    assert _attr(body, "a") == ["lit", "EOT x\nbody\n"]


def test_arrow_opening_a_line_is_a_precise_error() -> None:
    result = _error('locals {\n  m = { for k, v in var.x : k\n    => v }\n}\n')
    assert result["line"] == 3
    assert "'=>' opens this line" in result["message"]


@pytest.mark.parametrize("op", ["||", "&&"])
def test_logical_operator_opening_a_line_parses(op: str) -> None:
    body = _doc(f"a = var.x\n  {op} var.y\nb = 1\n")
    assert _attr(body, "a")[:2] == ["bin", op]
    assert _attr(body, "b") == ["lit", 1]


def test_unicode_identifier_is_a_precise_error() -> None:
    result = _error('a = 1\nvariable "x" {\n  défaut = 2\n}\n')
    assert result["line"] == 3
    assert "Unicode identifier 'défaut'" in result["message"]


def test_unicode_in_strings_is_fine() -> None:
    assert _attr(_doc('a = "défaut ✓"\n'), "a") == ["lit", "défaut ✓"]


def test_duplicate_attribute_is_reported_not_silently_overwritten() -> None:
    result = _error('resource "aws_s3_bucket" "b" {\n  bucket = "one"\n  acl = "x"\n'
                    '  bucket = "two"\n}\n')
    assert result["line"] == 4
    assert "'bucket' is set twice" in result["message"] and "line 2" in result["message"]


def test_duplicate_attribute_in_a_nested_block_is_reported() -> None:
    result = _error('resource "a" "b" {\n  ingress {\n    port = 1\n    port = 2\n  }\n}\n')
    assert result["line"] == 4


def test_same_attribute_in_different_blocks_is_fine() -> None:
    body = _doc('resource "a" "b" {\n  x = 1\n}\nresource "a" "c" {\n  x = 2\n}\n')
    assert len(body["blocks"]) == 2


def test_brace_on_the_next_line_is_reported() -> None:
    result = _error('resource "aws_s3_bucket" "b"\n{\n  bucket = "x"\n}\n')
    assert result["line"] == 1
    assert "'{' on the next line" in result["message"]
    assert "resource aws_s3_bucket b" in result["message"]


def test_inline_comment_before_brace_is_fine() -> None:
    body = _doc('resource "a" "b" /* why */ {\n  x = 1\n}\n')
    assert body["blocks"][0]["labels"] == ["a", "b"]


def test_syntax_error_has_line_and_column() -> None:
    result = _error('resource "a" "b" {\n  x = 1\n  y = = 2\n}\n')
    assert result["line"] == 3
    assert result["message"].startswith("syntax error at column")


def test_unclosed_block_says_end_of_file() -> None:
    result = _error('resource "a" "b" {\n  x = 1\n')
    assert "unexpected end of file" in result["message"]


def test_not_utf8_names_the_line() -> None:
    result = _error(b'a = 1\nb = "caf\xe9"\n')
    assert result["line"] == 2
    assert "not UTF-8" in result["message"]


def test_binary_content_is_skipped() -> None:
    result = _error(b"\x7fELF\x00\x00\x01")
    assert result.get("skipped") is True


def test_empty_and_comment_only_files_declare_nothing() -> None:
    assert _doc("") == {"attrs": {}, "blocks": []}
    assert _doc("# nothing\n// here\n/* at\nall */\n") == {"attrs": {}, "blocks": []}


def test_template_directive_errors_are_reported() -> None:
    result = _error('a = "%{ if true }x"\n')
    assert result["line"] == 1 and "endif" in result["message"]


def test_tf_json_not_json_is_a_precise_error() -> None:
    result = _error('{\n  "resource": {\n    "aws_s3_bucket": {,}\n  }\n}\n', "main.tf.json")
    assert result["line"] == 3
    assert "not valid JSON" in result["message"]


def test_tf_json_duplicate_keys_are_reported() -> None:
    result = _error('{"variable": {\n  "a": {},\n  "a": {}\n}}', "x.tf.json")
    assert result["line"] == 3 and "'a' appears twice" in result["message"]


def test_tf_json_must_hold_an_object() -> None:
    assert "holds an object" in _error("[1, 2]", "x.tf.json")["message"]


def test_tf_json_template_errors_are_reported() -> None:
    result = _error('{"locals": {"a": "${var.}"}}', "x.tf.json")
    assert "cannot parse the expression" in result["message"]


def test_tfvars_json_values_are_literal() -> None:
    body = _doc('{"a": "${not.template}", "b": [1, 2]}', "terraform.tfvars.json")
    assert _attr(body, "a") == ["lit", "${not.template}"]


@pytest.mark.parametrize(("path", "kind"), [
    ("main.tf", "tf"), ("a/b.tf.json", "tf-json"), ("terraform.tfvars", "vars"),
    ("x.auto.tfvars.json", "vars-json"), (".terraform.lock.hcl", "lock"), ("README.md", ""),
    ("main.tftest.hcl", ""), (".tf", ""),
])
def test_file_kinds(path: str, kind: str) -> None:
    assert file_kind(path) == kind


# --- conformance with hcl2.loads ------------------------------------------------------

_ANY = object()


def _shape(body: dict[str, Any]) -> dict[str, Any]:
    """A document in the shape of ``hcl2.loads`` output (expressions match anything)."""
    out: dict[str, Any] = {name: _value(attr["expr"]) for name, attr in body["attrs"].items()}
    for block in body["blocks"]:
        inner: Any = _shape(block["body"])
        for label in reversed(block["labels"]):
            inner = {label: inner}
        out.setdefault(block["type"], []).append(inner)
    return out


def _value(node: list[Any]) -> Any:
    if node[0] == "lit":
        return node[1]
    if node[0] == "tuple":
        return [_value(n) for n in node[1]]
    if node[0] == "obj" and all(k[0] == "lit" for k, _ in node[1]):
        return {k[1]: _value(v) for k, v in node[1]}
    return _ANY


def _normal(value: Any) -> Any:
    """hcl2.loads output with the documented differences applied."""
    if isinstance(value, str):
        text = value.replace("\r\n", "\n").replace("$${", "${").replace("%%{", "%{")
        return text.rstrip("\n")
    if isinstance(value, list):
        return [_normal(v) for v in value]
    if isinstance(value, dict):
        return {k: _normal(v) for k, v in value.items()}
    return value


def _agree(mine: Any, theirs: Any, where: str) -> None:
    if mine is _ANY:
        return
    if isinstance(mine, dict):
        assert isinstance(theirs, dict) and sorted(mine) == sorted(theirs), where
        for key in mine:
            _agree(mine[key], theirs[key], f"{where}.{key}")
    elif isinstance(mine, list):
        assert isinstance(theirs, list) and len(mine) == len(theirs), where
        for index, (a, b) in enumerate(zip(mine, theirs, strict=True)):
            _agree(a, b, f"{where}[{index}]")
    elif isinstance(mine, str):
        assert mine.rstrip("\n") == theirs, where
    else:
        assert type(mine) is type(theirs) and mine == theirs, where


HCL_FILES = sorted(p for p in CORPUS.rglob("*.tf") if p.stat().st_size)


@pytest.mark.parametrize("path", HCL_FILES, ids=[str(p.relative_to(CORPUS)) for p in HCL_FILES])
def test_documents_agree_with_hcl2_loads(path: Path) -> None:
    import hcl2

    options = hcl2.SerializationOptions(with_comments=False, explicit_blocks=False,
                                        preserve_heredocs=False, strip_string_quotes=True)
    data = path.read_bytes()
    mine = parse_source(path.name, data)
    assert mine["ok"], mine
    try:
        theirs = hcl2.loads(data.decode("utf-8-sig"), serialization_options=options)
    except Exception:
        assert path.parent.name == "07-heredoc-trailing-blanks"  # the pitfall we repair
        return
    _agree(_shape(mine["doc"]["body"]), _normal(theirs), str(path.relative_to(CORPUS)))
