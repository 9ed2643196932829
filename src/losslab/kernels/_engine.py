"""The compiled pass over the elements (numba, ``parallel=True``, cached on disk).

The elements are cut into fixed chunks of `CHUNK`; threads take whole chunks (``prange``) and
each chunk writes its partial sums (Σwℓ, Σw) and whether it met a bad entry into its own row of
``part``. The caller adds the rows in order, so a reduction does not depend on how many threads
ran. Inputs of either float dtype are read as float64 and outputs rounded once on store.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from ._scalar import point

CHUNK = 4096
_MAX = np.finfo(np.float64).max

# layout of the check vector ``chk`` (y_true at 0, y_pred at CHK_F), prepared by losslab.kernels
# so that the test is branch-free: x ≥ LO and x ≤ HI with open ends moved to the next float in
# (an infinite end becomes ±max float, so ±inf and NaN fail), x ≠ EXCLUDED (NaN if none), and,
# for label domains (N_VALUES > 0), x equal to one of VALUES (padded with NaN)
LO, HI, EXCLUDED, N_VALUES, VALUES = 0, 1, 2, 3, 4
CHK_WIDTH = 7  # VALUES holds up to 3 label values
CHK_F = CHK_WIDTH


@njit(cache=True, inline="always")
def _inside(x, lo, hi, excluded, labels, v0, v1, v2):
    """x lies in the domain (NaN and ±inf never do), without branches."""
    ok = (x >= lo) & (x <= hi) & (x != excluded)
    if labels:  # loop-invariant: hoisted by the compiler
        ok = ok & ((x == v0) | (x == v1) | (x == v2))
    return ok


@njit(cache=True, parallel=True)
def elementwise(kind, prm, t, f, w, chk, v_out, g_out, h_out, part_v, part_w, part_bad):
    """One pass: per-entry values into ``v_out``, gradients into ``g_out``, Hessians into
    ``h_out``, and per chunk c: Σwℓ into ``part_v[c]``, Σw into ``part_w[c]``, 1 into
    ``part_bad[c]`` if a check failed there (the caller then takes the generic path, which
    names the entry). Every optional argument may be None: numba compiles one specialisation
    per combination with the unused branches removed, and checks run only if ``chk`` is given.
    """
    n = f.shape[0]
    n_chunks = (n + CHUNK - 1) // CHUNK
    want_v = v_out is not None or part_v is not None
    for c in prange(n_chunks):
        lo = c * CHUNK
        hi = min(n, lo + CHUNK)
        sv = 0.0
        sw = 0.0
        bad = False
        p0, p1, p2 = prm[0], prm[1], prm[2]
        # the check rows as scalars (loads from chk could alias the outputs for the compiler)
        if chk is not None:
            t_lo, t_hi, t_ex, t_lab = chk[LO], chk[HI], chk[EXCLUDED], chk[N_VALUES] > 0
            t_v0, t_v1, t_v2 = chk[VALUES], chk[VALUES + 1], chk[VALUES + 2]
            o = CHK_F
            f_lo, f_hi, f_ex, f_lab = chk[o + LO], chk[o + HI], chk[o + EXCLUDED], chk[o + N_VALUES] > 0
            f_v0, f_v1, f_v2 = chk[o + VALUES], chk[o + VALUES + 1], chk[o + VALUES + 2]
        for i in range(lo, hi):
            ti = np.float64(t[i])
            fi = np.float64(f[i])
            if chk is not None:
                ok = _inside(ti, t_lo, t_hi, t_ex, t_lab, t_v0, t_v1, t_v2)
                ok = ok & _inside(fi, f_lo, f_hi, f_ex, f_lab, f_v0, f_v1, f_v2)
                if w is not None:
                    wc = np.float64(w[i])
                    ok = ok & (wc >= 0.0) & (wc <= _MAX)
                bad = bad | (not ok)
            v, g, h = point(kind, p0, p1, p2, prm, ti, fi, want_v, g_out is not None, h_out is not None)
            if w is not None:
                wi = np.float64(w[i])
                v = v * wi
                g = g * wi
                h = h * wi
                if part_w is not None:
                    sw += wi
            if v_out is not None:
                v_out[i] = v
            if part_v is not None:
                sv += v
            if g_out is not None:
                g_out[i] = g
            if h_out is not None:
                h_out[i] = h
        if part_v is not None:
            part_v[c] = sv
        if part_w is not None:
            part_w[c] = sw
        if part_bad is not None:
            part_bad[c] = bad


def n_chunks(n: int) -> int:
    return (n + CHUNK - 1) // CHUNK


def total(part_column: np.ndarray) -> float:
    """The chunk sums added in chunk order (independent of the thread count)."""
    return math.fsum(part_column.tolist())


ROWS = 512  # rows per chunk of the per-row (multiclass) pass


@njit(cache=True, parallel=True)
def softmax_ce(f, labels, w, check, cw, eps, v_out, g_out, h_out, part_v, part_w, part_bad):
    """Cross-entropy of logit rows ``f`` (n, k) against class indices ``labels`` (as floats),
    with label smoothing ``eps`` and class weights ``cw`` (k,): the target row is
    a = ((1 − ε)·onehot + ε/k)·c. Same chunked layout and outputs as `elementwise`, per row.

    losslab.losses.classification: log softmax with log1p of the non-maximal terms
    (`_core.special.log_softmax`), then `weighted_ce_grad_hess`: gradient (s − aⱼ)pⱼ −
    aⱼ(1 − pⱼ) with s − a_top summed from the other entries, Hessian s·pⱼ(1 − pⱼ), 1 − pⱼ as
    −expm1(log pⱼ).
    """
    n, k = f.shape
    n_chunks = (n + ROWS - 1) // ROWS
    want_v = v_out is not None or part_v is not None
    for c in prange(n_chunks):
        lo = c * ROWS
        hi = min(n, lo + ROWS)
        a = np.empty(k)
        logp = np.empty(k)
        sv = 0.0
        sw = 0.0
        bad = False
        for i in range(lo, hi):
            lab = np.float64(labels[i])
            if check:
                ok = (lab >= 0.0) & (lab <= k - 1) & (np.floor(lab) == lab)
                for j in range(k):
                    x = np.float64(f[i, j])
                    ok = ok & (x - x == 0.0)
                if w is not None:
                    wc = np.float64(w[i])
                    ok = ok & (wc >= 0.0) & (wc <= _MAX)
                if not ok:
                    bad = True
                    continue
            li = int(lab)
            # log softmax: m the row maximum at its first index jm, S = Σ_{j ≠ jm} e^{z_j − m}
            jm = 0
            m = np.float64(f[i, 0])
            for j in range(1, k):
                if np.float64(f[i, j]) > m:
                    m = np.float64(f[i, j])
                    jm = j
            s_rest = 0.0
            for j in range(k):
                if j != jm:
                    s_rest += math.exp(np.float64(f[i, j]) - m)
            l1p = math.log1p(s_rest)
            s = 0.0
            top = 0
            for j in range(k):
                logp[j] = (np.float64(f[i, j]) - m) - l1p
                aj = (
                    (1.0 - eps) * (1.0 if j == li else 0.0) + eps / k
                    if eps != 0.0
                    else (1.0 if j == li else 0.0)
                )
                aj = aj * cw[j]
                a[j] = aj
                s += aj
                if aj > a[top]:
                    top = j
            wi = np.float64(w[i]) if w is not None else 1.0
            if want_v:
                acc = 0.0
                for j in range(k):
                    acc += a[j] * logp[j]
                v = (0.0 - acc) * wi
                if v_out is not None:
                    v_out[i] = v
                if part_v is not None:
                    sv += v
            if g_out is not None or h_out is not None:
                rest = 0.0
                for j in range(k):
                    if j != top:
                        rest += a[j]
                for j in range(k):
                    p = math.exp(logp[j])
                    omp = 0.0 - math.expm1(logp[j])
                    if g_out is not None:
                        others = rest if j == top else s - a[j]
                        g_out[i, j] = (others * p - a[j] * omp) * wi
                    if h_out is not None:
                        h_out[i, j] = (s * p * omp) * wi
            if part_w is not None:
                sw += wi
        if part_v is not None:
            part_v[c] = sv
        if part_w is not None:
            part_w[c] = sw
        if part_bad is not None:
            part_bad[c] = bad


def n_row_chunks(n: int) -> int:
    return (n + ROWS - 1) // ROWS
