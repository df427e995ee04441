"""An in-memory append-only RFC 6962 tree, and the in-memory half of ``haven bench ledger``.

:class:`MemoryTree` keeps every perfect subtree node by ``(level, index)``, the same addressing the
database uses, so proofs come from :mod:`haven.ledger.merkle` with O(log n) node reads. An append
costs one leaf hash and, amortised, one interior hash.
"""

from __future__ import annotations

import gc
import hashlib
import importlib
import random
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
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
        """Append many entries in order (the same tree as calling :meth:`append` for each)."""
        levels = self._levels
        new_nodes = [_sha256(b"\x00" + entry).digest() for entry in entries]
        level = 0
        # Level by level: the new nodes complete the parents from the first new pair on. Each
        # level keeps len(levels[l + 1]) == len(levels[l]) // 2.
        while new_nodes:
            nodes = levels[level]
            first_pair = len(nodes) & ~1
            nodes.extend(new_nodes)
            new_nodes = [
                _sha256(b"\x01" + nodes[i] + nodes[i + 1]).digest()
                for i in range(first_pair, len(nodes) - 1, 2)
            ]
            level += 1
            if new_nodes and level == len(levels):
                levels.append([])

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


@dataclass(frozen=True)
class Contender:
    """One tree implementation's operations, so both sides are timed by the same code."""

    new_tree: Callable[[], Any]
    append: Callable[[Any, bytes], object]
    append_batch: Callable[[Any, list[bytes]], object]
    prove_inclusion: Callable[[Any, int, int], object]
    prove_consistency: Callable[[Any, int, int], object]
    recompute_root: Callable[[list[bytes]], bytes]


HAVEN = Contender(
    new_tree=MemoryTree,
    append=MemoryTree.append,
    append_batch=MemoryTree.extend,
    prove_inclusion=MemoryTree.inclusion_proof,
    prove_consistency=MemoryTree.consistency_proof,
    # What an auditor does: hash every entry as a leaf and fold the tree to its root.
    recompute_root=lambda entries: root_from_hashes(
        [_sha256(b"\x00" + entry).digest() for entry in entries]
    ),
)


def _pymerkle_contender() -> Contender | None:
    try:
        pymerkle: Any = importlib.import_module("pymerkle")
    except ImportError:
        return None

    def new_tree() -> Any:
        return pymerkle.InmemoryTree(algorithm="sha256")

    def recompute_root(entries: list[bytes]) -> bytes:
        tree = new_tree()
        tree.append_entries(entries)
        root: bytes = tree.get_root()
        return root

    return Contender(
        new_tree=new_tree,
        append=lambda tree, entry: tree.append_entry(entry),
        append_batch=lambda tree, entries: tree.append_entries(entries),
        # pymerkle numbers leaves from 1.
        prove_inclusion=lambda tree, index, size: tree.prove_inclusion(index + 1, size),
        prove_consistency=lambda tree, old, size: tree.prove_consistency(old, size),
        recompute_root=recompute_root,
    )


@contextmanager
def _no_gc() -> Iterator[None]:
    # As timeit does: a collection landing in one side's run would blur the comparison.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _best_seconds(action: Callable[[], object], repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        with _no_gc():
            started = time.perf_counter()
            action()
            best = min(best, time.perf_counter() - started)
    return best


def _measure(
    side: Contender,
    entries: list[bytes],
    indexes: Sequence[int],
    old_sizes: Sequence[int],
    repeats: int,
) -> tuple[dict[str, float], bytes]:
    n = len(entries)
    trees: list[Any] = []

    def append_each() -> None:
        tree = side.new_tree()
        for entry in entries:
            side.append(tree, entry)
        trees.append(tree)

    append_s = _best_seconds(append_each, repeats)
    batch_s = _best_seconds(lambda: side.append_batch(side.new_tree(), entries), repeats)
    tree = trees[-1]
    inclusion_s = _best_seconds(
        lambda: [side.prove_inclusion(tree, i, n) for i in indexes], repeats
    )
    consistency_s = _best_seconds(
        lambda: [side.prove_consistency(tree, s, n) for s in old_sizes], repeats
    )
    roots: list[bytes] = []
    verify_s = _best_seconds(lambda: roots.append(side.recompute_root(entries)), repeats)
    figures = {
        "append_per_s": n / append_s,
        "append_batch_per_s": n / batch_s,
        "inclusion_proof_us": 1e6 * inclusion_s / len(indexes),
        "consistency_proof_us": 1e6 * consistency_s / len(old_sizes),
        "full_verify_s": verify_s,
    }
    return figures, roots[-1]


def bench_in_memory(
    n: int, samples: int = 1000, seed: int = 6962, repeats: int = 3
) -> dict[str, Any]:
    """Haven's MemoryTree against pymerkle's InmemoryTree on the same ``n`` entries.

    Returns ``{"entries", "haven", "pymerkle", "speedup", "roots_match"}``: append rates
    (entries/s, one call per entry and one batch call), mean inclusion and consistency proof times
    (µs) at the full size, and the time to recompute the root of all entries (s); each the best
    of ``repeats`` runs with the garbage collector paused, the same for both sides.
    ``pymerkle`` is ``None`` when it is not installed; ``speedup`` is Haven over pymerkle.
    """
    if n < 2:
        raise ValueError("the benchmark needs at least 2 entries")
    entries = bench_entries(n)
    chooser = random.Random(seed)  # noqa: S311 - sampling benchmark indexes, not secrets
    indexes = [chooser.randrange(n) for _ in range(samples)]
    old_sizes = [chooser.randrange(1, n) for _ in range(samples)]
    haven, haven_root = _measure(HAVEN, entries, indexes, old_sizes, repeats)
    result: dict[str, Any] = {
        "entries": n,
        "repeats": repeats,
        "haven": haven,
        "pymerkle": None,
        "speedup": None,
    }
    contender = _pymerkle_contender()
    if contender is not None:
        theirs, their_root = _measure(contender, entries, indexes, old_sizes, repeats)
        result["pymerkle"] = theirs
        result["roots_match"] = their_root == haven_root
        result["speedup"] = {
            "append": haven["append_per_s"] / theirs["append_per_s"],
            "append_batch": haven["append_batch_per_s"] / theirs["append_batch_per_s"],
            "inclusion_proof": theirs["inclusion_proof_us"] / haven["inclusion_proof_us"],
            "consistency_proof": theirs["consistency_proof_us"] / haven["consistency_proof_us"],
            "full_verify": theirs["full_verify_s"] / haven["full_verify_s"],
        }
    return result
