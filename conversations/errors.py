"""Errors the domain raises; each explains itself without revealing a child's data.

AlongsideError
├── ConfigurationError      the operator's settings cannot work (exit code 2)
│   └── MissingKeyError     a key file is missing beside a database that holds data
│                           (`conversations.crypto`)
├── SealError               a sealed value cannot be opened (wrong key, row or bytes)
│   └── KeyDestroyedError   the child's data key was erased on purpose
├── TamperedError           a row's owner or role was changed outside Alongside
├── AccessDenied            the asker may not see this; says nothing of whether it exists
├── ErasureBlocked          a child with an unresolved alert cannot be erased yet
├── CaseClosed              a closed case starts no contact with its young person
├── StaffError              a staff change that cannot be made (`conversations.people`)
└── InviteError             a code that cannot link
    ├── InviteUnknown, InviteUsed, InviteExpired
    └── Throttled           too many wrong codes; carries when to try again
"""

from __future__ import annotations

from datetime import datetime


class AlongsideError(Exception):
    """Base of every error Alongside raises on purpose."""


class ConfigurationError(AlongsideError):
    """Settings that cannot work; the message is one line an operator can act on."""


class StoreUnreachable(ConfigurationError):
    """The database did not answer (refused, timed out, starting up, unknown host): a one-shot
    command stops with this; a serving bot waits for it."""


class SealError(AlongsideError):
    """A sealed value could not be opened: wrong key, wrong row, or tampered bytes."""


class KeyDestroyedError(SealError):
    """The data key was destroyed (the child was erased)."""


class TamperedError(AlongsideError):
    """A row's bond does not match: someone changed who owns it without the index key."""


class AccessDenied(AlongsideError):
    """Refused without saying whether the thing asked for exists."""


class ErasureBlocked(AlongsideError):
    """A child with an alert that is not resolved stays: one in danger must not vanish."""

    def __init__(self, ref: str, open_alerts: int) -> None:
        super().__init__("resolve the open alerts first")
        self.ref = ref
        self.open_alerts = open_alerts


class CaseClosed(AlongsideError):
    """Their case is closed: nothing that would contact them starts until it is reopened."""

    def __init__(self, ref: str) -> None:
        super().__init__("reopen the case first")
        self.ref = ref


class InviteError(AlongsideError):
    """A start code that cannot link."""


class InviteUnknown(InviteError):
    pass


class InviteUsed(InviteError):
    pass


class InviteExpired(InviteError):
    pass


class Throttled(InviteError):
    def __init__(self, until: datetime) -> None:
        super().__init__("too many wrong codes")
        self.until = until
