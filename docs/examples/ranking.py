"""Learning to rank with losslab: queries, relevance grades, LambdaRank in LightGBM.

Run: python docs/examples/ranking.py

A search engine shows results per query; each result has a relevance grade (0 = useless …
3 = perfect). A ranking loss sees the results of one query together and cares only about their
order. losslab holds such a target as ``Ranking(relevance, group)``: the rows of each query
adjacent, the group id (or the group sizes XGBoost and LightGBM take) saying which query a row
belongs to.
"""

import numpy as np

import losslab
from losslab.metrics import ranking_metric
from losslab.targets import Ranking

rng = np.random.default_rng(0)

# 100 queries of 5-29 results each, 6 features; relevance 0-3 from a hidden noisy score
sizes = rng.integers(5, 30, 100)
n = int(sizes.sum())
X = rng.normal(size=(n, 6))
hidden = X[:, 0] - 0.5 * X[:, 1] ** 2 + rng.normal(0.0, 1.0, n)
relevance = np.concatenate(
    [
        np.digitize(hidden[s:e].argsort().argsort() / (e - s), [0.5, 0.8, 0.95])
        for s, e in zip(np.r_[0, np.cumsum(sizes)[:-1]], np.cumsum(sizes), strict=True)
    ]
).astype(float)
y = Ranking.from_sizes(relevance, sizes)

# 1. The losses take the target and one score per row, like any losslab loss.
scores = rng.normal(size=n)
for name in ("pairwise", "lambdarank", "xendcg"):
    loss = losslab.get(name)
    print(f"{name:>10}: value {float(loss(y, scores)):.4f}, gradient is a {loss.info.gradient}")

# 2. Train LightGBM with losslab's LambdaRank (its built-in "lambdarank" gives the same model).
ndcg_random = ranking_metric("ndcg:10", y, scores)
ndcg_model = ndcg_random
try:
    import lightgbm as lgb

    import losslab.lightgbm as ll
except ImportError:  # pragma: no cover - the lightgbm extra is not installed
    print("install losslab[lightgbm] to train the model")
else:
    params = {"num_leaves": 15, "learning_rate": 0.1, "verbose": -1}
    booster = ll.train("lambdarank", params, lgb.Dataset(X, relevance, group=sizes), 30)
    ndcg_model = ranking_metric("ndcg:10", y, booster.predict(X))
    # the scikit-learn ranker passes the group sizes to the objective itself
    ranker = lgb.LGBMRanker(objective=ll.objective("lambdarank"), n_estimators=30, verbose=-1)
    ranker.fit(X, relevance, group=sizes)

print(f"NDCG@10: random order {ndcg_random:.3f}, LambdaRank model {ndcg_model:.3f}")
