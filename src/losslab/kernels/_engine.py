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

# layout of the check vector ``chk`` (per argument: y_true at 0, y_pred at CHK_F)
LO, HI, LO_CLOSED, HI_CLOSED, N_EXCLUDED, EXCLUDED, N_VALUES, VALUES = 0, 1, 2, 3, 4, 5, 6, 7
CHK_WIDTH = 10  # VALUES holds up to 3 label values
CHK_F = CHK_WIDTH


@njit(cache=True, inline="always")
def _inside(x, lo, hi, lo_closed, hi_closed, n_excluded, excluded, n_values, v0, v1, v2):
    """x is finite and in the domain (NaN never is); the bounds come as scalars so that the
    compiler keeps them in registers."""
    if not (x - x == 0.0):
        return False
    if not ((x >= lo) if lo_closed else (x > lo)):
        return False
    if not ((x <= hi) if hi_closed else (x < hi)):
        return False
    if n_excluded and x == excluded:
        return False
    if n_values == 0:
        return True
    return x == v0 or (n_values > 1 and x == v1) or (n_values > 2 and x == v2)


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
            t_lo, t_hi, t_lc, t_hc = chk[LO], chk[HI], chk[LO_CLOSED] != 0.0, chk[HI_CLOSED] != 0.0
            t_ne, t_ex, t_nv = chk[N_EXCLUDED] != 0.0, chk[EXCLUDED], int(chk[N_VALUES])
            t_v0, t_v1, t_v2 = chk[VALUES], chk[VALUES + 1], chk[VALUES + 2]
            o = CHK_F
            f_lo, f_hi, f_lc, f_hc = (
                chk[o + LO],
                chk[o + HI],
                chk[o + LO_CLOSED] != 0.0,
                chk[o + HI_CLOSED] != 0.0,
            )
            f_ne, f_ex, f_nv = chk[o + N_EXCLUDED] != 0.0, chk[o + EXCLUDED], int(chk[o + N_VALUES])
            f_v0, f_v1, f_v2 = chk[o + VALUES], chk[o + VALUES + 1], chk[o + VALUES + 2]
        for i in range(lo, hi):
            ti = np.float64(t[i])
            fi = np.float64(f[i])
            if chk is not None:
                ok = _inside(ti, t_lo, t_hi, t_lc, t_hc, t_ne, t_ex, t_nv, t_v0, t_v1, t_v2)
                ok = ok and _inside(fi, f_lo, f_hi, f_lc, f_hc, f_ne, f_ex, f_nv, f_v0, f_v1, f_v2)
                if w is not None:
                    wc = np.float64(w[i])
                    ok = ok and wc >= 0.0 and wc - wc == 0.0
                bad = bad or not ok
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
