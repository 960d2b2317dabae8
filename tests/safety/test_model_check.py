"""`make check-model`: a model retrained elsewhere passes, a model of other data fails."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from scipy import sparse

from safety.model import MODEL_PATH
from safety.train import Trained, base_detector, featurize, load_corpus, same

Arrays = dict[str, npt.NDArray[np.generic]]


def committed() -> Arrays:
    with np.load(MODEL_PATH, allow_pickle=False) as model:
        return {name: model[name] for name in model.files}


@cache
def examples() -> sparse.csr_matrix:
    """Every twentieth corpus line, read as the trainer reads it (the check reads them all)."""
    arrays = committed()
    languages = tuple(json.loads(str(arrays["meta"]))["lid_languages"])
    detector = base_detector(arrays["lid"].astype(np.float32), languages)
    matrix, _ = featurize(detector, load_corpus()[::20])
    return matrix


def retrained(arrays: Arrays) -> Trained:
    return Trained(arrays, examples())


def with_meta(arrays: Arrays, change: Callable[[dict[str, Any]], None]) -> Arrays:
    meta = json.loads(str(arrays["meta"]))
    change(meta)
    return {**arrays, "meta": np.array(json.dumps(meta, sort_keys=True))}


def moved(arrays: Arrays, head: str, by: npt.NDArray[np.float64] | float) -> Arrays:
    return {**arrays, head: (arrays[head].astype(np.float64) + by).astype(np.float16)}


def first_count(meta: dict[str, Any]) -> list[int]:
    table = sorted(meta["validation"])[0]
    return meta["validation"][table][sorted(meta["validation"][table])[0]]  # type: ignore[no-any-return]


def test_the_committed_model_is_the_same_as_itself() -> None:
    assert same(retrained(committed()))


def test_another_machines_model_passes() -> None:
    """Weights moved at random as another machine's L-BFGS moves them, thresholds and a bias a
    hair away, a held-back count one line off, other library versions."""
    rng = np.random.default_rng(7)
    arrays = committed()
    for head in ("urgent", "flag", "published"):
        arrays = moved(arrays, head, rng.normal(0, 0.01, arrays[head].shape))

    def drift(meta: dict[str, Any]) -> None:
        meta["thresholds"]["urgent_chat"] += 0.004
        meta["urgent_bias"] += 0.01
        first_count(meta)[0] -= 1
        meta["versions"] = {"numpy": "0", "scipy": "0"}

    assert same(retrained(with_meta(arrays, drift)))


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
    assert not same(retrained(with_meta(committed(), change)))


@pytest.mark.parametrize("head", ["urgent", "flag", "published", "category"])
def test_a_head_that_says_otherwise_fails(head: str) -> None:
    arrays = committed()
    # Sign flipped: each head's verdicts change on far more than one line in a hundred.
    flipped = {**arrays, head: (-arrays[head].astype(np.float32)).astype(np.float16)}
    assert not same(retrained(flipped))


def test_a_missing_array_or_another_language_model_fails() -> None:
    arrays = committed()
    assert not same(retrained({k: v for k, v in arrays.items() if k != "lid"}))
    assert not same(retrained(moved(arrays, "lid", 0.5)))
