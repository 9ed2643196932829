"""Smoke test of the public contract; the generic suite covers every loss in depth."""

import numpy as np

import losslab


def test_every_registered_loss_evaluates():
    for name in losslab.list_losses():
        loss = losslab.get(name)
        y, f = loss.example(4)  # valid inputs of the loss's domain and shape
        assert np.isfinite(loss(y, f))
        assert loss.gradient(y, f).shape == f.shape
