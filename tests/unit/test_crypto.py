"""Envelope encryption: sealed values open only where they belong, and keys behave."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from conversations.crypto import BlindIndex, Keyring, WrappedKey, audit_hash, load_or_create_key
from conversations.errors import ConfigurationError, KeyDestroyedError, SealError


def test_seal_and_open() -> None:
    ring = Keyring(secrets.token_bytes(32))
    key = ring.new_data_key()
    blob = ring.seal(key.key_id, "Përshëndetje 👋".encode(), "messages", "body", "01A")
    assert "Përshëndetje".encode() not in blob
    assert ring.open(blob, "messages", "body", "01A").decode() == "Përshëndetje 👋"


@pytest.mark.parametrize(("table", "column", "row"), [
    ("notes", "body", "01A"), ("messages", "caption", "01A"), ("messages", "body", "01B")])
def test_a_value_moved_elsewhere_does_not_open(table: str, column: str, row: str) -> None:
    ring = Keyring(secrets.token_bytes(32))
    key = ring.new_data_key()
    blob = ring.seal(key.key_id, b"secret", "messages", "body", "01A")
    with pytest.raises(SealError):
        ring.open(blob, table, column, row)


def test_tampering_is_detected() -> None:
    ring = Keyring(secrets.token_bytes(32))
    key = ring.new_data_key()
    blob = bytearray(ring.seal(key.key_id, b"secret", "t", "c", "r"))
    blob[-1] ^= 1
    with pytest.raises(SealError):
        ring.open(bytes(blob), "t", "c", "r")


def test_rewrap_under_a_new_master() -> None:
    old_master, new_master = secrets.token_bytes(32), secrets.token_bytes(32)
    old = Keyring(old_master)
    key = old.new_data_key()
    blob = old.seal(key.key_id, b"kept", "t", "c", "r")
    moved = old.rewrap(key, Keyring(new_master))
    assert moved.master_id == Keyring(new_master).master_id != old.master_id
    reader = Keyring(new_master)
    reader.load(key.key_id, moved.wrapped)
    assert reader.open(blob, "t", "c", "r") == b"kept", "rows are not touched"
    with pytest.raises(SealError):
        Keyring(old_master).load(key.key_id, moved.wrapped)
    with pytest.raises(SealError):
        Keyring(secrets.token_bytes(32)).load(key.key_id, key.wrapped)


def test_destroyed_key_cannot_open() -> None:
    ring = Keyring(secrets.token_bytes(32))
    key = ring.new_data_key()
    blob = ring.seal(key.key_id, b"gone", "t", "c", "r")
    ring.forget(key.key_id)
    with pytest.raises(KeyDestroyedError):
        ring.open(blob, "t", "c", "r")


def test_wrapped_key_is_bound_to_its_id() -> None:
    ring = Keyring(secrets.token_bytes(32))
    a, b = ring.new_data_key(), ring.new_data_key()
    with pytest.raises(SealError):
        ring.unwrap(b.key_id, a.wrapped)
    assert isinstance(WrappedKey(a.key_id, a.wrapped, a.master_id), WrappedKey)


def test_blind_index_is_keyed_and_stable() -> None:
    one, two = BlindIndex(secrets.token_bytes(32)), BlindIndex(secrets.token_bytes(32))
    assert one.telegram(12345) == one.telegram(12345)
    assert one.telegram(12345) != one.telegram(12346)
    assert one.telegram(12345) != two.telegram(12345)
    assert "12345" not in one.telegram(12345)
    assert one.code("abc") != one.telegram(0)


def test_audit_hash_depends_on_key_and_every_field() -> None:
    key = secrets.token_bytes(32)
    base = {"at": "t", "actor": "a", "action": "x", "subject": "s", "detail": "d"}
    first = audit_hash(key, "", base)
    assert audit_hash(key, "", dict(base)) == first
    assert audit_hash(secrets.token_bytes(32), "", base) != first
    assert audit_hash(key, "other", base) != first
    for field in base:
        assert audit_hash(key, "", {**base, field: "changed"}) != first


def test_key_files(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "master.key"
    made = load_or_create_key(None, path, "ALONGSIDE_MASTER_KEY")
    assert len(made) == 32
    assert path.stat().st_mode & 0o777 == 0o600
    assert load_or_create_key(None, path, "ALONGSIDE_MASTER_KEY") == made
    with pytest.raises(ConfigurationError):
        load_or_create_key("not-base64!", path, "ALONGSIDE_MASTER_KEY")
    with pytest.raises(ConfigurationError):
        load_or_create_key("c2hvcnQ=", path, "ALONGSIDE_MASTER_KEY")
