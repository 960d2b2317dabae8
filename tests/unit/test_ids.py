"""Row ids sort by creation time and never collide; case references avoid words."""

from __future__ import annotations

import itertools
import threading
import time

from conversations.ids import case_reference, new_id

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
REFERENCE = set("BCDFGHJKLMNPQRSTVWXZ23456789")


def _millis(ulid: str) -> int:
    value = 0
    for char in ulid:
        value = value * 32 + CROCKFORD.index(char)
    return value >> 80


def test_ids_are_strictly_increasing_and_26_characters() -> None:
    # Thousands within the same millisecond exercise the counter, not only the clock.
    ids = [new_id() for _ in range(5000)]
    assert all(a < b for a, b in itertools.pairwise(ids))
    assert all(len(i) == 26 for i in ids)
    assert all(set(i) <= set(CROCKFORD) for i in ids)


def test_ids_carry_the_time_they_were_made() -> None:
    before = time.time_ns() // 1_000_000
    made = new_id()
    after = time.time_ns() // 1_000_000
    assert before <= _millis(made) <= after + 1
    assert made[0] in "01234567", "a 128-bit value fits in 26 characters"


def test_ids_from_many_threads_are_unique() -> None:
    made: list[list[str]] = [[] for _ in range(8)]

    def work(out: list[str]) -> None:
        out.extend(new_id() for _ in range(500))

    threads = [threading.Thread(target=work, args=(out,)) for out in made]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    every = [i for out in made for i in out]
    assert len(set(every)) == len(every) == 4000
    assert all(out == sorted(out) for out in made)


def test_ids_are_not_guessable_from_their_neighbours() -> None:
    # Ids made in different milliseconds start their counters at unrelated random values.
    first = new_id()
    time.sleep(0.003)
    second = new_id()
    assert first[:10] != second[:10]
    assert first[10:] != second[10:]


def test_case_references_use_only_the_reference_alphabet() -> None:
    refs = [case_reference() for _ in range(2000)]
    assert all(len(r) == 3 for r in refs)
    assert all(set(r) <= REFERENCE for r in refs)
    assert not any(set(r) & set("AEIOUY01") for r in refs), "no vowels, nothing read as O or I"
    # Random, not a counter: 2000 draws from 21952 values show plenty of variety.
    assert len(set(refs)) > 1500
