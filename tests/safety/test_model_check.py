"""`make check-model`: a model retrained elsewhere passes, a model from another corpus fails."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from safety.model import MODEL_PATH
from safety.train import same

Arrays = dict[str, npt.NDArray[np.generic]]


def committed() -> Arrays:
    with np.load(MODEL_PATH, allow_pickle=False) as model:
        return {name: model[name] for name in model.files}


def with_meta(arrays: Arrays, change: Callable[[dict[str, Any]], None]) -> Arrays:
    meta = json.loads(str(arrays["meta"]))
    change(meta)
    return {**arrays, "meta": np.array(json.dumps(meta, sort_keys=True))}


def first_count(meta: dict[str, Any]) -> list[int]:
    table = sorted(meta["validation"])[0]
    return meta["validation"][table][sorted(meta["validation"][table])[0]]  # type: ignore[no-any-return]


def test_the_committed_model_is_the_same_as_itself() -> None:
    assert same(committed())


def test_another_machines_rounding_passes() -> None:
    """Weights within float16 rounding, a threshold a hair away, a count one line off."""
    arrays = committed()
    urgent = (arrays["urgent"].astype(np.float32) + 0.001).astype(np.float16)
    rounded = {**arrays, "urgent": urgent}

    def drift(meta: dict[str, Any]) -> None:
        meta["thresholds"]["urgent_chat"] += 0.004
        meta["urgent_bias"] += 0.01
        first_count(meta)[0] -= 1
        meta["versions"] = {"numpy": "0", "scipy": "0"}

    assert same(with_meta(rounded, drift))


def _more_corpus(meta: dict[str, Any]) -> None:
    meta["examples"]["corpus"] += 1


def _far_threshold(meta: dict[str, Any]) -> None:
    meta["thresholds"]["flag_chat"] -= 0.2


def _many_more_caught(meta: dict[str, Any]) -> None:
    count = first_count(meta)
    count[0] = min(count[1], count[0] + 3 + count[1] // 50) if count[0] < count[1] else 0


def _another_trusted_rule(meta: dict[str, Any]) -> None:
    meta["trusted"] = [*meta["trusted"], "made-up rule"]


@pytest.mark.parametrize(
    "change", [_more_corpus, _far_threshold, _many_more_caught, _another_trusted_rule]
)
def test_a_model_of_other_data_fails(change: Callable[[dict[str, Any]], None]) -> None:
    assert not same(with_meta(committed(), change))


def test_other_weights_fail() -> None:
    arrays = committed()
    moved = {**arrays, "flag": (arrays["flag"].astype(np.float32) + 0.1).astype(np.float16)}
    assert not same(moved)
    missing = {k: v for k, v in arrays.items() if k != "lid"}
    assert not same(missing)
