"""RFC 9162 §2.1 Merkle tree roots, inclusion and consistency proofs, over perfect subtree nodes.

Storage-backed trees keep only *perfect* (complete) subtree hashes, addressed by ``(level, index)``:
level 0 holds the leaf hashes, and node ``(level, i)`` covers leaves ``[i * 2**level, (i + 1) *
2**level)``. Every function here that builds a root or a proof reads such nodes through a
``get_node(level, index)`` callable and needs O(log n) reads, never a pass over all leaves.

Verification follows RFC 9162 §2.1.3.2 and §2.1.4.2. ``verify_inclusion`` and ``verify_consistency``
return ``None`` on success and raise :class:`InvalidProof` (a 422 ``haven.errors.Invalid``)
otherwise, so that a caller cannot forget to look at a boolean.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Sequence

from haven.errors import Invalid
from haven.ledger.hashing import EMPTY_ROOT, HASH_SIZE, node_hash

_sha256 = hashlib.sha256

GetNode = Callable[[int, int], bytes]
"""``get_node(level, index)`` returns the hash of the perfect subtree node at that address."""

NodeAddress = tuple[int, int]


class InvalidProof(Invalid):
    """A Merkle proof, tree size or root does not verify."""

    code = "invalid_proof"


def _split_point(size: int) -> int:
    """The largest power of two strictly smaller than ``size`` (``size`` >= 2)."""
    return 1 << ((size - 1).bit_length() - 1)


def root_from_hashes(leaf_hashes: Sequence[bytes]) -> bytes:
    """The Merkle Tree Hash (RFC 9162 §2.1.1) of a list of leaf hashes, in n - 1 node hashes."""
    if not leaf_hashes:
        return EMPTY_ROOT
    # Level by level, promoting an unpaired last node: for the left-balanced RFC tree this gives
    # the same root as the recursive definition, with one list comprehension per level.
    level = list(leaf_hashes)
    while len(level) > 1:
        width = len(level)
        parents = [
            _sha256(b"\x01" + level[i] + level[i + 1]).digest() for i in range(0, width - 1, 2)
        ]
        if width & 1:
            parents.append(level[-1])
        level = parents
    return level[0]


def fold_right(perfect_hashes: Sequence[bytes]) -> bytes:
    """Combine the perfect subtree hashes of a tree (largest first) into its root."""
    root = perfect_hashes[-1]
    for left in reversed(perfect_hashes[:-1]):
        root = node_hash(left, root)
    return root


def perfect_addresses(begin: int, end: int) -> list[NodeAddress]:
    """The perfect nodes, left to right, that cover ``[begin, end)`` when ``begin`` is a subtree
    start of the RFC 9162 recursion (a multiple of the largest power of two not above the width)."""
    addresses: list[NodeAddress] = []
    width = end - begin
    for level in range(width.bit_length() - 1, -1, -1):
        if width >> level & 1:
            addresses.append((level, begin >> level))
            begin += 1 << level
    return addresses


def range_hash(begin: int, end: int, get_node: GetNode) -> bytes:
    """MTH(D[begin:end]) for a subtree of the RFC 9162 recursion, in popcount(end - begin) reads."""
    width = end - begin
    if width & (width - 1) == 0:  # a perfect subtree: one read
        level = width.bit_length() - 1
        return get_node(level, begin >> level)
    return fold_right([get_node(level, index) for level, index in perfect_addresses(begin, end)])


def root_from_nodes(size: int, get_node: GetNode) -> bytes:
    """The root of the tree of ``size`` leaves, from at most log2(size) + 1 perfect node reads."""
    if size == 0:
        return EMPTY_ROOT
    return range_hash(0, size, get_node)


Range = tuple[int, int]


def inclusion_ranges(index: int, size: int) -> list[Range]:
    """The leaf ranges ``[begin, end)`` whose hashes form the audit path, leaf first."""
    if not 0 <= index < size:
        raise InvalidProof(f"leaf index {index} is outside a tree of size {size}", field="index")
    ranges: list[Range] = []
    begin, end = 0, size
    # Walk from the root down; siblings are collected root first, then reversed.
    while end - begin > 1:
        k = _split_point(end - begin)
        if index < begin + k:
            ranges.append((begin + k, end))
            end = begin + k
        else:
            ranges.append((begin, begin + k))
            begin += k
    ranges.reverse()
    return ranges


def consistency_ranges(size1: int, size2: int) -> list[Range]:
    """The leaf ranges whose hashes form the consistency proof from ``size1`` to ``size2``."""
    if not 0 < size1 <= size2:
        raise InvalidProof(f"no consistency proof from size {size1} to size {size2}", field="size1")
    ranges: list[Range] = []
    begin, end = 0, size2
    m = size1
    whole_old_tree = True  # SUBPROOF's flag b: the old tree's root is known to the verifier.
    while m != end - begin:
        k = _split_point(end - begin)
        if m <= k:
            ranges.append((begin + k, end))
            end = begin + k
        else:
            ranges.append((begin, begin + k))
            begin += k
            m -= k
            whole_old_tree = False
    if not whole_old_tree:
        ranges.append((begin, end))
    ranges.reverse()
    return ranges


def node_addresses(ranges: Iterable[Range]) -> list[NodeAddress]:
    """Every perfect node a proof over ``ranges`` reads, so storage can fetch them in one query."""
    return [address for begin, end in ranges for address in perfect_addresses(begin, end)]


def inclusion_proof(index: int, size: int, get_node: GetNode) -> list[bytes]:
    """The audit path (RFC 9162 §2.1.3.1) for leaf ``index`` in the tree of ``size``, leaf first."""
    return [range_hash(begin, end, get_node) for begin, end in inclusion_ranges(index, size)]


def consistency_proof(size1: int, size2: int, get_node: GetNode) -> list[bytes]:
    """The consistency proof (RFC 9162 §2.1.4.1) from the tree of ``size1`` to that of ``size2``.

    Empty when the sizes are equal; ``size1`` must be at least 1 (a proof from the empty tree is
    not defined, since every tree extends it).
    """
    return [range_hash(begin, end, get_node) for begin, end in consistency_ranges(size1, size2)]


def _check_hash_sizes(hashes: Sequence[bytes], field: str) -> None:
    if any(len(h) != HASH_SIZE for h in hashes):
        raise InvalidProof(f"every hash in {field} must be {HASH_SIZE} bytes", field=field)


def _sibling_sides(fn: int, sn: int, path: Sequence[bytes]) -> Iterator[tuple[bytes, bool]]:
    """Walk ``path`` up the tree as RFC 9162 §2.1.3.2 / §2.1.4.2 do, from node number ``fn`` in a
    tree whose last node number is ``sn``: yield each hash and whether it is a left sibling.
    Raises :class:`InvalidProof` when the path is longer or shorter than the tree is deep."""
    for node in path:
        if sn == 0:
            raise InvalidProof("the proof is longer than the tree is deep", field="proof")
        on_left = bool(fn & 1) or fn == sn
        yield node, on_left
        if on_left and not fn & 1:
            # fn is the last node of its level: climb while it is a right-edge left child.
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise InvalidProof("the proof is too short for the tree size", field="proof")


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Check that ``leaf_hash`` is leaf ``index`` of the tree of ``size`` with ``root``
    (RFC 9162 §2.1.3.2). Raises :class:`InvalidProof` when it is not."""
    if not 0 <= index < size:
        raise InvalidProof(f"leaf index {index} is outside a tree of size {size}", field="index")
    _check_hash_sizes([leaf_hash], "leaf_hash")
    _check_hash_sizes(proof, "proof")
    computed = leaf_hash
    for sibling, on_left in _sibling_sides(index, size - 1, proof):
        computed = node_hash(sibling, computed) if on_left else node_hash(computed, sibling)
    if computed != root:
        raise InvalidProof("inclusion proof does not lead to the root", field="root")


def verify_consistency(
    size1: int, size2: int, root1: bytes, root2: bytes, proof: Sequence[bytes]
) -> None:
    """Check that the tree of ``size2`` with ``root2`` extends the tree of ``size1`` with ``root1``
    (RFC 9162 §2.1.4.2). Raises :class:`InvalidProof` when it does not.

    ``size1`` must be at least 1: a check against the empty tree proves nothing and is refused.
    """
    if size1 < 1:
        raise InvalidProof("a consistency check from the empty tree proves nothing", field="size1")
    if size1 > size2:
        raise InvalidProof(f"size1 {size1} is larger than size2 {size2}", field="size1")
    if size1 == size2:
        if proof:
            raise InvalidProof("the proof between equal sizes must be empty", field="proof")
        if root1 != root2:
            raise InvalidProof("equal sizes with different roots", field="root2")
        return
    if not proof:
        raise InvalidProof("empty consistency proof between different sizes", field="proof")
    _check_hash_sizes(proof, "proof")
    path = list(proof)
    if size1 & (size1 - 1) == 0:
        path.insert(0, root1)
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    first = second = path[0]
    for node, on_left in _sibling_sides(fn, sn, path[1:]):
        if on_left:
            first = node_hash(node, first)
            second = node_hash(node, second)
        else:
            second = node_hash(second, node)
    if first != root1:
        raise InvalidProof("consistency proof does not lead to root1", field="root1")
    if second != root2:
        raise InvalidProof("consistency proof does not lead to root2", field="root2")


def new_perfect_nodes(
    size: int, leaf_hashes: Iterable[bytes], get_node: GetNode
) -> list[tuple[int, int, bytes]]:
    """The perfect nodes ``(level, index, hash)`` that appending ``leaf_hashes`` to a tree of
    ``size`` leaves creates, leaves included, in creation order.

    Reads only the O(log n) existing nodes on the tree's right edge; a storage layer writes the
    returned rows to integrate a batch.
    """
    # The right edge: the perfect nodes covering [0, size), largest first.
    edge: list[tuple[int, bytes]] = [
        (level, get_node(level, index)) for level, index in perfect_addresses(0, size)
    ]
    created: list[tuple[int, int, bytes]] = []
    for leaf in leaf_hashes:
        created.append((0, size, leaf))
        level, current = 0, leaf
        while edge and edge[-1][0] == level:
            _, left = edge.pop()
            current = node_hash(left, current)
            level += 1
            created.append((level, size >> level, current))
        edge.append((level, current))
        size += 1
    return created
