"""Encryption at rest: envelope encryption, blind indexes and the audit key.

A master key wraps one data key per child, plus one system key for staff names and the queues.
Fields are sealed with AES-256-GCM; the associated data names table, column and row, so a sealed
value moved to another row or column does not open. A sealed blob is::

    0x01 | data key id (16 bytes) | nonce (12 bytes) | ciphertext and tag

Rotating the master key rewraps the data keys and touches no sealed field. Destroying a child's
data key makes everything sealed under it unreadable (crypto-shredding).

Telegram ids are low-entropy, so their look-up index is an HMAC under a key that lives outside the
database (the index key): a stolen database alone cannot be brute-forced back to ids.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from conversations.errors import ConfigurationError, KeyDestroyedError, SealError

VERSION = b"\x01"
KEY_ID_BYTES = 16
NONCE_BYTES = 12
MASTER_KEY_FILE = "master.key"
INDEX_KEY_FILE = "index.key"


def _decode_key(text: str, what: str) -> bytes:
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ConfigurationError(f"{what} is not valid base64") from exc
    if len(raw) != 32:
        raise ConfigurationError(f"{what} must be 32 bytes of base64, not {len(raw)}")
    return raw


def encode_key(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def private_dir(path: Path) -> None:
    """Make `path` (if need be) and leave it 0700 whatever the umask: it holds the keys and,
    on SQLite, the database."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path, 0o700)


def _write_secret(path: Path, raw: bytes) -> None:
    private_dir(path.parent)
    tmp = path.with_suffix(".tmp")
    # A leftover temporary file would keep its own mode (and any reader's open handle): start anew.
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(encode_key(raw) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


class MissingKeyError(ConfigurationError):
    """A key file that should be there is not (`load_or_create_key` with ``create=False``)."""

    def __init__(self, path: Path) -> None:
        super().__init__(f"the key file {path} is missing")
        self.path = path


def load_or_create_key(
    env_value: str | None, path: Path, what: str, *, create: bool = True
) -> bytes:
    """The key from the environment, else from its file, created with mode 0600 on first use.

    Only a new store may have its keys made: beside data, a new key opens none of it and
    starts a second deployment over the first (``create=False`` refuses instead).
    """
    if env_value:
        return _decode_key(env_value, what)
    if path.exists():
        return _decode_key(path.read_text(encoding="ascii"), f"{what} file {path}")
    if not create:
        raise MissingKeyError(path)
    raw = secrets.token_bytes(32)
    _write_secret(path, raw)
    return raw


def replace_key_file(path: Path, raw: bytes) -> None:
    _write_secret(path, raw)


def master_fingerprint(master: bytes) -> str:
    """Names a master key without revealing it, so a data key records which key wrapped it."""
    return hmac.new(master, b"alongside/master-fingerprint", hashlib.sha256).hexdigest()[:16]


def _aad(table: str, column: str, row: str) -> bytes:
    return f"{table}\x1f{column}\x1f{row}".encode()


@dataclass(frozen=True)
class WrappedKey:
    key_id: str
    wrapped: bytes
    master_id: str


class Keyring:
    """Unwrapped data keys in memory, and sealing with them."""

    def __init__(self, master: bytes) -> None:
        self._master = AESGCM(master)
        self.master_id = master_fingerprint(master)
        self._keys: dict[str, AESGCM] = {}
        self._destroyed: set[str] = set()

    def new_data_key(self) -> WrappedKey:
        key_id = secrets.token_bytes(KEY_ID_BYTES).hex()
        raw = AESGCM.generate_key(bit_length=256)
        self._keys[key_id] = AESGCM(raw)
        return WrappedKey(key_id, self._wrap(key_id, raw), self.master_id)

    def _wrap(self, key_id: str, raw: bytes) -> bytes:
        nonce = secrets.token_bytes(NONCE_BYTES)
        return nonce + self._master.encrypt(nonce, raw, _aad("data_keys", "wrapped", key_id))

    def unwrap(self, key_id: str, wrapped: bytes) -> bytes:
        try:
            return self._master.decrypt(
                wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], _aad("data_keys", "wrapped", key_id)
            )
        except Exception as exc:
            raise SealError("a data key does not open with this master key") from exc

    def rewrap(self, key: WrappedKey, new_master: Keyring) -> WrappedKey:
        raw = self.unwrap(key.key_id, key.wrapped)
        return WrappedKey(key.key_id, new_master._wrap(key.key_id, raw), new_master.master_id)

    def load(self, key_id: str, wrapped: bytes | None) -> None:
        if wrapped is None:
            self._destroyed.add(key_id)
            self._keys.pop(key_id, None)
            return
        self._keys[key_id] = AESGCM(self.unwrap(key_id, wrapped))

    def forget(self, key_id: str) -> None:
        self._keys.pop(key_id, None)
        self._destroyed.add(key_id)

    def knows(self, key_id: str) -> bool:
        return key_id in self._keys or key_id in self._destroyed

    def seal(self, key_id: str, plaintext: bytes, table: str, column: str, row: str) -> bytes:
        nonce = secrets.token_bytes(NONCE_BYTES)
        cipher = self._key(key_id)
        sealed = cipher.encrypt(nonce, plaintext, _aad(table, column, row))
        return VERSION + bytes.fromhex(key_id) + nonce + sealed

    def open(self, blob: bytes, table: str, column: str, row: str) -> bytes:
        if blob[:1] != VERSION:
            raise SealError("unknown sealed format")
        key_id = blob[1 : 1 + KEY_ID_BYTES].hex()
        nonce = blob[1 + KEY_ID_BYTES : 1 + KEY_ID_BYTES + NONCE_BYTES]
        try:
            return self._key(key_id).decrypt(
                nonce, blob[1 + KEY_ID_BYTES + NONCE_BYTES :], _aad(table, column, row)
            )
        except (SealError, KeyError):
            raise
        except Exception as exc:
            raise SealError("sealed value does not open here") from exc

    def _key(self, key_id: str) -> AESGCM:
        if key_id in self._destroyed:
            raise KeyDestroyedError("data key destroyed")
        try:
            return self._keys[key_id]
        except KeyError:
            raise SealError("data key not loaded") from None

    @staticmethod
    def key_id_of(blob: bytes) -> str:
        return blob[1 : 1 + KEY_ID_BYTES].hex()


class BlindIndex:
    """Deterministic, keyed look-up values for low-entropy identifiers, and the audit chain key."""

    def __init__(self, index_key: bytes) -> None:
        self._key = index_key
        self.audit_key = hmac.new(index_key, b"alongside/audit-chain", hashlib.sha256).digest()
        self._bond_key = hmac.new(index_key, b"alongside/row-bonds", hashlib.sha256).digest()

    def bond(self, table: str, values: Iterable[tuple[str, object]]) -> str:
        """A row's relations under a key the database does not hold (see `models.Bonded`)."""
        # None and "" differ; so do a value and the same text in another column.
        body = "\x1e".join(
            f"{name}" + ("\x00" if value is None else f"={value}") for name, value in values
        )
        return hmac.new(self._bond_key, f"{table}\x1d{body}".encode(), hashlib.sha256).hexdigest()

    def telegram(self, telegram_id: int) -> str:
        return self._digest(b"telegram-id", str(telegram_id).encode())

    def code(self, code: str) -> str:
        return self._digest(b"invite-code", code.encode())

    def _digest(self, purpose: bytes, value: bytes) -> str:
        mac = hmac.new(self._key, purpose + b"\x00" + value, hashlib.sha256)
        return mac.hexdigest()[:40]


def audit_head_mac(key: bytes, rows: int, last: str) -> str:
    """The chain's end, keyed: moving it back after deleting entries needs the index key."""
    return hmac.new(key, f"head\x1d{rows}\x1d{last}".encode(), hashlib.sha256).hexdigest()


def audit_anchor_mac(key: bytes, rows: int, last: str, at: str) -> str:
    """One line of the anchor file outside the database (`conversations.anchor`), keyed."""
    return hmac.new(key, f"anchor\x1d{rows}\x1d{last}\x1d{at}".encode(), hashlib.sha256).hexdigest()


def _fields_text(fields: Mapping[str, str]) -> str:
    return "\x1e".join(f"{k}={fields[k]}" for k in sorted(fields))


def audit_hash(key: bytes, previous: str, fields: Mapping[str, str]) -> str:
    """One link of the audit chain as it was first made (entries without a digest)."""
    return hmac.new(
        key, (previous + "\x1d" + _fields_text(fields)).encode(), hashlib.sha256
    ).hexdigest()


def audit_digest(key: bytes, fields: Mapping[str, str]) -> str:
    """An entry's fields, keyed: what the chain links, so the fields can later be blanked."""
    return hmac.new(key, ("fields\x1d" + _fields_text(fields)).encode(), hashlib.sha256).hexdigest()


def audit_link(key: bytes, previous: str, digest: str) -> str:
    """One link of the audit chain: keyed, so rehashing after an edit needs the index key."""
    return hmac.new(key, f"link\x1d{previous}\x1d{digest}".encode(), hashlib.sha256).hexdigest()
