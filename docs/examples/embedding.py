"""Metric learning with losslab: pairs, triplets and contrastive losses on labelled embeddings.

Run it: ``python docs/examples/embedding.py`` (NumPy; PyTorch for the training part). It prints
what it checks, and tests/test_embedding_losses.py runs it.
"""

from __future__ import annotations

import numpy as np

import losslab
from losslab.targets import Embeddings, Pairs

rng = np.random.default_rng(0)

# 1. Explicit pairs: one pair per row of y_pred, a label +1 (similar) / -1 (dissimilar) per pair.
#    Two d-dimensional embeddings sit side by side in a row: [x1 | x2], shape (n, 2d).
x1, x2 = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
pairs = Pairs([1, -1, 1, -1])
cosine = losslab.get("cosine_embedding", margin=0.1)  # torch.nn.CosineEmbeddingLoss
print("cosine_embedding per pair:", cosine(pairs, np.concatenate([x1, x2], axis=1), reduction="none"))

# Two scores per pair for a ranking margin: [x1, x2], shape (n, 2), +1 if x1 should be higher.
ranking = losslab.get("margin_ranking", margin=0.5)  # torch.nn.MarginRankingLoss
print("margin_ranking:", float(ranking(Pairs([1, -1]), np.array([[2.0, 1.0], [2.0, 1.0]]))))

# 2. Labelled embeddings: rows with equal labels are positives; the loss mines its triplets or
#    pairs in the batch. y_pred is the (n, d) batch of embeddings.
labels = np.repeat(np.arange(4), 3)  # 4 classes, 3 rows each
emb = rng.normal(size=(12, 8))
for name, params in [
    ("triplet_margin", {"margin": 0.5}),  # every valid triplet of each anchor, averaged
    ("triplet_margin", {"margin": 0.5, "mining": "hard"}),  # batch-hard: one triplet per anchor
    ("ntxent", {"temperature": 0.1}),  # optax.ntxent (SimCLR)
    ("supervised_contrastive", {"temperature": 0.1}),  # Khosla et al.
]:
    loss = losslab.get(name, **params)
    print(f"{name} {params}: {float(loss(Embeddings(labels), emb)):.4f}")

# Their gradient is that of the (weighted) total: row i's embedding enters other rows' triplets.
g = losslab.get("triplet_margin").gradient(Embeddings(labels), emb)
assert g.shape == emb.shape

# 3. Train: a linear embedding of 2-D points in four clusters, with PyTorch autograd through
#    losslab's exact kernels. The clusters separate: the loss falls.
try:
    import torch
except ImportError:  # pragma: no cover - NumPy-only installs
    torch = None
if torch is not None:
    torch.manual_seed(0)
    centres = torch.tensor([[0.0, 0.0], [3.0, 0.0], [0.0, 3.0], [3.0, 3.0]], dtype=torch.float64)
    y = torch.arange(4).repeat_interleave(16)
    X = centres[y] + 0.8 * torch.randn(64, 2, dtype=torch.float64)
    model = torch.nn.Linear(2, 4).double()
    optimiser = torch.optim.SGD(model.parameters(), lr=0.1)
    loss = losslab.get("supervised_contrastive", temperature=0.5)
    target = Embeddings(y.numpy())
    history = []
    for _ in range(60):
        optimiser.zero_grad()
        value = loss(target, model(X))
        value.backward()
        optimiser.step()
        history.append(value.item())
    print(f"supervised_contrastive while training: {history[0]:.4f} -> {history[-1]:.4f}")
    assert history[-1] < history[0]
