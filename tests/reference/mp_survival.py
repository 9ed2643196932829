"""Reference formulas for losslab/losses/survival.py: aft (normal, logistic, extreme), tobit, cox.

A point of aft and tobit is ``((lower, upper), f)``: one row of a `Bounds` target and its score;
the functions get ``t = (lower, upper)`` as mpf (±inf for open sides). A point of cox (a coupled
loss) is a whole sample ``([times, events], f)``; ``value`` returns the per-row values,
``gradient`` and ``hessian`` those of the total (make_reference.py: build_coupled_case).

Interval probabilities are formed from the tail where they are small (S(z_l) − S(z_u) or
F(z_u) − F(z_l)), the extreme law's with 700 extra digits (its Hessian's plain formula cancels
terms as large as e^{1400}), so even z = ±2000 keeps every digit.

Left out on purpose (ill-posed, README): a score at the exact log-midpoint of a symmetric
interval, where the gradient is a cancellation of two O(1) hazard ratios to ~1e-17; and, for
the float32 rows, tail probabilities below ~1e-30 of a censored row (z ≈ −12), whose float32
value carries z²·eps32 ≈ 1e-5 from rounding log t alone.
"""

from __future__ import annotations

import mpmath as mp

CASES: list[dict] = []
INF = float("inf")


def _dist(name):
    """(pdf, cdf, sf, ψ = (log f)′, ψ′) of the standardised error."""
    if name == "normal":
        return (mp.npdf, mp.ncdf, lambda z: mp.ncdf(-z), lambda z: -z, lambda z: -mp.mpf(1))
    if name == "logistic":
        return (
            lambda z: mp.exp(-z) / (1 + mp.exp(-z)) ** 2,
            lambda z: 1 / (1 + mp.exp(-z)),
            lambda z: 1 / (1 + mp.exp(z)),
            lambda z: -mp.tanh(z / 2),
            lambda z: -1 / (2 * mp.cosh(z / 2) ** 2),
        )
    return (  # minimum extreme value: F = 1 − exp(−eᶻ)
        lambda z: mp.exp(z - mp.exp(z)),
        lambda z: -mp.expm1(-mp.exp(z)),
        lambda z: mp.exp(-mp.exp(z)),
        lambda z: 1 - mp.exp(z),
        lambda z: -mp.exp(z),
    )


def _censored(name, sigma, log_scale, t, f):
    """(value, gradient, hessian) in y_pred of the censored negative log-likelihood."""
    pdf, cdf, sf, psi, dpsi = _dist(name)
    s = mp.mpf(sigma)
    lo, hi = t
    if log_scale:
        lo = mp.log(lo) if lo > 0 else mp.mpf("-inf")
        hi = mp.log(hi) if mp.isfinite(hi) else hi
    if lo == hi:
        z = (lo - f) / s
        extra = mp.log(s) + (lo if log_scale else 0)  # log(σt) for AFT, log σ for Tobit
        return -mp.log(pdf(z)) + extra, psi(z) / s, -dpsi(z) / s**2
    zl = (lo - f) / s if mp.isfinite(lo) else lo
    zu = (hi - f) / s if mp.isfinite(hi) else hi
    if not mp.isfinite(zl) and not mp.isfinite(zu):
        return mp.mpf(0), mp.mpf(0), mp.mpf(0)
    Fu = cdf(zu) if mp.isfinite(zu) else mp.mpf(1)
    Sl = sf(zl) if mp.isfinite(zl) else mp.mpf(1)
    if Fu <= Sl:
        P = Fu - (cdf(zl) if mp.isfinite(zl) else 0)
    else:
        P = Sl - (sf(zu) if mp.isfinite(zu) else 0)
    ru = pdf(zu) / P if mp.isfinite(zu) else 0
    rl = pdf(zl) / P if mp.isfinite(zl) else 0
    pu = ru * psi(zu) if mp.isfinite(zu) else 0
    pl = rl * psi(zl) if mp.isfinite(zl) else 0
    return -mp.log(P), (ru - rl) / s, ((ru - rl) ** 2 - pu + pl) / s**2


def _case(spec, name, sigma, log_scale, points):
    def part(k):
        def fn(t, f):
            # the extreme law's Hessian (r_u − r_l)² − r_uψ_u + r_lψ_l cancels terms up to
            # e^{2·700}: 700 digits more than asked keep it exact at the caller's precision
            with mp.extradps(700 if name == "extreme" else 0):
                return +_censored(name, sigma, log_scale, t, f)[k]

        return fn

    CASES.append({"loss": spec, "points": points, "value": part(0), "gradient": part(1), "hessian": part(2)})


# -- aft: bounds on the time scale ---------------------------------------------------------------
AFT_BOUNDS = [
    (1.0, 1.0),
    (2.5, 2.5),
    (1e-8, 1e-8),
    (1e8, 1e8),  # exact
    (2.0, INF),
    (1e-2, INF),  # right censored
    (0.0, 3.0),
    (0.0, 1e-3),  # left censored
    (1.0, 2.0),
    (0.3, 8.0),
    (3.0, 3.5),
    (1e-5, 1e5),  # interval censored
    (0.0, INF),  # no information: 0
]
AFT_SCORES = [-200.0, -30.0, -4.0, -0.7, 0.2, 0.9, 1.7, 6.0, 30.0, 200.0]
for dist, sigma, far in (
    ("normal", 1.0, 1e3),
    ("normal", 0.5, 500.0),
    ("logistic", 1.0, 1e3),
    ("logistic", 0.7, 700.0),
    ("extreme", 1.0, 600.0),
    ("extreme", 2.0, 1e3),
):
    scores = [*AFT_SCORES, -far, far]
    if dist == "extreme":
        # eᶻ beyond float64's range is inf in both: keep z = (log t − f)/σ below ~700
        scores = [f for f in scores if f > -600.0 * sigma + 20.0] + [-500.0 * sigma]
    pts = [(b, f) for b in AFT_BOUNDS for f in scores]
    # near the optimum of exact rows: f = fl(log t) and a few ulps away
    pts += [
        ((2.5, 2.5), 0.9162907318741551),
        ((2.5, 2.5), 0.9162907318741552),
        ((1e8, 1e8), 18.420680743952367),
    ]
    _case({"name": "aft", "distribution": dist, "sigma": sigma}, dist, sigma, True, pts)

# -- tobit: bounds on y's own scale ---------------------------------------------------------------
TOBIT_BOUNDS = [
    (0.3, 0.3),
    (-2.0, -2.0),
    (1e6, 1e6),  # exact
    (2.0, INF),
    (-1.0, INF),  # right censored (capped)
    (-INF, 0.5),
    (-INF, -3.0),  # left censored
    (-1.0, 1.5),
    (2.0, 2.9),
    (-30.0, 10.0),  # interval censored
]
TOBIT_SCORES = [-2000.0, -300.0, -40.0, -6.0, -1.1, -0.2, 0.1, 0.7, 1.3, 2.2, 5.0, 40.0, 300.0, 2000.0]
for sigma in (1.0, 2.5):
    pts = [(b, f) for b in TOBIT_BOUNDS for f in TOBIT_SCORES]
    pts += [((0.3, 0.3), 0.30000000000000004), ((1e6, 1e6), 1e6 + 1.1641532182693481e-10)]
    _case({"name": "tobit", "sigma": sigma}, "normal", sigma, False, pts)


# -- cox: whole samples ---------------------------------------------------------------------------
def _cox_value(cols, f):
    time, event = cols
    out = []
    for i in range(len(f)):
        R = mp.fsum(mp.exp(f[j]) for j in range(len(f)) if time[j] >= time[i])
        out.append(event[i] * (mp.log(R) - f[i]))
    return out


def _cox_parts(cols, f):
    time, event = cols
    n = len(f)
    R = [mp.fsum(mp.exp(f[j]) for j in range(n) if time[j] >= time[i]) for i in range(n)]
    p = [[mp.exp(f[k]) / R[i] if time[k] >= time[i] else 0 for k in range(n)] for i in range(n)]
    g = [mp.fsum(event[i] * p[i][k] for i in range(n)) - event[k] for k in range(n)]
    h = [mp.fsum(event[i] * p[i][k] * (1 - p[i][k]) for i in range(n)) for k in range(n)]
    return g, h


COX_SAMPLES = [
    # distinct times, mixed events, moderate scores
    ([[0.5, 1.2, 2.0, 2.7, 3.1, 4.4], [1, 0, 1, 1, 0, 1]], [0.3, -1.2, 0.8, 2.0, -0.4, 0.1]),
    # ties (Breslow: one risk set per tie group), a censored row tied with events
    ([[1.0, 2.0, 2.0, 2.0, 3.0, 5.0, 5.0], [1, 1, 0, 1, 1, 0, 1]], [0.0, 0.5, -0.5, 1.5, -2.0, 0.25, -0.75]),
    # a wider spread (scores hundreds apart, where e^f overflows, are in tests/test_survival.py:
    # a row that dominates its risk set has p ≈ 1, and p(1 − p) in its Hessian keeps only
    # absolute precision, as in XGBoost's)
    ([[0.1, 0.2, 0.3, 0.4, 0.5], [1, 1, 0, 1, 1]], [-3.0, 2.5, 0.5, -1.0, 0.3]),
    # every score equal (the baseline), all events
    ([[3.0, 1.0, 2.0, 4.0], [1, 1, 1, 1]], [0.0, 0.0, 0.0, 0.0]),
]
CASES.append(
    {
        "loss": {"name": "cox"},
        "points": COX_SAMPLES,
        "value": _cox_value,
        "gradient": lambda c, f: _cox_parts(c, f)[0],
        "hessian": lambda c, f: _cox_parts(c, f)[1],
    }
)
