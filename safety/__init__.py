"""Safety: deterministic, explainable detection of safety concerns in a child's messages.

Pure Python and standard library only; imports nothing else of ours, so ``conversations`` and
``bot`` can call it freely and tests can exercise it without a database or Telegram.

* :class:`Detector` / :class:`ScanResult` / :class:`Severity` — scanning (:mod:`safety.detector`,
  lexicons in ``safety/lexicons/<lang>.json``, format in :mod:`safety.lexicons`).
* :func:`load_contacts` — a region's emergency contacts as data (:mod:`safety.contacts`).
* :class:`EscalationLadder` — when unacknowledged alerts are raised again
  (:mod:`safety.escalation`).
* :func:`scan_lines` — the ``alongside safety-scan`` JSON-lines contract (:mod:`safety.scan`).
"""

from safety.contacts import Contact, RegionContacts, UnknownRegionError, load_contacts
from safety.detector import Detector, ScanResult, canonical_language
from safety.escalation import EscalationLadder
from safety.lexicon import CATEGORIES, LexiconError, Rule, Severity
from safety.scan import scan_lines

__all__ = [
    "CATEGORIES",
    "Contact",
    "Detector",
    "EscalationLadder",
    "LexiconError",
    "RegionContacts",
    "Rule",
    "ScanResult",
    "Severity",
    "UnknownRegionError",
    "canonical_language",
    "load_contacts",
    "scan_lines",
]
