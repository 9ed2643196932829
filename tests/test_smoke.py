"""Smoke test of the public contract; the generic suite covers every loss in depth."""

import numpy as np

import losslab


def test_every_registered_loss_evaluates():
    for name in losslab.list_losses():
        loss = losslab.get(name)
        if loss.multiclass:
            y, f = np.array([0, 1]), np.array([[0.5, -0.5], [0.1, 0.2]])
            if loss.info.task == "distribution":
                y = np.array([[0.3, 0.7], [1.0, 0.0]])
        else:
            y, f = np.array([0.0, 1.0]), np.array([0.25, 0.75])
        assert np.isfinite(loss(y, f))
        assert loss.gradient(y, f).shape == f.shape
