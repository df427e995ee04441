"""Properties of proof generation and verification over perfect-node storage."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from haven.ledger.hashing import EMPTY_ROOT, leaf_hash, node_hash
from haven.ledger.merkle import (
    GetNode,
    InvalidProof,
    consistency_proof,
    consistency_ranges,
    inclusion_proof,
    inclusion_ranges,
    new_perfect_nodes,
    node_addresses,
    root_from_hashes,
    root_from_nodes,
    verify_consistency,
    verify_inclusion,
)

MAX_SIZE = 70


def _leaves(size: int) -> list[bytes]:
    return [leaf_hash(i.to_bytes(4, "big")) for i in range(size)]


def _reference_root(leaves: list[bytes]) -> bytes:
    """MTH straight from the RFC's recursive definition, independent of the code under test."""
    if not leaves:
        return EMPTY_ROOT
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return node_hash(_reference_root(leaves[:k]), _reference_root(leaves[k:]))


def _counting_store(leaves: list[bytes]) -> tuple[GetNode, list[tuple[int, int]]]:
    nodes = {(level, index): h for level, index, h in new_perfect_nodes(0, leaves, _no_node)}
    reads: list[tuple[int, int]] = []

    def get_node(level: int, index: int) -> bytes:
        reads.append((level, index))
        return nodes[(level, index)]

    return get_node, reads


def _no_node(level: int, index: int) -> bytes:
    raise AssertionError(f"an empty tree has no node ({level}, {index})")


sizes = st.integers(min_value=1, max_value=MAX_SIZE)


@given(st.integers(min_value=0, max_value=MAX_SIZE))
def test_roots_agree_with_the_rfc_definition(size: int) -> None:
    leaves = _leaves(size)
    get_node, reads = _counting_store(leaves)
    assert root_from_hashes(leaves) == _reference_root(leaves)
    assert root_from_nodes(size, get_node) == _reference_root(leaves)
    assert len(reads) == bin(size).count("1")


@given(sizes, st.data())
def test_inclusion_proofs_verify_for_every_index(size: int, data: st.DataObject) -> None:
    index = data.draw(st.integers(min_value=0, max_value=size - 1))
    leaves = _leaves(size)
    get_node, reads = _counting_store(leaves)
    proof = inclusion_proof(index, size, get_node)
    verify_inclusion(leaves[index], index, size, proof, _reference_root(leaves))
    assert len(reads) <= 2 * size.bit_length()


@given(sizes, st.data())
def test_consistency_proofs_verify_for_every_size_pair(size2: int, data: st.DataObject) -> None:
    size1 = data.draw(st.integers(min_value=1, max_value=size2))
    leaves = _leaves(size2)
    get_node, reads = _counting_store(leaves)
    proof = consistency_proof(size1, size2, get_node)
    verify_consistency(
        size1, size2, _reference_root(leaves[:size1]), _reference_root(leaves), proof
    )
    assert len(reads) <= 2 * size2.bit_length()


def _flip_one_bit(data: st.DataObject, hashes: list[bytes]) -> list[bytes]:
    """The same hashes with one bit, drawn anywhere among them, flipped."""
    target = data.draw(st.integers(min_value=0, max_value=len(hashes) - 1))
    bit = data.draw(st.integers(min_value=0, max_value=255))
    changed = bytearray(hashes[target])
    changed[bit // 8] ^= 1 << (bit % 8)
    return [*hashes[:target], bytes(changed), *hashes[target + 1 :]]


@settings(max_examples=200)
@given(st.integers(min_value=2, max_value=MAX_SIZE), st.data())
def test_any_single_bit_change_breaks_an_inclusion_proof(size: int, data: st.DataObject) -> None:
    index = data.draw(st.integers(min_value=0, max_value=size - 1))
    leaves = _leaves(size)
    get_node, _ = _counting_store(leaves)
    proof = inclusion_proof(index, size, get_node)
    root, leaf, *proof = _flip_one_bit(data, [_reference_root(leaves), leaves[index], *proof])
    with pytest.raises(InvalidProof):
        verify_inclusion(leaf, index, size, proof, root)


@settings(max_examples=200)
@given(st.integers(min_value=2, max_value=MAX_SIZE), st.data())
def test_any_single_bit_change_breaks_a_consistency_proof(size2: int, data: st.DataObject) -> None:
    size1 = data.draw(st.integers(min_value=1, max_value=size2 - 1))
    leaves = _leaves(size2)
    get_node, _ = _counting_store(leaves)
    proof = consistency_proof(size1, size2, get_node)
    roots = [_reference_root(leaves[:size1]), _reference_root(leaves)]
    root1, root2, *proof = _flip_one_bit(data, [*roots, *proof])
    with pytest.raises(InvalidProof):
        verify_consistency(size1, size2, root1, root2, proof)


@given(sizes, st.data())
def test_a_proof_for_one_size_fails_for_another(size: int, data: st.DataObject) -> None:
    index = data.draw(st.integers(min_value=0, max_value=size - 1))
    other = data.draw(
        st.integers(min_value=index + 1, max_value=MAX_SIZE + 1).filter(lambda s: s != size)
    )
    leaves = _leaves(max(size, other))
    get_node, _ = _counting_store(leaves)
    proof = inclusion_proof(index, size, get_node)
    with pytest.raises(InvalidProof):
        verify_inclusion(leaves[index], index, other, proof, _reference_root(leaves[:other]))


@given(st.integers(min_value=0, max_value=MAX_SIZE), st.integers(min_value=0, max_value=20))
def test_batched_integration_equals_one_by_one(size: int, batch: int) -> None:
    leaves = _leaves(size + batch)
    get_node, _ = _counting_store(leaves[:size])
    before = {(lv, ix): h for lv, ix, h in new_perfect_nodes(0, leaves[:size], _no_node)}
    batch_nodes = new_perfect_nodes(size, leaves[size:], get_node if size else _no_node)
    whole = {(lv, ix): h for lv, ix, h in new_perfect_nodes(0, leaves, _no_node)}
    assert {**before, **{(lv, ix): h for lv, ix, h in batch_nodes}} == whole


def test_out_of_range_requests_are_refused() -> None:
    get_node, _ = _counting_store(_leaves(4))
    with pytest.raises(InvalidProof):
        inclusion_proof(4, 4, get_node)
    with pytest.raises(InvalidProof):
        consistency_proof(0, 4, get_node)
    with pytest.raises(InvalidProof):
        consistency_proof(5, 4, get_node)
    assert consistency_proof(4, 4, get_node) == []
    assert hashlib.sha256(b"").digest() == root_from_hashes([])


def test_every_index_and_size_pair_up_to_48() -> None:
    leaves = _leaves(48)
    get_node, _ = _counting_store(leaves)
    roots = [_reference_root(leaves[:size]) for size in range(49)]
    for size in range(1, 49):
        for index in range(size):
            verify_inclusion(
                leaves[index], index, size, inclusion_proof(index, size, get_node), roots[size]
            )
        for size1 in range(1, size + 1):
            proof = consistency_proof(size1, size, get_node)
            verify_consistency(size1, size, roots[size1], roots[size], proof)


@given(sizes, st.data())
def test_node_addresses_name_exactly_the_reads(size: int, data: st.DataObject) -> None:
    index = data.draw(st.integers(min_value=0, max_value=size - 1))
    size1 = data.draw(st.integers(min_value=1, max_value=size))
    get_node, reads = _counting_store(_leaves(size))
    inclusion_proof(index, size, get_node)
    assert reads == node_addresses(inclusion_ranges(index, size))
    reads.clear()
    consistency_proof(size1, size, get_node)
    assert reads == node_addresses(consistency_ranges(size1, size))
