"""The gradient-boosting machinery shared by the XGBoost and LightGBM faces.

- `objective` — Hessian policies and the gradient/Hessian kernel (`GradHess`);
- `conventions` — how the built-in objectives scale gradient and Hessian (the faces' default);
- `estimators` — what the faces' thin scikit-learn estimators share;
- `fast` — in-place kernels for the hot losses at boosting sizes;
- `refit` — the leaf refit of median and quantile losses (`kernels`: its numba kernels).
- `dask` — on a Dask cluster: init scores from all the labels, the Dask estimators, what cannot
  run distributed.

The public faces stay `losslab.xgboost` and `losslab.lightgbm`. Nothing here imports xgboost,
lightgbm, numba or dask at module level.
"""
