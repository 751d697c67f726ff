"""The hotspot-selection integer linear programme (:class:`SelectionModel`), solved by HiGHS.

The formulation is in :mod:`hotpatrol.patrol.select`. Besides solving with any subset of the
relaxable constraints, the model finds a minimal conflicting set when they cannot all hold.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from hotpatrol.errors import HotpatrolError


@dataclass
class SelectionModel:
    """The selection ILP: harm per candidate, the count ``n`` and the relaxable constraints (see module docstring)."""

    harm: np.ndarray
    n: int
    pairs: np.ndarray  # (p, 2) conflicting pairs under the spacing rule
    cliques: list  # sets of places pairwise closer than the spacing
    district: np.ndarray | None  # codes 0..D-1
    district_names: list
    dmin: dict = field(default_factory=dict)  # code -> minimum
    dmax: dict = field(default_factory=dict)
    excluded: np.ndarray | None = None
    cost: np.ndarray | None = None
    capacity: float | None = None
    time_limit: float = 60.0
    presolve: bool | None = None  # None: only with spacing constraints (see solve)

    def items(self) -> list[str]:
        """Every constraint that can be relaxed, named for messages."""
        out = ["n"]
        if len(self.pairs):
            out.append("spacing")
        out += [f"district_min[{self.district_names[d]}]" for d in self.dmin]
        out += [f"district_max[{self.district_names[d]}]" for d in self.dmax]
        if self.excluded is not None and self.excluded.any():
            out.append("exclude")
        if self.capacity is not None:
            out.append("capacity")
        return out

    def solve(self, active: Iterable[str]):
        """Solve with only the ``active`` constraints: ``(chosen indices or None if infeasible, harm covered,
        proven optimal)``, by HiGHS (``scipy.optimize.milp``) within ``time_limit`` seconds."""
        active = set(active)
        m = len(self.harm)
        rows, lo, hi = [], [], []
        ones = sparse.csr_matrix(np.ones((1, m)))
        # "n" fixes the count; relaxed (for diagnosis only) any number may be chosen
        rows.append(ones)
        lo.append(self.n if "n" in active else 0)
        hi.append(self.n if "n" in active else np.inf)
        if "spacing" in active and len(self.pairs):
            p = len(self.pairs)
            a = sparse.csr_matrix((np.ones(2 * p), (np.repeat(np.arange(p), 2), self.pairs.ravel())), shape=(p, m))
            rows.append(a)
            lo += [0] * p
            hi += [1] * p
            if self.cliques:
                # clique inequalities (at most one per disc of diameter s) tighten the LP relaxation a lot
                r = np.repeat(np.arange(len(self.cliques)), [len(c) for c in self.cliques])
                cols = np.concatenate(self.cliques)
                rows.append(sparse.csr_matrix((np.ones(len(cols)), (r, cols)), shape=(len(self.cliques), m)))
                lo += [0] * len(self.cliques)
                hi += [1] * len(self.cliques)
        for d, v in self.dmin.items():
            if f"district_min[{self.district_names[d]}]" in active:
                rows.append(sparse.csr_matrix((self.district == d).astype(float)[None, :]))
                lo.append(v)
                hi.append(np.inf)
        for d, v in self.dmax.items():
            if f"district_max[{self.district_names[d]}]" in active:
                rows.append(sparse.csr_matrix((self.district == d).astype(float)[None, :]))
                lo.append(-np.inf)
                hi.append(v)
        if "capacity" in active and self.capacity is not None:
            rows.append(sparse.csr_matrix(self.cost[None, :]))
            lo.append(-np.inf)
            hi.append(self.capacity)
        ub = np.ones(m)
        if "exclude" in active and self.excluded is not None:
            ub[self.excluded] = 0
        cons = LinearConstraint(sparse.vstack(rows, format="csr"), np.array(lo, float), np.array(hi, float))
        # HiGHS presolve is very slow on a lone dense cardinality row (identical columns) but pays off once
        # spacing constraints are present
        presolve = self.presolve if self.presolve is not None else bool("spacing" in active and len(self.pairs))
        res = milp(-self.harm, constraints=cons, integrality=np.ones(m), bounds=Bounds(np.zeros(m), ub),
                   options={"time_limit": self.time_limit, "presolve": presolve})
        if res.status == 0:
            z = np.round(res.x).astype(bool)
            return z, float(self.harm[z].sum()), True
        if res.status == 1:
            # time limit: keep the better of the solver's incumbent and a greedy fill, flagged not optimal
            z = np.round(res.x).astype(bool) if res.x is not None else None
            g = self.greedy(active)
            if g is not None and (z is None or self.harm[g].sum() > self.harm[z].sum()):
                z = g
            if z is not None:
                return z, float(self.harm[z].sum()), False
        if res.status == 2:
            return None, None, True
        raise HotpatrolError(f"The selection solver stopped without an answer: {res.message}",
                             parameter="time_limit", given=self.time_limit,
                             fix="Raise time_limit or shrink the candidate pool (pool=).")

    def greedy(self, active) -> np.ndarray | None:
        """Walk down the harm ranking keeping what the active constraints allow (None if minima unmet)."""
        active = set(active)
        m = len(self.harm)
        adj = None
        if "spacing" in active and len(self.pairs):
            p = self.pairs
            adj = sparse.csr_matrix((np.ones(2 * len(p)), (np.r_[p[:, 0], p[:, 1]], np.r_[p[:, 1], p[:, 0]])),
                                    shape=(m, m))
        z = np.zeros(m, dtype=bool)
        blocked = np.zeros(m, dtype=bool)
        if "exclude" in active and self.excluded is not None:
            blocked |= self.excluded
        used = 0.0
        dcount = np.zeros(len(self.district_names), dtype=int)
        for i in np.argsort(-self.harm, kind="stable"):
            if z.sum() >= self.n:
                break
            if blocked[i]:
                continue
            if self.district is not None:
                d = self.district[i]
                if f"district_max[{self.district_names[d]}]" in active and dcount[d] >= self.dmax.get(d, np.inf):
                    continue
            if "capacity" in active and self.capacity is not None and used + self.cost[i] > self.capacity:
                continue
            z[i] = True
            if adj is not None:
                blocked[adj.indices[adj.indptr[i]:adj.indptr[i + 1]]] = True
            if self.district is not None:
                dcount[self.district[i]] += 1
            if self.cost is not None:
                used += self.cost[i]
        if "n" in active and z.sum() != self.n:
            return None
        for d, v in self.dmin.items():
            if f"district_min[{self.district_names[d]}]" in active and dcount[d] < v:
                return None
        return z

    def minimal_conflict(self) -> list[str]:
        """Deletion filter: drop each constraint in turn, keeping the drop while still infeasible."""
        conflict = self.items()
        # try dropping the many fine-grained constraints first and the count last, so the set named is
        # the planner's headline choices where they are to blame (n with capacity, not 13 district minima)
        order = {"district_max": 0, "district_min": 1, "exclude": 2, "spacing": 3, "capacity": 4, "n": 5}
        for item in sorted(conflict, key=lambda c: order[c.split("[")[0]]):
            trial = [c for c in conflict if c != item]
            if self.solve(trial)[0] is None:
                conflict = trial
        return conflict
