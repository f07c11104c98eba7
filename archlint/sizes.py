"""The exact set of sizes a named input size may take: every condition the model imposes, solved.

Each condition's expressions are quasi-linear in one name n: a linear function of n plus a
periodic one (floor divisions by constants). Along a residue class n = r + k*P (P a common
period) such an expression is exactly a + k*D, so each condition holds for an interval of k
(all, none, from some k on, up to some k, or one k), and the accepted sizes form an
eventually periodic set: `below` (accepted sizes under `start`), then every n >= start with
n % period in `residues`. Sizes are at least 1.
"""

from __future__ import annotations

import math

from archlint.dims import Size, from_data, holds, relation_difference
from archlint.errors import IncompatibleShapes, Unresolved

INFINITY = math.inf
# Beyond this a set's irregular start is not listed (a condition needing a size over a million).
MAX_START = 1_000_000
# Beyond this the residues are not listed: the solver walks every residue class (a reshape to (-1, 10**9, 10**9)
# divides by 10**18; strides and pool sizes give periods such as 32 or 96).
MAX_PERIOD = 4096


class SizeSet:
    """The sizes in `below`, then every n >= start with n % period in `residues`."""

    __slots__ = ("below", "start", "period", "residues")

    def __init__(self, below: list[int], start: int, period: int, residues: list[int]):
        self.below, self.start, self.period, self.residues = below, start, period, residues

    def __eq__(self, other):
        return isinstance(other, SizeSet) and self.as_json() == other.as_json()

    __hash__ = None

    def __contains__(self, n: int) -> bool:
        if n < self.start:
            return n in self.below
        return n % self.period in self.residues

    @property
    def empty(self) -> bool:
        return not self.below and not self.residues

    def first(self, count: int) -> list[int]:
        found, n = list(self.below[:count]), self.start
        while len(found) < count and self.residues:
            if n % self.period in self.residues:
                found.append(n)
            n += 1
        return found

    def nearest(self, n: int, count: int = 2) -> list[int]:
        """Up to `count` accepted sizes closest to n: the largest below it and the smallest above it."""
        lower = None
        if n - 1 >= self.start and self.residues:  # one period down holds one, unless start comes first
            lower = next((m for m in range(n - 1, max(self.start, n - self.period) - 1, -1) if m in self), None)
        if lower is None:
            lower = max((m for m in self.below if m < n), default=None)
        upper = next((m for m in range(n + 1, max(n, self.start) + self.period + 1) if m in self), None)
        return [m for m in (lower, upper) if m is not None][:count]

    def as_json(self) -> dict:
        return {"below": self.below, "start": self.start, "period": self.period, "residues": self.residues}

    def text(self, name: str) -> str:
        """`H: 16, 32, 48, ... (H % 16 == 0)`."""
        if self.empty:
            return f"{name}: no size"
        if self.below == [] and self.start == 1 and self.period == 1:
            return f"{name}: any size"
        shown = self.first(3)
        listing = ", ".join(map(str, shown)) + (", ..." if self.residues else "")
        return f"{name}: {listing}" + (f" ({self.rule(name)})" if self.residues else "")

    def rule(self, name: str) -> str:
        parts = []
        if self.below:
            parts.append(f"{name} in {{{', '.join(map(str, self.below))}}} or")
        modular = []
        if self.period > 1:
            if len(self.residues) == 1:
                modular.append(f"{name} % {self.period} == {self.residues[0]}")
            else:
                modular.append(f"{name} % {self.period} in {{{', '.join(map(str, self.residues))}}}")
        # The smallest positive size of each residue class: when none is under start, start goes unsaid.
        smallest = min(r if r else self.period for r in self.residues)
        if self.start > smallest or self.period == 1:
            modular.insert(0, f"{name} >= {self.start}")
        parts.append(" and ".join(modular))
        return " ".join(parts)


ANY_SIZE = SizeSet([], 1, 1, [0])


class Solution:
    """Per name its accepted sizes; conditions over several names are kept aside as text."""

    def __init__(self):
        self.sets: dict[str, SizeSet] = {}
        self.joint: list[str] = []
        self.unsolved: list[str] = []  # names a condition of unsupported form involves


def _atomic(relation):
    if relation[0] == "or":
        for r in relation[1]:
            yield from _atomic(r)
    else:
        yield relation_difference(relation)


def _solvable(relation, name: str) -> bool:
    return all(not isinstance(d, Size) or d.degree(name) <= 1 for _, d in _atomic(relation))


def _period(relation) -> int:
    return math.lcm(1, *(d.period() for _, d in _atomic(relation) if isinstance(d, Size)))


def _function(d):
    """d as a function of the one size it depends on, compiled once: the solver evaluates it many times."""
    if not isinstance(d, Size):
        return lambda n: d
    return eval(f"lambda n: {d.python()}", {})  # archlint's own arithmetic on `n`, no name from the source


def _compiled(relation):
    """The relation with each difference compiled: ("or", [...]) or (kind, function of the size)."""
    if relation[0] == "or":
        return "or", [_compiled(r) for r in relation[1]]
    kind, d = relation_difference(relation)
    return kind, _function(d)


def _intervals(compiled, r: int, period: int) -> list[tuple]:
    """The k (as sorted disjoint closed intervals) for which a compiled relation holds at n = r + k * period."""
    kind, value = compiled
    if kind == "or":
        found = []
        for sub in value:
            found = _union(found, _intervals(sub, r, period))
        return found
    a = value(r)
    step = value(r + period) - a
    if kind == "ge":
        if step == 0:
            return [(-INFINITY, INFINITY)] if a >= 0 else []
        if step > 0:
            return [(-(a // step), INFINITY)]  # k >= ceil(-a / step)
        return [(-INFINITY, a // -step)]
    if step == 0:
        return [(-INFINITY, INFINITY)] if a == 0 else []
    return [(-a // step, -a // step)] if a % step == 0 else []


def _union(a, b):
    merged = []
    for lo, hi in sorted(a + b):
        if merged and lo <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    return merged


def _intersect(a, b):
    found = []
    for lo1, hi1 in a:
        for lo2, hi2 in b:
            lo, hi = max(lo1, lo2), min(hi1, hi2)
            if lo <= hi:
                found.append((lo, hi))
    return found


def solve_one(relations: list, name: str) -> SizeSet | None:
    """The sizes >= 1 of `name` for which every relation holds; None when too irregular to list."""
    period = math.lcm(1, *(_period(rel) for rel in relations))
    if period > MAX_PERIOD:
        return None
    compiled = [_compiled(rel) for rel in relations]
    classes = {}
    for r in range(period):
        allowed = [(-((r - 1) // period) if r else 1, INFINITY)]  # n = r + k * period >= 1
        for relation in compiled:
            allowed = _intersect(allowed, _intervals(relation, r, period))
            if not allowed:
                break
        classes[r] = allowed
    residues = [r for r, allowed in classes.items() if allowed and allowed[-1][1] == INFINITY]
    bound = 1
    for r, allowed in classes.items():
        for lo, hi in allowed:
            bound = max(bound, r + period * lo + 1 if hi == INFINITY else r + period * hi + 1)
    if bound > MAX_START:
        return None

    def accepted(n: int) -> bool:
        k, r = divmod(n, period)
        return any(lo <= k <= hi for lo, hi in classes[r])

    start = bound
    while start > 1 and accepted(start - 1) == ((start - 1) % period in residues):
        start -= 1
    below = [n for n in range(1, start) if accepted(n)]
    # The smallest period the residues repeat with.
    for smaller in sorted(p for p in range(1, period + 1) if period % p == 0):
        kept = sorted({r % smaller for r in residues})
        if all((r % smaller in kept) == (r in residues) for r in range(period)):
            return SizeSet(below, start, smaller, kept)
    return SizeSet(below, start, period, residues)


def solve(conditions) -> Solution:
    """Group the conditions by the one name they involve and solve each name's set."""
    solution = Solution()
    per_name: dict[str, list] = {}
    seen = set()
    for condition in conditions:
        names = condition.names()
        if condition.text() in seen:  # the same check again (every block of a stage): once is enough
            continue
        seen.add(condition.text())
        if len(names) == 1:
            per_name.setdefault(next(iter(names)), []).append(condition.relation)
        elif condition.text() not in solution.joint:
            solution.joint.append(condition.text())
    for name in sorted(per_name):
        relations = per_name[name]
        found = solve_one(relations, name) if all(_solvable(rel, name) for rel in relations) else None
        if found is None:
            solution.unsolved.append(name)
        else:
            solution.sets[name] = found
    return solution


def first_impossible(conditions, name: str):
    """The first condition (in the order they were imposed) after which `name` has no size left."""
    kept = []
    for condition in conditions:
        if condition.names() != {name}:
            continue
        kept.append(condition.relation)
        found = solve_one(kept, name)
        if found is not None and found.empty:
            return condition
    return None


def merged_size(i, j, message):
    """Keras's elementwise merge of two sizes that differ as written: they must be equal at run time, or
    one of them 1, which broadcasts to the other. For two numbers that cannot be, so it raises."""
    if not (isinstance(i, Size) or isinstance(j, Size)) or \
            not holds(("or", [("eq", i, j), ("eq", i, 1), ("eq", j, 1)]), IncompatibleShapes.code, message):
        raise IncompatibleShapes(message())
    # Equal, or one is 1 and the result is the other: a number other than 1 is the result either way.
    if not isinstance(j, Size):
        return j
    if not isinstance(i, Size):
        return i
    names = i.names() | j.names()
    if len(names) == 1 and i.degree(*names) <= 1 and j.degree(*names) <= 1:
        name = next(iter(names))
        i_one = solve_one([("eq", i, 1)], name)
        j_one = solve_one([("eq", j, 1)], name)
        both = solve_one([("eq", i, 1), ("eq", j, 1)], name)
        if i_one == both:  # i is 1 only where j is: i is the result
            return i
        if j_one == both:
            return j
    if not (from_data(i) and from_data(j)):
        return None  # a size of an input's axis, which Keras sees as None: so is what it merges it into
    raise Unresolved(f"the merged size is {i} or {j} depending on the input size (one of them broadcasts)")
