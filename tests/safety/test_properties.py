"""Property tests: scanning never raises and is deterministic on arbitrary text."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from safety import Detector, Severity
from safety.normalize import forms

DET = Detector.load()
LANGS = st.lists(st.sampled_from(["en", "sq", "vi", "ar", "fa", "prs", "xx", "", "fr-FR"]))

odd_text = st.one_of(
    st.text(),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=300),
    st.text(alphabet="\u200c\u200d\u0640\u064b\u0301ـ'’ ـ!؟።ሀሐአዐيیكکەهأإآ", max_size=200),
    st.builds(lambda s, n: s * n, st.text(max_size=20), st.integers(0, 500)),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=odd_text, languages=LANGS)
def test_scan_never_raises_and_is_deterministic(text: str, languages: list[str]) -> None:
    first = DET.scan(text, languages)
    assert first == DET.scan(text, languages)
    assert first.severity in tuple(Severity)
    assert first.rules == tuple(sorted(set(first.rules)))


@settings(max_examples=200, deadline=None)
@given(text=st.text())
def test_forms_are_padded_and_single_spaced(text: str) -> None:
    f = forms(text)
    for form in (f.exact, f.loose):
        assert form.startswith(" ")
        assert form.endswith(" ")
        assert "  " not in form.strip() or form.strip() == ""


@pytest.mark.slow  # minutes of CPU: left out of `make test-fast`
def test_huge_message() -> None:
    # Danger at the end of a very long message is found, a window at a time.
    text = "I am fine, thank you. " * 20000 + "I want to kill myself tonight."
    assert DET.scan(text, ["en"]).severity is Severity.URGENT
    assert DET.scan("a" * 200_000).severity is Severity.NONE
