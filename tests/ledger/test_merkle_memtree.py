"""The in-memory tree agrees with the proof functions, and the benchmark compares like with like."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from haven.ledger.hashing import EMPTY_ROOT, leaf_hash
from haven.ledger.memtree import MemoryTree, bench_entries, bench_in_memory
from haven.ledger.merkle import root_from_hashes, verify_consistency, verify_inclusion


@given(st.integers(min_value=0, max_value=80))
def test_append_and_extend_build_the_same_tree(size: int) -> None:
    entries = bench_entries(size)
    one_by_one, batched = MemoryTree(), MemoryTree()
    assert [one_by_one.append(e) for e in entries] == list(range(size))
    batched.extend(entries[: size // 2])
    batched.extend(entries[size // 2 :])
    expected = root_from_hashes([leaf_hash(e) for e in entries])
    assert one_by_one.root() == batched.root() == expected


@given(st.integers(min_value=1, max_value=80), st.data())
def test_proofs_from_a_growing_tree_verify(size: int, data: st.DataObject) -> None:
    entries = bench_entries(size)
    tree = MemoryTree()
    tree.extend(entries)
    old_size = data.draw(st.integers(min_value=1, max_value=size))
    index = data.draw(st.integers(min_value=0, max_value=old_size - 1))
    verify_inclusion(
        leaf_hash(entries[index]),
        index,
        old_size,
        tree.inclusion_proof(index, old_size),
        tree.root(old_size),
    )
    verify_consistency(
        old_size, size, tree.root(old_size), tree.root(), tree.consistency_proof(old_size)
    )


def test_empty_tree_and_out_of_range_sizes() -> None:
    tree = MemoryTree()
    assert tree.root() == EMPTY_ROOT
    tree.append(b"x")
    with pytest.raises(ValueError, match="beyond"):
        tree.root(2)


def test_bench_reports_both_trees_on_the_same_entries() -> None:
    result = bench_in_memory(300, samples=20, repeats=2)
    assert (result["entries"], result["repeats"]) == (300, 2)
    # pymerkle is installed with the bench extra; the roots must agree or the race is unfair.
    assert result["roots_match"] is True
    for side in ("haven", "pymerkle"):
        assert set(result[side]) == {
            "append_per_s",
            "append_batch_per_s",
            "inclusion_proof_us",
            "consistency_proof_us",
            "full_verify_s",
        }
        assert all(value > 0 for value in result[side].values())
    assert set(result["speedup"]) >= {"append", "inclusion_proof", "full_verify"}
