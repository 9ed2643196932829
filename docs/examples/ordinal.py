"""Ordinal targets, for a new user: predict a 1–5 satisfaction rating with the cumulative logit loss.

Run it: ``python docs/examples/ordinal.py``. A linear score η = Xβ and four ordered cut points
are learned together by alternating the two convex fits the loss offers: β with the cut points
fixed (any gradient-based fit: here scipy's BFGS on the loss's value and gradient), then the
cut points with η fixed (``fit_thresholds``). tests/test_ordinal.py runs this file.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize

import losslab
from losslab.targets import Ordinal

# -- a survey: three features, a rating on an ordered scale -----------------------------------------
rng = np.random.default_rng(0)
n = 1500
X = rng.normal(size=(n, 3))
latent = X @ np.array([2.0, -1.5, 0.8]) + rng.logistic(size=n)
levels = ["very poor", "poor", "fair", "good", "excellent"]
answers = [levels[i] for i in np.searchsorted([-2.0, -0.5, 0.8, 2.2], latent)]
y = Ordinal.from_values(answers, levels=levels)  # names in order -> codes 0 … 4; a typo is an error
train, test = np.arange(1000), np.arange(1000, n)

# -- learn the score and the thresholds together ------------------------------------------------------
loss = losslab.get("ordinal", thresholds="auto").fit_auto(y.take(train))  # start: the label shares
beta = np.zeros(X.shape[1])
Xtr, ytr = X[train], y.take(train)
for _ in range(20):

    def objective(b: np.ndarray, loss=loss) -> tuple[float, np.ndarray]:
        eta = Xtr @ b
        return float(loss(ytr, eta, reduction="sum")), Xtr.T @ loss.gradient(ytr, eta)

    beta = minimize(objective, beta, jac=True, method="BFGS").x  # scores, thresholds fixed
    loss = loss.fit_thresholds(ytr, Xtr @ beta)  # thresholds, scores fixed

# -- predict: class probabilities, the most likely level, and how far off it is ----------------------------
proba = loss.probabilities(X[test] @ beta)  # (n_test, 5), rows sum to 1
predicted = proba.argmax(axis=1)
truth = np.asarray(y.take(test).label)
accuracy = float(np.mean(predicted == truth))
mae_levels = float(np.mean(np.abs(predicted - truth)))  # an ordinal error counts the distance
majority = float(np.mean(truth == np.bincount(truth).argmax()))  # always answering the commonest level

if __name__ == "__main__":
    print("beta:", np.round(beta, 3), " thresholds:", np.round(loss.thresholds, 3))
    print(f"held-out log loss: {float(loss(y.take(test), X[test] @ beta)):.4f}")
    print(f"accuracy: {accuracy:.3f} (the commonest level alone: {majority:.3f})")
    print(f"mean absolute error in levels: {mae_levels:.3f}")
    print("first answer:", {name: round(float(p), 3) for name, p in zip(levels, proba[0], strict=True)})
