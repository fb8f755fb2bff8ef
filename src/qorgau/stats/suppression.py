"""k-anonymous reports
-------------------
:func:`suppress` publishes counts and amount sums of the cells of a 1- or 2-attribute
report, its marginal totals (2-D) and the grand total, with:

* **primary suppression**: every cell or total with ``0 < count < k`` is withheld
  (count and sum);
* **complementary suppression**: further cells are withheld until no withheld value can be
  recomputed from what is published. The published totals are linear equations over the
  table: in a 2-D table every row (and every column) sums to its margin, the margins to
  the grand total; in a 1-D table the cells sum to the grand total. Writing the totals with
  a minus sign turns those equations into flow conservation on a graph whose nodes are the
  rows and columns (plus a "totals" row and a "totals" column) and whose edges are the
  entries. The withheld entries are the unknowns; the solutions of the equations are a
  particular solution plus the cycle space of the graph formed by the withheld edges. So a
  withheld entry is *determined* by the published ones exactly when its edge is a
  **bridge** (on no cycle) of that graph. The algorithm repeats: find a withheld bridge,
  and withhold the cheapest path of published entries that closes a cycle through it
  (cheapest = no grand total, then fewest margins, then fewest empty cells, then the
  smallest sum of counts); until no withheld entry is a bridge. In particular no row or
  column whose total is published has exactly one withheld cell (such a cell would be a
  bridge), and in a 1-D report there are never exactly one withheld cell and a published
  total. It terminates: each round withholds at least one more entry, and when every
  entry is withheld there is no bridge (the counts are positive, so the table itself is a
  positive circulation: every edge lies on a cycle).
* **empty cells** (2-D): a combination with no facts is published by its absence, but it
  is an entry too and may be withheld as a complement (then it is listed as withheld,
  like any other), after every cell with facts and before any margin. In a sparse table a
  cycle may exist only through such a cell; without them the report would have to
  withhold a margin that the 1-D report publishes (see below). The 1-D reports never use
  empty values as complements: there the next smallest real cell is always available.
* **nesting**: the pattern for ``k`` is built step by step from ``k = 2`` upwards (one
  step per distinct count below ``k``), each step adding the new primary cells to the
  previous step's pattern and closing it. So the pattern for ``k`` is a subset of the
  pattern for any larger ``k``: reports of the same data at different ``k`` together reveal
  nothing that the one with the smallest ``k`` does not. The operator's configured ``k`` is
  the floor (:class:`~qorgau.stats.service.StatsService`).
* **linked reports**: the margins of a 2-D report are the cells of the two 1-D reports;
  they are withheld in the 2-D report exactly as the 1-D reports withhold them (the same
  algorithm on the same counts, step by step), and the 2-D report closes its own bridges
  with cells, empty or not: with every combination available a margin is never needed
  (only as a last resort, which the property tests have never reached), so a 2-D report
  and the 1-D reports of its attributes together publish nothing the 2-D report does
  not. The attributes of a 2-D report are put in a canonical order before the
  computation, so ``region,sex`` and ``sex,region`` withhold the same cells.

Limits (documented, not hidden): the guarantee is exact for equations over the reals; non-
negativity can narrow the range of a withheld cell (a withheld cell is never exactly
recomputable, but its bounds may be tight, e.g. ``0..3``; an empty cell used as a
complement gives one-sided protection only). Two 2-D reports that share an attribute agree
on its margins, but their cells are not protected against each other beyond that (there is
no 3-D table to protect). Published zeros (absent combinations) are facts too: "no refusals
in region X" is disclosed (group disclosure); a report over data that changed since an
earlier report can be differenced with it (the facts table is append-only, so two reports a
day apart show what one day added); sums follow the counts' pattern, with no dominance rule
(one very large loan in a cell of five dominates its sum; the rounding to 10,000 and the
amount bands limit, not remove, this). Reports group by at most two attributes.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from qorgau.stats.facts import value_order
from qorgau.stats.model import ATTRIBUTES, MAX_DIMENSIONS, InvalidReport, validate_k

# --------------------------------------------------------------------------------------
# k-anonymity: suppression
# --------------------------------------------------------------------------------------

Key = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Cell:
    """A cell before suppression: how many facts, and the sum of their ``amount_kzt``."""

    count: int
    amount_kzt: int = 0


@dataclass(frozen=True, slots=True)
class Published:
    """A cell, margin or total as published: ``None`` when withheld. Withheld values are
    not kept anywhere in a :class:`Report`."""

    key: Key
    count: int | None
    amount_kzt: int | None

    @property
    def suppressed(self) -> bool:
        return self.count is None


@dataclass(frozen=True, slots=True)
class Report:
    """A k-anonymous report (policy 2.1 P4): cells in display order, the margins of a 2-D
    report (one tuple per attribute of ``by``; empty for 1-D, whose cells are its
    margin) and the grand total."""

    by: tuple[str, ...]
    k: int
    cells: tuple[Published, ...]
    margins: tuple[tuple[Published, ...], ...]
    total: Published

    @property
    def suppressed(self) -> int:
        """How many cells (not margins) are withheld."""
        return sum(1 for c in self.cells if c.suppressed)

    def entries(self) -> Iterable[Published]:
        """Cells, then margins, then the total."""
        yield from self.cells
        for margin in self.margins:
            yield from margin
        yield self.total


# Tiers of entries, cheapest to withhold first: a cell with facts, an empty cell (2-D), a
# margin, the grand total.
_INTERIOR, _EMPTY, _MARGIN, _GRAND = 0, 1, 2, 3
_Cost = tuple[int, int, int, int, int]
_ZERO: _Cost = (0, 0, 0, 0, 0)


class _Graph:
    """Entries of a table as edges of a multigraph (see the module docstring)."""

    def __init__(self, nodes: int) -> None:
        self.nodes = nodes
        self.ends: list[tuple[int, int]] = []
        self.count: list[int] = []
        self.tier: list[int] = []
        self.adj: list[list[tuple[int, int]]] = [[] for _ in range(nodes)]

    def add(self, u: int, v: int, count: int, tier: int) -> int:
        e = len(self.ends)
        self.ends.append((u, v))
        self.count.append(count)
        self.tier.append(tier)
        self.adj[u].append((v, e))
        self.adj[v].append((u, e))
        return e

    def cost(self, e: int) -> _Cost:
        tier = self.tier[e]
        return (int(tier == _GRAND), int(tier == _MARGIN), int(tier == _EMPTY), self.count[e], 1)

    def bridges(self, edges: set[int]) -> list[int]:
        """Bridges of the subgraph made of ``edges`` (iterative Tarjan; multi-edges are
        told apart by edge id)."""
        adj: list[list[tuple[int, int]]] = [[] for _ in range(self.nodes)]
        for e in sorted(edges):
            u, v = self.ends[e]
            adj[u].append((v, e))
            adj[v].append((u, e))
        disc = [-1] * self.nodes
        low = [0] * self.nodes
        clock = 0
        found: list[int] = []
        for root in range(self.nodes):
            if disc[root] != -1 or not adj[root]:
                continue
            disc[root] = low[root] = clock
            clock += 1
            stack: list[tuple[int, int, int]] = [(root, -1, 0)]
            while stack:
                node, via, i = stack[-1]
                if i < len(adj[node]):
                    stack[-1] = (node, via, i + 1)
                    nxt, e = adj[node][i]
                    if e == via:
                        continue
                    if disc[nxt] == -1:
                        disc[nxt] = low[nxt] = clock
                        clock += 1
                        stack.append((nxt, e, 0))
                    else:
                        low[node] = min(low[node], disc[nxt])
                    continue
                stack.pop()
                if stack:
                    parent = stack[-1][0]
                    low[parent] = min(low[parent], low[node])
                    if low[node] > disc[parent]:
                        found.append(via)
        return found

    def cheapest_cycle(self, bridge: int, withheld: set[int]) -> list[int]:
        """Published entries whose withholding closes the cheapest cycle through
        ``bridge`` (Dijkstra from one end to the other without ``bridge``; withheld
        entries cost nothing)."""
        start, goal = self.ends[bridge][1], self.ends[bridge][0]
        dist: dict[int, _Cost] = {start: _ZERO}
        back: dict[int, int] = {}
        heap: list[tuple[_Cost, int]] = [(_ZERO, start)]
        while heap:
            d, node = heapq.heappop(heap)
            if d > dist[node]:
                continue
            if node == goal:
                break
            for nxt, e in self.adj[node]:
                if e == bridge:
                    continue
                w = _ZERO if e in withheld else self.cost(e)
                nd = (d[0] + w[0], d[1] + w[1], d[2] + w[2], d[3] + w[3], d[4] + w[4])
                if nxt not in dist or nd < dist[nxt]:
                    dist[nxt] = nd
                    back[nxt] = e
                    heapq.heappush(heap, (nd, nxt))
        if goal not in back:
            return []
        path: list[int] = []
        node = goal
        while node != start:
            e = back[node]
            if e not in withheld:
                path.append(e)
            u, v = self.ends[e]
            node = u if v == node else v
        return path

    def close(self, withheld: set[int]) -> None:
        """Withhold more entries until no withheld entry is a bridge (in place)."""
        while True:
            bridges = self.bridges(withheld)
            if not bridges:
                return
            worst = min(bridges, key=lambda e: (self.tier[e], self.count[e], e))
            more = self.cheapest_cycle(worst, withheld)
            if not more:  # cannot happen with positive counts; withhold all to be safe
                withheld.update(range(len(self.ends)))
                return
            withheld.update(more)


def _thresholds(counts: Iterable[int], k: int) -> list[int]:
    """The steps of the nested construction: one per distinct count below ``k``."""
    return sorted({c + 1 for c in counts if c > 0 and c + 1 <= k})


def _chain(
    graph: _Graph, steps: Sequence[int], forced: Callable[[int], set[int]] | None = None
) -> list[frozenset[int]]:
    """The withheld set after each step (nested by construction)."""
    withheld: set[int] = set()
    snaps: list[frozenset[int]] = []
    for i, j in enumerate(steps):
        withheld.update(e for e, c in enumerate(graph.count) if 0 < c < j)
        if forced is not None:
            withheld.update(forced(i))
        graph.close(withheld)
        snaps.append(frozenset(withheld))
    return snaps


def _one_dim(counts: Sequence[int], total: int) -> tuple[_Graph, list[int], int]:
    """1-D: two nodes; every cell an edge one way, the total an edge back."""
    graph = _Graph(2)
    cells = [graph.add(0, 1, c, _INTERIOR) for c in counts]
    grand = graph.add(1, 0, total, _GRAND)
    return graph, cells, grand


def _sum(cells: Iterable[Cell]) -> Cell:
    count = amount = 0
    for c in cells:
        count += c.count
        amount += c.amount_kzt
    return Cell(count, amount)


def _published(key: Key, cell: Cell, withheld: bool) -> Published:
    if withheld:
        return Published(key, None, None)
    return Published(key, cell.count, cell.amount_kzt)


def _sort_key(by: Sequence[str]) -> Callable[[Key], tuple[tuple[int, int, str], ...]]:
    return lambda key: tuple(value_order(a, v) for a, v in zip(by, key, strict=True))


def suppress(cells: Mapping[Key, Cell], k: int, *, by: Sequence[str] | None = None) -> Report:
    """Publish ``cells`` (keys of one or two attribute values) k-anonymously: primary and
    complementary suppression, nested in ``k`` (see the module docstring). Cells with a
    zero count are dropped (an absent combination is a published zero)."""
    k = validate_k(k)
    live = {key: cell for key, cell in cells.items() if cell.count > 0}
    dims = {len(key) for key in live}
    width = len(by) if by is not None else (dims.pop() if len(dims) == 1 else 0)
    if by is not None and any(len(key) != width for key in live):
        raise InvalidReport("every cell key must have one value per attribute")
    if by is None and len(dims) > 1:
        raise InvalidReport("every cell key must have one value per attribute")
    names = tuple(by) if by is not None else tuple(f"attr{i + 1}" for i in range(width or 1))
    if not 1 <= len(names) <= MAX_DIMENSIONS:
        raise InvalidReport(f"a report groups by one to {MAX_DIMENSIONS} attributes")
    if len(names) == 1:
        return _suppress_1d(live, k, names)
    # Canonical orientation: (a, b) and (b, a) withhold the same cells.
    rank = {a: i for i, a in enumerate(ATTRIBUTES)}
    flip = (rank.get(names[0], len(rank)), names[0]) > (rank.get(names[1], len(rank)), names[1])
    if flip:
        swapped: dict[Key, Cell] = {(key[1], key[0]): cell for key, cell in live.items()}
        report = _suppress_2d(swapped, k, (names[1], names[0]))
        return Report(
            by=names,
            k=k,
            cells=tuple(
                sorted(
                    (Published((c.key[1], c.key[0]), c.count, c.amount_kzt) for c in report.cells),
                    key=lambda p: _sort_key(names)(p.key),
                )
            ),
            margins=(report.margins[1], report.margins[0]),
            total=report.total,
        )
    return _suppress_2d(live, k, names)


def _suppress_1d(live: Mapping[Key, Cell], k: int, by: tuple[str, ...]) -> Report:
    keys = sorted(live, key=_sort_key(by))
    total = _sum(live.values())
    graph, edges, grand = _one_dim([live[key].count for key in keys], total.count)
    steps = _thresholds(graph.count, k)
    withheld = _chain(graph, steps)[-1] if steps else frozenset()
    return Report(
        by=by,
        k=k,
        cells=tuple(
            _published(key, live[key], e in withheld) for key, e in zip(keys, edges, strict=True)
        ),
        margins=(),
        total=_published((), total, grand in withheld),
    )


def _suppress_2d(live: Mapping[Key, Cell], k: int, by: tuple[str, ...]) -> Report:
    rows = sorted({key[0] for key in live}, key=lambda v: value_order(by[0], v))
    cols = sorted({key[1] for key in live}, key=lambda v: value_order(by[1], v))
    row_tot = {r: _sum(c for key, c in live.items() if key[0] == r) for r in rows}
    col_tot = {c: _sum(cell for key, cell in live.items() if key[1] == c) for c in cols}
    total = _sum(live.values())

    # Nodes: rows 0..R-1, the totals row R, columns R+1..R+C, the totals column R+C+1.
    n_r, n_c = len(rows), len(cols)
    t_row, t_col = n_r, n_r + n_c + 1
    graph = _Graph(n_r + n_c + 2)
    ri = {r: i for i, r in enumerate(rows)}
    ci = {c: n_r + 1 + i for i, c in enumerate(cols)}
    # Every combination is an edge: an empty one (no facts) may be withheld to protect
    # another cell, so that the margins never need to be withheld beyond what the 1-D
    # reports withhold (see the module docstring). Empty cells are published by absence.
    keys = [(r, c) for r in rows for c in cols]
    empty = Cell(0, 0)
    interior = [
        graph.add(
            ri[r], ci[c], live.get((r, c), empty).count, _INTERIOR if (r, c) in live else _EMPTY
        )
        for r, c in keys
    ]
    row_edges = [graph.add(t_col, ri[r], row_tot[r].count, _MARGIN) for r in rows]
    col_edges = [graph.add(ci[c], t_row, col_tot[c].count, _MARGIN) for c in cols]
    grand = graph.add(t_row, t_col, total.count, _GRAND)

    steps = _thresholds(graph.count, k)
    # The margins are the 1-D reports' cells: withheld as those reports withhold them,
    # step by step (the 2-D steps include every 1-D step; extra steps change nothing).
    g_rows, e_rows, grand_r = _one_dim([row_tot[r].count for r in rows], total.count)
    g_cols, e_cols, grand_c = _one_dim([col_tot[c].count for c in cols], total.count)
    snaps_r = _chain(g_rows, steps)
    snaps_c = _chain(g_cols, steps)

    def forced(i: int) -> set[int]:
        out = {row_edges[n] for n, e in enumerate(e_rows) if e in snaps_r[i]}
        out |= {col_edges[n] for n, e in enumerate(e_cols) if e in snaps_c[i]}
        if grand_r in snaps_r[i] or grand_c in snaps_c[i]:
            out.add(grand)
        return out

    withheld = _chain(graph, steps, forced)[-1] if steps else frozenset()
    return Report(
        by=by,
        k=k,
        cells=tuple(
            _published(key, live.get(key, empty), e in withheld)
            for key, e in zip(keys, interior, strict=True)
            if key in live or e in withheld
        ),
        margins=(
            tuple(
                _published((r,), row_tot[r], e in withheld)
                for r, e in zip(rows, row_edges, strict=True)
            ),
            tuple(
                _published((c,), col_tot[c], e in withheld)
                for c, e in zip(cols, col_edges, strict=True)
            ),
        ),
        total=_published((), total, grand in withheld),
    )
