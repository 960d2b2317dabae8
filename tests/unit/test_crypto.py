"""Envelope encryption: sealed values open only where they belong, and keys behave."""

from __future__ import annotations

import base64
import os
import secrets
from pathlib import Path

import pytest

from conversations.crypto import (
    BlindIndex,
    Keyring,
    WrappedKey,
    audit_hash,
    encode_key,
    load_or_create_key,
)
from conversations.errors import ConfigurationError, KeyDestroyedError, SealError


def test_seal_and_open() -> None:
    ring = Keyring(secrets.token_bytes(32))
    key = ring.new_data_key()
    blob = ring.seal(key.key_id, "Përshëndetje 👋".encode(), "messages", "body", "01A")
    assert "Përshëndetje".encode() not in blob
    assert ring.open(blob, "messages", "body", "01A").decode() == "Përshëndetje 👋"


@pytest.mark.parametrize(
    ("table", "column", "row"),
    [("notes", "body", "01A"), ("messages", "caption", "01A"), ("messages", "body", "01B")],
)
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


def test_a_key_destroyed_in_the_store_cannot_open() -> None:
    writer = Keyring(secrets.token_bytes(32))
    key = writer.new_data_key()
    blob = writer.seal(key.key_id, b"erased", "messages", "body", "01A")
    # A reader loading a data key whose wrapped form the store set to NULL (crypto-shredding).
    ring = Keyring(secrets.token_bytes(32))
    ring.load(key.key_id, None)
    assert ring.knows(key.key_id)
    with pytest.raises(KeyDestroyedError):
        ring.open(blob, "messages", "body", "01A")
    with pytest.raises(KeyDestroyedError):
        ring.seal(key.key_id, b"new", "messages", "body", "01B")


def test_unknown_format_and_unloaded_keys_are_seal_errors() -> None:
    ring = Keyring(secrets.token_bytes(32))
    key = ring.new_data_key()
    blob = ring.seal(key.key_id, b"x", "t", "c", "r")
    with pytest.raises(SealError):
        ring.open(b"\x02" + blob[1:], "t", "c", "r")
    with pytest.raises(SealError):
        ring.open(b"", "t", "c", "r")
    with pytest.raises(SealError):
        Keyring(secrets.token_bytes(32)).open(blob, "t", "c", "r")
    assert Keyring.key_id_of(blob) == key.key_id


def test_each_seal_is_fresh() -> None:
    ring = Keyring(secrets.token_bytes(32))
    key = ring.new_data_key()
    one = ring.seal(key.key_id, b"same", "t", "c", "r")
    two = ring.seal(key.key_id, b"same", "t", "c", "r")
    # A repeated nonce under AES-GCM would leak the XOR of plaintexts and the auth key.
    assert one != two
    assert one[17:29] != two[17:29]


def test_master_fingerprint_names_without_revealing() -> None:
    master = secrets.token_bytes(32)
    ring = Keyring(master)
    assert ring.master_id == Keyring(master).master_id
    assert ring.master_id != Keyring(secrets.token_bytes(32)).master_id
    assert ring.master_id not in master.hex()


def test_key_from_environment_wins_and_is_not_written(tmp_path: Path) -> None:
    raw = secrets.token_bytes(32)
    path = tmp_path / "master.key"
    assert load_or_create_key(f" {encode_key(raw)}\n", path, "ALONGSIDE_MASTER_KEY") == raw
    assert not path.exists()


def test_key_file_is_private_whatever_came_before(tmp_path: Path) -> None:
    path = tmp_path / "master.key"
    # A stale temporary file from an interrupted write, readable by everyone.
    stale = tmp_path / "master.tmp"
    stale.write_text("leftover")
    stale.chmod(0o644)
    old_umask = os.umask(0)
    try:
        raw = load_or_create_key(None, path, "ALONGSIDE_MASTER_KEY")
    finally:
        os.umask(old_umask)
    assert path.stat().st_mode & 0o777 == 0o600
    assert not stale.exists()
    assert path.read_text(encoding="ascii").strip() == encode_key(raw)


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("!!!!", "not valid base64"),
        ("c2hvcnQ=", "32 bytes"),
        (base64.b64encode(bytes(33)).decode(), "32 bytes"),
        ("", "32 bytes"),
    ],
)
def test_bad_key_files_are_configuration_errors(tmp_path: Path, value: str, says: str) -> None:
    path = tmp_path / "index.key"
    path.write_text(value)
    with pytest.raises(ConfigurationError, match=says) as bad:
        load_or_create_key(None, path, "ALONGSIDE_INDEX_KEY")
    assert str(path) in str(bad.value)
    assert "\n" not in str(bad.value)
