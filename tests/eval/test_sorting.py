"""The packed stable argsort against NumPy's stable sort (brute-force reference)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from vscrowd.eval.sorting import counting_order, sort_ints, stable_argsort


def _reference(value: np.ndarray, major: np.ndarray | None) -> np.ndarray:
    keys = (value,) if major is None else (value, major)
    return np.lexsort(keys)  # lexsort is stable: ties stay in index order


VALUES = st.one_of(
    st.sampled_from([0.1, 0.5, 0.9, 0.0, -0.5, 5e-324, -5e-324, 1.0, 1.0 + 2**-52]),
    st.floats(-1e300, 1e300, allow_nan=False).map(lambda x: x + 0.0),
    st.floats(-1, 1, width=32),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(VALUES, st.integers(0, 5)), min_size=0, max_size=60),
       st.booleans(), st.sampled_from([1, 1000, 2**40]))
def test_stable_argsort_equals_numpy(items, with_major, spread):
    value = np.array([v for v, _ in items], np.float64) + 0.0
    major = np.array([m * spread for _, m in items], np.int64) if with_major else None
    got = stable_argsort(value, major)
    assert got.dtype == np.int64
    assert got.tolist() == _reference(value, major).tolist()


def test_values_that_differ_only_in_dropped_bits_are_ordered():
    """Distinct values equal in their kept top bits: the packed keys leave them in
    index order, and the groups out of value order must be found and re-sorted."""
    rng = np.random.default_rng(0)
    value = 1.0 + rng.permutation(2000) * 2.0**-52  # differ in the lowest mantissa bits
    value = np.r_[value, value[:500]]  # with ties
    assert stable_argsort(value).tolist() == _reference(value, None).tolist()
    major = rng.integers(0, 3, len(value))
    assert stable_argsort(value, major).tolist() == _reference(value, major).tolist()


def test_large_rounded_float32_and_float64_scores():
    rng = np.random.default_rng(1)
    for value in (rng.random(300_000).round(4), rng.random(300_000).astype(np.float32),
                  rng.random(300_000)):  # full float64: many groups to re-sort
        value = -value.astype(np.float64) + 0.0
        major = np.sort(rng.integers(0, 5000, len(value)))
        assert np.array_equal(stable_argsort(value), np.argsort(value, kind="stable"))
        assert np.array_equal(stable_argsort(value, major), _reference(value, major))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 2**62), max_size=40), st.sampled_from([3, 2**20, 2**62 + 1]))
def test_sort_ints_equals_numpy(keys, modulus):
    """Small keys take the packed sort, keys too wide for the index NumPy's."""
    key = np.array(keys, np.int64) % modulus
    order, key_sorted = sort_ints(key)
    want = np.argsort(key, kind="stable")
    assert order.tolist() == want.tolist()
    assert key_sorted.tolist() == key[want].tolist()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 40), max_size=200), st.integers(0, 5))
def test_counting_order_is_the_stable_order(keys, spare):
    key = np.array(keys, np.int64)
    n = int(key.max(initial=-1)) + 1 + spare  # keys need not use every value below n
    got = counting_order(key, n)
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got, np.argsort(key, kind="stable"))
