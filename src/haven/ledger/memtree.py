"""An in-memory append-only RFC 6962 tree, and the in-memory half of ``haven bench ledger``.

:class:`MemoryTree` keeps every perfect subtree node by ``(level, index)``, the same addressing the
database uses, so proofs come from :mod:`haven.ledger.merkle` with O(log n) node reads. An append
costs one leaf hash and, amortised, one interior hash.
"""

from __future__ import annotations

import hashlib
import importlib
import random
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from haven.ledger.hashing import EMPTY_ROOT
from haven.ledger.merkle import (
    consistency_proof,
    inclusion_proof,
    root_from_hashes,
    root_from_nodes,
)

_sha256 = hashlib.sha256


def _complete_parents(levels: list[list[bytes]], position: int, node: bytes) -> None:
    """Add the parents that the new right-child node at (0, position) completes."""
    level = 0
    while position & 1:
        node = _sha256(b"\x01" + levels[level][position - 1] + node).digest()
        level += 1
        if level == len(levels):
            levels.append([])
        levels[level].append(node)
        position >>= 1


class MemoryTree:
    """An append-only Merkle tree held in memory."""

    def __init__(self) -> None:
        # _levels[level][index] is the perfect node (level, index); level 0 holds leaf hashes.
        self._levels: list[list[bytes]] = [[]]

    @property
    def size(self) -> int:
        return len(self._levels[0])

    def get_node(self, level: int, index: int) -> bytes:
        """The perfect subtree node at ``(level, index)``."""
        return self._levels[level][index]

    def append(self, entry: bytes) -> int:
        """Append an entry (hashed as an RFC 6962 leaf); return its index."""
        return self.append_leaf_hash(_sha256(b"\x00" + entry).digest())

    def append_leaf_hash(self, leaf: bytes) -> int:
        """Append an already hashed leaf; return its index."""
        levels = self._levels
        index = len(levels[0])
        levels[0].append(leaf)
        if index & 1:
            _complete_parents(levels, index, leaf)
        return index

    def extend(self, entries: Iterable[bytes]) -> None:
        """Append many entries in order (the same as calling :meth:`append` for each)."""
        levels = self._levels
        leaves = levels[0]
        add_leaf = leaves.append
        index = len(leaves)
        for entry in entries:
            leaf = _sha256(b"\x00" + entry).digest()
            add_leaf(leaf)
            if index & 1:
                _complete_parents(levels, index, leaf)
            index += 1

    def root(self, size: int | None = None) -> bytes:
        """The root of the tree at ``size`` (default: now)."""
        size = self.size if size is None else size
        if not 0 <= size <= self.size:
            raise ValueError(f"size {size} is beyond the tree's {self.size} leaves")
        return root_from_nodes(size, self.get_node) if size else EMPTY_ROOT

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """The audit path of leaf ``index`` in the tree at ``size`` (default: now)."""
        return inclusion_proof(index, self.size if size is None else size, self.get_node)

    def consistency_proof(self, size1: int, size2: int | None = None) -> list[bytes]:
        """The consistency proof from ``size1`` to ``size2`` (default: now)."""
        return consistency_proof(size1, self.size if size2 is None else size2, self.get_node)


def bench_entries(count: int) -> list[bytes]:
    """Deterministic entries shaped like canonical ledger JSON, for benchmarks."""
    return [
        b'{"actor":"staff:%d","kind":"vault:record:read","purpose":"appointment","seq":%d}'
        % (i % 97, i)
        for i in range(count)
    ]


def _seconds(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def _per_call(action: Callable[[int], object], arguments: Sequence[int]) -> float:
    started = time.perf_counter()
    for argument in arguments:
        action(argument)
    return (time.perf_counter() - started) / max(len(arguments), 1)


def _haven_figures(
    entries: Sequence[bytes], indexes: Sequence[int], sizes: Sequence[int]
) -> tuple[dict[str, float], bytes]:
    n = len(entries)
    tree = MemoryTree()

    def append_each() -> None:
        append = tree.append
        for entry in entries:
            append(entry)

    append_s = _seconds(append_each)
    batch_s = _seconds(lambda: MemoryTree().extend(entries))
    roots: list[bytes] = []

    def recompute() -> None:
        # What an auditor does: hash every entry as a leaf and fold the tree to its root.
        roots.append(root_from_hashes([_sha256(b"\x00" + entry).digest() for entry in entries]))

    figures = {
        "append_per_s": n / append_s,
        "append_batch_per_s": n / batch_s,
        "inclusion_proof_us": 1e6 * _per_call(lambda i: tree.inclusion_proof(i), indexes),
        "consistency_proof_us": 1e6 * _per_call(lambda s: tree.consistency_proof(s), sizes),
        "full_verify_s": _seconds(recompute),
    }
    return figures, roots[0]


def _pymerkle_figures(
    entries: Sequence[bytes], indexes: Sequence[int], sizes: Sequence[int]
) -> tuple[dict[str, float], bytes] | None:
    try:
        pymerkle: Any = importlib.import_module("pymerkle")
    except ImportError:
        return None
    n = len(entries)
    tree = pymerkle.InmemoryTree(algorithm="sha256")

    def append_each() -> None:
        append = tree.append_entry
        for entry in entries:
            append(entry)

    append_s = _seconds(append_each)
    batch_s = _seconds(
        lambda: pymerkle.InmemoryTree(algorithm="sha256").append_entries(list(entries))
    )
    roots: list[bytes] = []

    def recompute() -> None:
        again = pymerkle.InmemoryTree(algorithm="sha256")
        again.append_entries(list(entries))
        roots.append(again.get_root())

    # pymerkle numbers leaves from 1.
    figures = {
        "append_per_s": n / append_s,
        "append_batch_per_s": n / batch_s,
        "inclusion_proof_us": 1e6 * _per_call(lambda i: tree.prove_inclusion(i + 1), indexes),
        "consistency_proof_us": 1e6 * _per_call(lambda s: tree.prove_consistency(s, n), sizes),
        "full_verify_s": _seconds(recompute),
    }
    return figures, roots[0]


def bench_in_memory(n: int, samples: int = 1000, seed: int = 6962) -> dict[str, Any]:
    """Haven's MemoryTree against pymerkle's InmemoryTree on the same ``n`` entries.

    Returns ``{"entries", "haven", "pymerkle", "speedup", "roots_match"}``: append rates
    (entries/s, one call per entry and one batch call), mean inclusion and consistency proof times
    (µs) at the full size, and the time to rebuild the tree of all entries and its root (s).
    ``pymerkle`` is ``None`` when it is not installed; ``speedup`` is Haven over pymerkle.
    """
    if n < 2:
        raise ValueError("the benchmark needs at least 2 entries")
    entries = bench_entries(n)
    chooser = random.Random(seed)  # noqa: S311 - sampling benchmark indexes, not secrets
    indexes = [chooser.randrange(n) for _ in range(samples)]
    sizes = [chooser.randrange(1, n) for _ in range(samples)]
    haven, haven_root = _haven_figures(entries, indexes, sizes)
    result: dict[str, Any] = {"entries": n, "haven": haven, "pymerkle": None, "speedup": None}
    theirs = _pymerkle_figures(entries, indexes, sizes)
    if theirs is not None:
        figures, their_root = theirs
        result["pymerkle"] = figures
        result["roots_match"] = their_root == haven_root
        result["speedup"] = {
            "append": haven["append_per_s"] / figures["append_per_s"],
            "append_batch": haven["append_batch_per_s"] / figures["append_batch_per_s"],
            "inclusion_proof": figures["inclusion_proof_us"] / haven["inclusion_proof_us"],
            "consistency_proof": figures["consistency_proof_us"] / haven["consistency_proof_us"],
            "full_verify": figures["full_verify_s"] / haven["full_verify_s"],
        }
    return result
