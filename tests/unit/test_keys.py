"""The installation's fingerprint key file: created private, read back the same, checked."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from auditd.errors import ConfigError
from auditd.keys import KEY_BYTES, load_fingerprinter, load_or_create_key
from auditd.normalize import HmacFingerprinter


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_creates_a_private_key_file(tmp_path: Path) -> None:
    path = tmp_path / "state" / "fingerprint.key"
    key = load_or_create_key(path)
    assert len(key) == KEY_BYTES
    assert mode(path) == 0o600
    assert path.read_text().strip() == key.hex()
    assert mode(path.parent) & 0o077 == 0
    assert [p.name for p in path.parent.iterdir()] == ["fingerprint.key"]  # no temp file left


def test_returns_the_same_key_every_time(tmp_path: Path) -> None:
    path = tmp_path / "fingerprint.key"
    first = load_or_create_key(path)
    assert load_or_create_key(path) == first
    assert load_or_create_key(path) == first


def test_separate_installations_get_different_keys(tmp_path: Path) -> None:
    assert load_or_create_key(tmp_path / "a.key") != load_or_create_key(tmp_path / "b.key")


@pytest.mark.parametrize("bad_mode", [0o640, 0o604, 0o660, 0o644, 0o610])
def test_rejects_a_key_others_can_access(tmp_path: Path, bad_mode: int) -> None:
    path = tmp_path / "fingerprint.key"
    key = load_or_create_key(path)
    path.chmod(bad_mode)
    with pytest.raises(ConfigError, match="readable by others") as info:
        load_or_create_key(path)
    assert "chmod 600" in info.value.hint
    assert key.hex() not in str(info.value)
    path.chmod(0o600)
    assert load_or_create_key(path) == key  # fixed by the hinted command


def write_key(path: Path, text: str) -> Path:
    path.write_text(text)
    path.chmod(0o600)
    return path


@pytest.mark.parametrize("text", ["not hex at all\n", "zz" * 32, "abc", "0x" + "ab" * 32])
def test_rejects_non_hex_key(tmp_path: Path, text: str) -> None:
    path = write_key(tmp_path / "fingerprint.key", text)
    with pytest.raises(ConfigError, match="not hex"):
        load_or_create_key(path)
    assert path.read_text() == text  # never overwritten: a new key makes every secret change


@pytest.mark.parametrize("text", ["", "\n", "ab" * 15])
def test_rejects_too_short_key(tmp_path: Path, text: str) -> None:
    path = write_key(tmp_path / "fingerprint.key", text)
    with pytest.raises(ConfigError, match="too short"):
        load_or_create_key(path)


def test_accepts_an_existing_hex_key_with_whitespace(tmp_path: Path) -> None:
    path = write_key(tmp_path / "fingerprint.key", "  " + "ab" * 16 + "\n\n")
    assert load_or_create_key(path) == bytes.fromhex("ab" * 16)


def test_key_id_identifies_the_key_without_revealing_it(tmp_path: Path) -> None:
    one = HmacFingerprinter(b"k" * 32)
    same = HmacFingerprinter(b"k" * 32)
    other = HmacFingerprinter(b"j" * 32)
    assert one.key_id == same.key_id
    assert one.key_id != other.key_id
    assert (b"k" * 32).hex() not in one.key_id
    loaded = load_fingerprinter(tmp_path / "fingerprint.key")
    assert loaded.key_id == load_fingerprinter(tmp_path / "fingerprint.key").key_id
    assert loaded("x") == load_fingerprinter(tmp_path / "fingerprint.key")("x")
