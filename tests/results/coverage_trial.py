"""Coverage, bias and randomisation-test size of the trial estimators on simulated trials.

Run from the repository root:

    PYTHONPATH=src python tests/results/coverage_trial.py --runs 200 --null-runs 200 --permutations 199

Writes ``tests/results/coverage_trial.json`` (the figures quoted in docs/evaluate.md). Each run is a
full simulated trial (20 hotspots, 8 patrolled a day, 90 days, true effect -40% on delivered
patrol days, 95% compliance, 2% contamination, negative-binomial day noise); the estimand is the
intention-to-treat rate ratio in ``truth["itt_rate_ratio"]``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np


def run(runs: int, null_runs: int, permutations: int, seed0: int = 1000) -> dict:
    from hotpatrol.evaluate.simulate import simulate_trial
    from hotpatrol.evaluate.trial import build_panel, fit_glm, randomisation_test

    t0 = time.time()
    rows = []
    for r in range(runs):
        sim = simulate_trial(seed=seed0 + r, pings=False)
        panel, _ = build_panel(sim.events, sim.hotspots, sim.allocation, lags=0)
        truth = np.log(sim.truth["itt_rate_ratio"])
        for outcome in ("count", "harm"):
            f = fit_glm(panel, outcome, ["patrolled"])["patrolled"]
            rows.append((outcome, f["coef"], truth, f["ci_low"] <= np.exp(truth) <= f["ci_high"]))
    out = {"runs": runs, "true_effect_delivered": -0.4, "compliance": 0.95, "contamination": 0.02}
    for outcome in ("count", "harm"):
        sel = [r for r in rows if r[0] == outcome]
        est = np.array([r[1] for r in sel])
        cov = np.array([r[3] for r in sel])
        truth = sel[0][2]
        out[outcome] = {"coverage": float(cov.mean()), "coverage_se": float(np.sqrt(cov.mean() * (1 - cov.mean()) / len(cov))),
                        "true_log_rr": float(truth), "mean_log_rr": float(est.mean()),
                        "bias_log_rr": float(est.mean() - truth), "sd_log_rr": float(est.std(ddof=1)),
                        "mean_rate_ratio": float(np.exp(est).mean()), "true_rate_ratio": float(np.exp(truth))}
    pvals = []
    for r in range(null_runs):
        sim = simulate_trial(seed=seed0 + 50_000 + r, pings=False, effect=0.0)
        panel, _ = build_panel(sim.events, sim.hotspots, sim.allocation, lags=0)
        pvals.append(randomisation_test(panel, "count", sim.redraw, permutations=permutations, seed=r)["p"])
    pvals = np.array(pvals)
    out["randomisation_null"] = {"runs": null_runs, "permutations": permutations,
                                 "rejection_rate_5pct": float((pvals <= 0.05).mean()),
                                 "rejection_rate_10pct": float((pvals <= 0.10).mean()),
                                 "mean_p": float(pvals.mean()) if len(pvals) else None}
    out["seconds"] = round(time.time() - t0, 1)
    return out


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--null-runs", type=int, default=200)
    ap.add_argument("--permutations", type=int, default=199)
    ap.add_argument("--out", default=str(Path(__file__).with_name("coverage_trial.json")))
    a = ap.parse_args()
    res = run(a.runs, a.null_runs, a.permutations)
    Path(a.out).write_text(json.dumps(res, indent=2) + "\n")
    print(json.dumps(res, indent=2))
