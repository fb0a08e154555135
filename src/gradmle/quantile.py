"""Exact order statistics, the median among them, of data in pieces in bounded memory.

A float64 maps to an unsigned 64-bit *key* that sorts like the value (IEEE 754: flip
every bit of a negative number, only the sign bit of a positive one), so a bracket of
keys can be cut into equal bins however the values are spread. Each pass over the data
counts the values in every bin of the current bracket (``np.bincount``); the bin that
holds a wanted rank becomes the next bracket, ``BITS_PER_PASS`` bits narrower. Once a
bracket holds at most ``memory`` values, one more pass collects them and
``np.partition`` picks the answer; a bracket narrowed to a single key is the answer
itself, so ties are never collected. Keys have 64 bits, hence the bound of
:data:`MAX_PASSES` passes whatever the data; ordinary data take one to three.

The answers are the data's own values, bit for bit, in the order of keys: that is the
order of ``np.sort`` except between -0.0 and 0.0, which compare equal and which
``np.sort`` leaves in no particular order, while here -0.0 comes first.
"""

from __future__ import annotations

import math
import operator
import struct
from typing import Callable, Iterable, Sequence

import numpy as np

__all__ = ["order_statistics", "median", "BITS_PER_PASS", "MAX_PASSES"]

#: Key bits resolved by each pass (2**16 bins per bracket), with up to 16 distinct ranks.
BITS_PER_PASS = 16
#: Passes at the most with up to 16 distinct ranks (the median has two), counting the
#: one that finds n, lo and hi when they are not given: ceil(64 / BITS_PER_PASS).
MAX_PASSES = -(-64 // BITS_PER_PASS)
# With more brackets refined at once their bins share a table of 2**20 counts (8 MiB),
# down to 2**8 bins each; the bound becomes ceil(64 / bits), 8 passes at the most.
_TABLE_BITS = 20
_MIN_BITS = 8
# Up to this many brackets each chunk is counted bracket after bracket; beyond, all at
# once. Up to _COMPARE brackets a value's bracket is found by comparisons, beyond it by
# np.searchsorted (which costs about as much as eight comparisons).
_ONE_BY_ONE = 5
_COMPARE = 24
# Chunks are worked on in blocks of this many values, with work arrays reused from block
# to block: they stay in cache, and a fresh array of a large chunk's size costs as much
# in page faults as the arithmetic on it. Twice as fast as whole chunks of 2**20.
_BLOCK = 1 << 16

_ALL = (1 << 64) - 1
_SIGN = 1 << 63
_CHANGED = "passes over the data gave different values (each call of `passes` must give the same data)"

Passes = Callable[[], Iterable[np.ndarray]]


def order_statistics(passes: Passes, ranks: Sequence[int], n: int | None = None, lo: float | None = None,
                     hi: float | None = None, memory: int = 1 << 20, *, report: dict | None = None) -> list[float]:
    """The values at the given ranks of the sorted data, exactly, in a few passes.

    Parameters
    ----------
    passes : callable
        ``passes()`` returns a fresh iterable over the data as 1-D float64 arrays
        (chunks of any sizes, empty ones included): one pass over the data per call.
        Every call must give the same values; NaN is not allowed (infinities are
        ordered like any other value).
    ranks : sequence of int
        0-based ranks, ``0 <= r < n``, in any order and possibly repeated.
    n, lo, hi : int and floats, optional
        The number of values and the smallest and largest, when already known from
        an earlier pass. When any is None the first pass finds them (and does useful
        counting besides, so it is not a pass spent on them alone).
    memory : int, optional
        The most values held as candidates at any time. The working memory beyond
        that is the chunk that ``passes`` gives, a few work arrays of 2**16 values
        (chunks are worked on in such blocks) and the bin counts, at most 2**20 of
        them (8 MiB) per pass (more only when over 4096 distinct ranks are refined at
        once).
    report : dict, optional
        Filled with ``passes`` (the calls of ``passes()``) and ``peak`` (the most
        candidate values held at once, at most ``memory``).

    Returns
    -------
    list of float
        ``np.sort(data)[r]`` for every ``r`` in ``ranks``, in the order given, the
        very bits of a data value (a zero may come out as -0.0 where ``np.sort``
        puts 0.0, or the other way, when the data hold both).

    Raises
    ------
    ValueError
        If a rank is out of range, the data are empty or hold NaN, ``lo``/``hi``/``n``
        do not match the data, or two passes gave different data.

    Notes
    -----
    At most :data:`MAX_PASSES` (4) passes with up to 16 distinct ranks and 8 with any
    number. No pass is made when ``lo == hi`` are given; one when ``n <= memory``
    (given, or found by the first pass, which keeps the values while they fit).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([5.0, -1.0, 3.0, 3.0, 8.0, 0.5])
    >>> passes = lambda: iter(np.array_split(x, 3))
    >>> order_statistics(passes, [0, 5, 2])
    [-1.0, 8.0, 3.0]
    >>> report = {}
    >>> order_statistics(passes, [3], n=6, lo=-1.0, hi=8.0, memory=2, report=report)
    [3.0]
    >>> report
    {'passes': 2, 'peak': 2}
    """
    ranks = list(ranks)
    if not ranks:
        if report is not None:
            report.update(passes=0, peak=0)
        return []
    return _select(passes, lambda _: ranks, n, lo, hi, memory, report)


def median(passes: Passes, n: int | None = None, lo: float | None = None, hi: float | None = None,
           memory: int = 1 << 20, *, report: dict | None = None) -> float:
    """The median of the data, as ``np.median`` gives it, in a few passes.

    The middle value for odd n; for even n the mean of the two middle values,
    ``(a + b) / 2`` like ``np.median``, so the two agree bit for bit. Where ``a + b``
    overflows (two huge values of the same sign) ``a / 2 + b / 2`` is returned, the
    finite midpoint, where ``np.median`` gives an infinity.

    Parameters
    ----------
    passes, n, lo, hi, memory, report
        As for :func:`order_statistics`.

    Returns
    -------
    float

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([5.0, -1.0, 3.0, 8.0, 0.5, 4.0])
    >>> median(lambda: iter(np.array_split(x, 4)))
    3.5
    >>> median(lambda: iter([np.array([1e308]), np.array([1e308])]))
    1e+308
    """
    a, b = _select(passes, lambda n: [(n - 1) // 2, n // 2], n, lo, hi, memory, report)
    s = a + b
    if math.isfinite(s) or not (math.isfinite(a) and math.isfinite(b)):
        return s / 2.0
    return a / 2.0 + b / 2.0


# -- keys -------------------------------------------------------------------------------

def _keys(c: np.ndarray, out: np.ndarray) -> np.ndarray:
    """The order-preserving keys of a float64 array, in ``out[:c.size]`` (uint64)."""
    b = c.view(np.int64)
    k = np.right_shift(b, 63, out=out[:c.size].view(np.int64))  # -1 for negative values, else 0
    k |= np.int64(-_SIGN)
    k ^= b
    return k.view(np.uint64)


def _key(x: float) -> int:
    bits = struct.unpack("<Q", struct.pack("<d", x))[0]
    return bits ^ _ALL if bits >> 63 else bits | _SIGN


def _value(key: int) -> float:
    bits = key ^ _SIGN if key >> 63 else key ^ _ALL
    return struct.unpack("<d", struct.pack("<Q", bits))[0]


def _blocks(passes: Passes):
    """One pass over the data, in blocks of at most ``_BLOCK`` values (in no particular
    order), each with a work array for its keys."""
    keys = np.empty(_BLOCK, np.uint64)
    # Small chunks are gathered into blocks: the cost of a block is in calls, not values.
    gathered, m = None, 0
    for c in passes():
        c = np.asarray(c, dtype=np.float64).reshape(-1)
        if c.size < _BLOCK:
            if gathered is None:
                gathered = np.empty(_BLOCK)
            if m + c.size > _BLOCK:
                yield keys, gathered[:m]
                m = 0
            gathered[m:m + c.size] = c
            m += c.size
            continue
        for i in range(0, c.size, _BLOCK):
            yield keys, c[i:i + _BLOCK]
    if m:
        yield keys, gathered[:m]


def _tally(counts: np.ndarray, bins: np.ndarray) -> None:
    """Add one to ``counts[i]`` for every i in ``bins`` (uint64, all < counts.size)."""
    # bincount's result is as long as the table: for a larger table scattering is cheaper.
    if counts.size > 2 * bins.size:
        np.add.at(counts, bins.view(np.intp), 1)
    else:
        counts += np.bincount(bins.view(np.intp), minlength=counts.size)


# -- brackets ---------------------------------------------------------------------------

class _Bracket:
    """Keys ``lo..hi`` (inclusive), with ``below`` values under ``lo`` and ``count`` in it,
    holding the wanted ``ranks`` (sorted)."""

    __slots__ = ("lo", "hi", "below", "count", "ranks", "shift", "bins")

    def __init__(self, lo: int, hi: int, below: int, count: int | None, ranks: list[int]):
        self.lo, self.hi, self.below, self.count, self.ranks = lo, hi, below, count, ranks

    def cut(self, bits: int) -> None:
        """Bins of 2**shift keys, at most 2**bits of them; ``bits=0`` for a bracket
        that is only collected (one or two bins, unused)."""
        width = self.hi - self.lo
        self.shift = max(0, width.bit_length() - bits) if bits else 63
        self.bins = (width >> self.shift) + 1

    def split(self, counts: np.ndarray, kmin: int = 0, kmax: int = _ALL) -> list[_Bracket]:
        """The brackets, one per bin holding wanted ranks, from the counts of a pass
        (narrowed to the data's keys ``kmin..kmax`` when those are known)."""
        cum = np.cumsum(counts)
        if int(cum[-1]) != self.count:
            raise ValueError(_CHANGED)
        out: dict[int, _Bracket] = {}
        for r in self.ranks:
            j = int(np.searchsorted(cum, r - self.below, side="right"))
            if j not in out:
                lo = self.lo + (j << self.shift)
                hi = min(self.hi, lo + (1 << self.shift) - 1, kmax)
                out[j] = _Bracket(max(lo, kmin), hi, self.below + (int(cum[j - 1]) if j else 0), int(counts[j]), [])
            out[j].ranks.append(r)
        return list(out.values())


def _bits(brackets: int) -> int:
    if brackets <= 1 << (_TABLE_BITS - BITS_PER_PASS):
        return BITS_PER_PASS
    return max(_MIN_BITS, _TABLE_BITS - math.ceil(math.log2(brackets)))


def _plan(pending: list[_Bracket], memory: int) -> tuple[list[_Bracket], list[_Bracket]]:
    """Which brackets the next pass collects and which it counts in bins."""
    first, last = pending[0], pending[-1]
    span = last.below + last.count - first.below
    if span <= memory:  # everything between the first and the last: one bracket
        return [_Bracket(first.lo, last.hi, first.below, span, [r for b in pending for r in b.ranks])], []
    # Smallest first, so that as many brackets as possible are settled by this pass.
    collect, budget = [], memory
    for b in sorted(pending, key=lambda b: b.count):
        if b.count > budget:
            break
        collect.append(b)
        budget -= b.count
    return collect, [b for b in pending if all(b is not c for c in collect)]


def _pick(held: np.ndarray, where: dict[int, int], done: dict[int, float]) -> None:
    """Rank r is the key ``held[where[r]]`` once sorted."""
    held.partition(sorted(set(where.values())))
    for r, i in where.items():
        done[r] = _value(int(held[i]))


# -- passes -----------------------------------------------------------------------------

def _select(passes: Passes, ranks_of: Callable[[int], list], n, lo, hi, memory, report) -> list[float]:
    memory = operator.index(memory)
    if memory < 0:
        raise ValueError(f"memory={memory}: it must be >= 0")
    # Zeros of either sign compare equal to a given lo or hi: the bracket must hold both.
    klo = 0 if lo is None else _key(-0.0 if lo == 0 else float(lo))
    khi = _ALL if hi is None else _key(0.0 if hi == 0 else float(hi))
    if klo > khi:
        raise ValueError(f"lo={lo} > hi={hi}")
    info = {"passes": 0, "peak": 0}
    done: dict[int, float] = {}
    if n is None or lo is None or hi is None:
        ranks, todo = _scan(passes, _Bracket(klo, khi, 0, n, []), ranks_of, memory, done, info)
    else:
        n = operator.index(n)
        if n < 1:
            raise ValueError(f"n={n}: there are no values")
        ranks = _ranks(ranks_of(n), n)
        todo = [_Bracket(klo, khi, 0, n, sorted(set(ranks)))]
    while True:
        pending = []
        for b in todo:
            if b.lo == b.hi:  # a single key: all its values are equal
                done.update((r, _value(b.lo)) for r in b.ranks)
            else:
                pending.append(b)
        if not pending:
            break
        pending.sort(key=lambda b: b.lo)
        todo = _count(passes, *_plan(pending, memory), done, info)
    if report is not None:
        report.update(info)
    return [done[r] for r in ranks]


def _ranks(ranks: list, n: int) -> list[int]:
    out = [operator.index(r) for r in ranks]
    bad = [r for r in out if not 0 <= r < n]
    if bad:
        raise ValueError(f"rank {bad[0]} is out of range for {n} values")
    return out


def _scan(passes, first: _Bracket, ranks_of, memory, done, info) -> tuple[list[int], list[_Bracket]]:
    """The first pass when n, lo or hi is not given: it finds them, counts the bins of
    the bracket known so far (all keys at worst), and keeps the values while they may
    all fit in ``memory``. Returns the ranks and the brackets left to narrow."""
    n = first.count
    first.cut(BITS_PER_PASS)
    tally = _EachBracket([first], [False])
    cap = memory if n is None else (n if n <= memory else 0)
    try:
        held = np.empty(cap, np.uint64) if cap else None  # pages never written cost nothing
    except (MemoryError, ValueError):  # a memory far beyond what the machine has
        held = None
    seen = 0
    info["passes"] += 1
    for work, c in _blocks(passes):
        u = _keys(c, work)
        if held is not None:
            if seen + c.size <= held.size:
                held[seen:seen + c.size] = u
            else:
                info["peak"], held = seen, None
        seen += c.size
        tally.add(u)
    if n is not None and seen != n:
        raise ValueError(f"n={n} but the data hold {seen} values")
    if not seen:
        raise ValueError("there are no values")
    counts, kmin, kmax = tally.result(0)
    if kmax > _key(math.inf) or kmin < _key(-math.inf):
        raise ValueError("the data hold NaN")
    if int(counts.sum()) != seen:
        raise ValueError(f"values outside the given lo={_value(first.lo)!r}, hi={_value(first.hi)!r}")
    ranks = _ranks(ranks_of(seen), seen)
    first.count, first.ranks = seen, sorted(set(ranks))
    if held is not None:
        info["peak"] = seen
        _pick(held[:seen], {r: r for r in first.ranks}, done)
        return ranks, []
    return ranks, first.split(counts, kmin, kmax)


def _count(passes, collect: list[_Bracket], count: list[_Bracket], done, info) -> list[_Bracket]:
    """One pass: collect the values of the brackets in ``collect`` and settle their
    ranks; count the bins of those in ``count``, whose narrower brackets it returns."""
    bits = _bits(len(count))
    for b in count:
        b.cut(bits)
    for b in collect:
        b.cut(0)
    brackets = sorted(collect + count, key=lambda b: b.lo)
    kept = [any(b is c for c in collect) for b in brackets]
    need = sum(b.count for b in collect)
    info["passes"] += 1
    info["peak"] = max(info["peak"], need)
    held, filled = np.empty(need, np.uint64), 0
    tally = (_EachBracket if len(brackets) <= _ONE_BY_ONE else _AllBrackets)(brackets, kept)
    for work, c in _blocks(passes):
        got = tally.add(_keys(c, work))
        if got.size:
            if filled + got.size > need:
                raise ValueError(_CHANGED)
            held[filled:filled + got.size] = got
            filled += got.size
    if filled != need:
        raise ValueError(_CHANGED)
    # Collected values, from brackets in key order, are in the order of keys: rank r of
    # a bracket is at its rank among them all, whatever order they were kept in.
    where, before, todo = {}, 0, []
    for i, b in enumerate(brackets):
        if kept[i]:
            where.update((r, before + r - b.below) for r in b.ranks)
            before += b.count
        else:
            todo += b.split(*tally.result(i))
    if where:
        _pick(held, where, done)
    return todo


class _EachBracket:
    """Counts of one pass, bracket after bracket on each chunk: the cheapest with a few
    brackets (the median's one or two). For each bracket: its bin counts, the least and
    greatest key inside it (they narrow the next bracket, so that a run of equal values
    is settled without going down its key bit by bit), and the keys to collect."""

    def __init__(self, brackets: list[_Bracket], kept: list[bool]):
        self.brackets, self.kept = brackets, kept
        self.counts = [None if k else np.zeros(b.bins + 1, np.int64) for b, k in zip(brackets, kept)]
        self.first, self.last = [_ALL] * len(brackets), [_ALL] * len(brackets)
        self.work = np.empty((2, _BLOCK), np.uint64)

    def add(self, u: np.ndarray) -> np.ndarray:
        d, e = self.work[:, :u.size]
        got = []
        for i, b in enumerate(self.brackets):
            width = np.uint64(b.hi - b.lo)
            np.subtract(u, np.uint64(b.lo), out=d)  # keys under the bracket wrap round to huge ones
            if self.kept[i]:
                got.append(u[d <= width])
                continue
            e = np.subtract(width, d, out=e)  # and so do those above it, here
            self.first[i] = min(self.first[i], int(d.min()))
            self.last[i] = min(self.last[i], int(e.min()))
            d >>= np.uint64(b.shift)
            np.minimum(d, np.uint64(b.bins), out=d)  # outside: the extra bin at the end
            _tally(self.counts[i], d)
        return np.concatenate(got) if len(got) > 1 else (got[0] if got else u[:0])

    def result(self, i: int) -> tuple[np.ndarray, int, int]:
        """Bracket i's bin counts and its least and greatest key."""
        b = self.brackets[i]
        return self.counts[i][:-1], b.lo + self.first[i], b.hi - self.last[i]


class _AllBrackets(_EachBracket):
    """The same counts for all brackets at once on each chunk, through look-ups of each
    value's bracket: cheaper than bracket after bracket from about five brackets on."""

    def __init__(self, brackets: list[_Bracket], kept: list[bool]):
        self.brackets, self.kept = brackets, np.array(kept)
        self.los = np.array([b.lo for b in brackets], np.uint64)
        self.widths = np.array([b.hi - b.lo for b in brackets], np.uint64)
        self.shifts = np.array([b.shift for b in brackets], np.uint64)
        ends = np.cumsum([b.bins for b in brackets])
        self.starts = np.concatenate([[0], ends[:-1]]).astype(np.uint64)
        self.total = int(ends[-1])
        self.table = np.zeros(self.total + 1, np.int64)
        self.counts = [self.table[int(a):int(z)] for a, z in zip(self.starts, ends)]
        self.first, self.last = np.full(len(brackets), _ALL, np.uint64), np.full(len(brackets), _ALL, np.uint64)

    def add(self, u: np.ndarray) -> np.ndarray:
        if len(self.los) <= _COMPARE:
            g = np.zeros(u.size, np.intp)
            for edge in self.los[1:]:
                g += u >= edge
        else:
            g = np.searchsorted(self.los, u, side="right") - 1
            np.maximum(g, 0, out=g)  # under every bracket: wraps round to out of the first
        d = np.take(self.los, g)
        np.subtract(u, d, out=d)
        w = np.take(self.widths, g)
        inside = d <= w
        np.minimum.at(self.first, g, d)
        np.minimum.at(self.last, g, np.subtract(w, d, out=w))
        got = u[inside & self.kept[g]] if self.kept.any() else u[:0]
        d >>= np.take(self.shifts, g, out=w)
        d += np.take(self.starts, g, out=w)
        d[~inside] = self.total
        _tally(self.table, d)
        return got

    def result(self, i: int) -> tuple[np.ndarray, int, int]:
        b = self.brackets[i]
        return self.counts[i], b.lo + int(self.first[i]), b.hi - int(self.last[i])
