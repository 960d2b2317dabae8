"""Emergency contacts as data."""

from __future__ import annotations

import pytest

from safety import UnknownRegionError, load_contacts


def test_uk_contacts() -> None:
    uk = load_contacts("uk")
    numbers = {c.id: c.number for c in uk.contacts}
    assert numbers["emergency"] == "999"
    assert numbers["childline"] == "0800 1111"
    assert numbers["modern_slavery_helpline"] == "08000 121 700"
    assert numbers["missing_people"] == "116 000"
    assert numbers["missing_people_text"] == "116 000"
    assert numbers["samaritans"] == "116 123"
    assert uk.emergency.number == "999"
    assert "55" in uk.get("emergency").description
    assert "55" in uk.get("emergency_silent").number
    assert "200" in uk.get("modern_slavery_helpline").description
    assert uk.get("missing_people_text").kind == "text"
    for contact in uk.contacts:
        assert contact.kind in {"call", "text"}
        assert contact.hours
        assert contact.description.endswith(".")


def test_region_is_case_insensitive_and_cached() -> None:
    assert load_contacts("UK") == load_contacts("uk")
    assert load_contacts("uk") is load_contacts("uk")


@pytest.mark.parametrize("region", ["fr", "", "../uk", "u k", "uk/../uk"])
def test_unknown_region(region: str) -> None:
    with pytest.raises(UnknownRegionError):
        load_contacts(region)
    assert issubclass(UnknownRegionError, ValueError)


def test_missing_contact_id() -> None:
    with pytest.raises(KeyError):
        load_contacts("uk").get("nope")
