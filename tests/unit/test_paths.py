"""Terraform-style attribute paths: one syntax for diffs, sensitive paths and ignore rules."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditd.paths import WILDCARD, PathSegment, format_path, parse_path, path_matches


@pytest.mark.parametrize(
    ("segments", "text"),
    [
        (("name",), "name"),
        (("ingress", 2, "cidr_blocks", 0), "ingress[2].cidr_blocks[0]"),
        (("tags", "kubernetes.io/role"), 'tags["kubernetes.io/role"]'),
        (("tags", "Cost Center"), 'tags["Cost Center"]'),
        (("tags", 'say "hi"'), r'tags["say \"hi\""]'),
        (("tags", "back\\slash"), r'tags["back\\slash"]'),
        (("tags", "a.b"), 'tags["a.b"]'),
        (("tags", ""), 'tags[""]'),
        (("tags", "0"), 'tags["0"]'),
        ((0, "name"), "[0].name"),
        (("kebab-case_name",), "kebab-case_name"),
        (("containers", WILDCARD, "env"), "containers.*.env"),
    ],
)
def test_format_and_parse_round_trip(segments: tuple[PathSegment, ...], text: str) -> None:
    assert format_path(segments) == text
    assert parse_path(text) == segments


def test_index_wildcard_parses_as_wildcard() -> None:
    assert parse_path("containers[*].env") == ("containers", WILDCARD, "env")


def test_quoted_numeric_key_is_a_string_not_an_index() -> None:
    assert parse_path('tags["0"]') == ("tags", "0")
    assert parse_path("tags[0]") == ("tags", 0)


def test_format_empty_path_is_empty_string() -> None:
    assert format_path(()) == ""


segments = st.one_of(st.integers(min_value=0, max_value=10**6), st.text(max_size=12))


@settings(max_examples=300, deadline=None)
@given(st.lists(segments, min_size=1, max_size=6))
def test_property_round_trip_any_keys(path: list[PathSegment]) -> None:
    assert parse_path(format_path(path)) == tuple(path)


@pytest.mark.parametrize(
    "text",
    ["", ".", "a.", ".a", "a..b", "a[", "a[x]", "a[-1]", 'a["unterminated', "a b", "a[0]b",
     "a]", "1abc", "a.b.", 'a["x"]b', "a[1.5]"],
)
def test_bad_paths_raise_value_error_naming_the_path(text: str) -> None:
    with pytest.raises(ValueError, match="bad attribute path") as info:
        parse_path(text)
    assert repr(text) in str(info.value)


def test_bad_path_error_names_the_position() -> None:
    with pytest.raises(ValueError, match="position 1"):
        parse_path("a b")


@pytest.mark.parametrize(
    ("pattern", "path", "expected"),
    [
        ("containers[*].env", ("containers", 0, "env"), True),
        ("containers[*].env", ("containers", 7, "env"), True),
        ("containers[*].env", ("containers", 0, "image"), False),
        ("containers[*].env", ("containers", 0, "env", "x"), False),
        ("containers[*].env", ("containers", "env"), False),
        ("tags.*", ("tags", "kubernetes.io/role"), True),
        ("tags.*", ("tags",), False),
        ('tags["kubernetes.io/role"]', ("tags", "kubernetes.io/role"), True),
        ('tags["kubernetes.io/role"]', ("tags", "kubernetes.io/name"), False),
        ("ingress[1].cidr_blocks[0]", ("ingress", 1, "cidr_blocks", 0), True),
        ("ingress[1].cidr_blocks[0]", ("ingress", 0, "cidr_blocks", 0), False),
        ("*[*]", ("anything", 3), True),
        ("a[0]", ("a", "0"), False),  # an index is not a string key
    ],
)
def test_path_matches(pattern: str, path: tuple[PathSegment, ...], expected: bool) -> None:
    assert path_matches(parse_path(pattern), path) is expected
