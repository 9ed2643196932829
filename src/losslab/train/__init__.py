"""Training with any losslab loss: models, the gradient-descent loop and the step trace.

The loop is the one a loss exists for — forward pass, loss, backpropagation, update
θ ← θ − η∇L(θ) — on PyTorch models (a linear model and a multilayer perceptron). PyTorch is
imported when one of the names below is first used, never by ``import losslab.train``:

- `LinearModel`, `MLP`, `build_model` — the models (``losslab.train.models``);
- `fit`, `TrainResult`, `split_validation` — the loop (``losslab.train.loop``);
- `solve` — a linear model fitted to the optimum on all rows, Newton or L-BFGS (``losslab.train.solver``);
- `step_trace`, `StepTrace` — one step laid open as data (``losslab.train.trace``);
- `DivergenceError` — raised when the loss becomes NaN or infinite; `RecipeError` — a gradient
  recipe given to the solver, which minimises values.
"""

from __future__ import annotations

from .._core.lazy import lazy_exports as _lazy_exports
from .errors import DivergenceError, RecipeError

_LAZY = {
    "LinearModel": "losslab.train.models",
    "MLP": "losslab.train.models",
    "build_model": "losslab.train.models",
    "fit": "losslab.train.loop",
    "TrainResult": "losslab.train.loop",
    "split_validation": "losslab.train.loop",
    "solve": "losslab.train.solver",
    "step_trace": "losslab.train.trace",
    "StepTrace": "losslab.train.trace",
}


__getattr__, __dir__ = _lazy_exports(__name__, _LAZY)

__all__ = [
    "MLP",
    "DivergenceError",
    "LinearModel",
    "RecipeError",
    "StepTrace",
    "TrainResult",
    "build_model",
    "fit",
    "solve",
    "split_validation",
    "step_trace",
]
