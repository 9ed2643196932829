"""The training loop: exact optima against closed forms and scikit-learn, coverage, divergence, seeds."""

import itertools

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("sklearn")

import losslab  # noqa: E402
from losslab.sklearn import LossClassifier, LossRegressor  # noqa: E402
from losslab.train import MLP, DivergenceError, LinearModel, fit, split_validation  # noqa: E402

# Full-batch L-BFGS with a strong-Wolfe line search, no validation split and no early stopping:
# the honest setting for reaching the exact optimum of a smooth convex problem.
EXACT = dict(optimizer="lbfgs", validation_fraction=0.0, early_stopping=False, epochs=30)


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _linear_data(n=400, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4)) * [1.0, 3.0, 0.5, 10.0] + [0.0, 5.0, -2.0, 100.0]
    y = X @ [1.5, -0.4, 2.0, 0.05] + 3.0 + rng.normal(0.0, 1.0, n)
    return X, y


def test_mse_linear_matches_lstsq():
    X, y = _linear_data()
    reg = LossRegressor(loss="mse", **EXACT).fit(X, y)
    sol = np.linalg.lstsq(np.c_[X, np.ones(len(X))], y, rcond=None)[0]
    np.testing.assert_allclose(reg.coef_, sol[:4], rtol=1e-4)
    assert reg.intercept_ == pytest.approx(sol[4], rel=1e-4)
    np.testing.assert_allclose(reg.predict(X), np.c_[X, np.ones(len(X))] @ sol, rtol=1e-6)


def test_mse_linear_with_sample_weight_matches_weighted_lstsq():
    X, y = _linear_data(seed=1)
    w = np.random.default_rng(2).uniform(0.1, 3.0, len(y))
    reg = LossRegressor(loss="mse", **EXACT).fit(X, y, sample_weight=w)
    A = np.c_[X, np.ones(len(X))] * np.sqrt(w)[:, None]
    sol = np.linalg.lstsq(A, y * np.sqrt(w), rcond=None)[0]
    np.testing.assert_allclose(reg.coef_, sol[:4], rtol=1e-4)


def test_quantile_linear_covers_its_level_on_held_out_points():
    rng = np.random.default_rng(3)
    n_train, n_test = 3000, 20000
    X = rng.normal(size=(n_train + n_test, 3))
    y = X @ [1.0, -2.0, 0.5] + rng.standard_t(5, size=n_train + n_test)
    reg = LossRegressor(
        loss={"name": "quantile", "quantile": 0.9},
        optimizer="adam",
        lr=0.05,
        schedule="cosine",
        epochs=60,
        batch_size=256,
        early_stopping=False,
        validation_fraction=0.0,
    ).fit(X[:n_train], y[:n_train])
    coverage = np.mean(y[n_train:] <= reg.predict(X[n_train:]))
    assert abs(coverage - 0.9) <= 0.02, coverage


def test_binary_crossentropy_linear_matches_unpenalised_logistic_regression():
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(4)
    X = rng.normal(size=(600, 3)) * [1.0, 2.0, 0.5] + [0.0, 1.0, 0.0]
    logit = X @ [1.0, -0.5, 2.0] - 0.3
    y = (rng.uniform(size=600) < 1 / (1 + np.exp(-logit))).astype(int)
    ours = LossClassifier(loss="binary_crossentropy", **EXACT).fit(X, y)
    ref = LogisticRegression(C=np.inf, tol=1e-12, max_iter=10_000).fit(X, y)  # unpenalised
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-3)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, rtol=1e-3)
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-5)


def test_divergence_names_the_epoch_and_the_learning_rate():
    X, y = _linear_data()
    reg = LossRegressor(optimizer="sgd", lr=1e4, epochs=50, validation_fraction=0.0)
    with pytest.raises(DivergenceError, match=r"diverged in epoch \d+.*Lower the learning rate") as info:
        reg.fit(X, y * 1e3)
    assert isinstance(info.value, losslab.LosslabError)
    assert 1 <= info.value.epoch <= 50


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "nesterov", "adam", "lbfgs"])
def test_every_optimizer_lowers_the_loss(optimizer):
    X, y = _linear_data(n=200)
    Xs = (X - X.mean(0)) / X.std(0)
    model = LinearModel(4, init_bias=float(y.mean()))
    res = fit(model, losslab.get("mse"), Xs, y, optimizer=optimizer, epochs=15, lr=None)
    losses = [r["train_loss"] for r in res.history]
    assert losses[-1] < 0.5 * losses[0]


def test_schedules_change_the_learning_rate_per_epoch():
    X, y = _linear_data(n=64)
    Xs = (X - X.mean(0)) / X.std(0)
    step = fit(
        LinearModel(4), losslab.get("mse"), Xs, y, lr=0.1, schedule="step", epochs=9, early_stopping=False
    )
    assert [round(r["lr"], 12) for r in step.history] == [0.1] * 3 + [0.01] * 3 + [0.001] * 3
    cos = fit(
        LinearModel(4), losslab.get("mse"), Xs, y, lr=0.1, schedule="cosine", epochs=10, early_stopping=False
    )
    lrs = [r["lr"] for r in cos.history]
    assert lrs[0] == 0.1 and all(a > b for a, b in itertools.pairwise(lrs)) and lrs[-1] < 0.01
    with pytest.raises(losslab.ParameterError, match="schedule"):
        fit(LinearModel(4), losslab.get("mse"), Xs, y, schedule="warmup")
    with pytest.raises(losslab.ParameterError, match="optimizer"):
        fit(LinearModel(4), losslab.get("mse"), Xs, y, optimizer="rmsprop")


def test_early_stopping_restores_the_best_validation_weights():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(120, 30))
    y = X[:, 0] + rng.normal(size=120)
    tr, va = split_validation(120, 0.3, seed=0)
    torch.manual_seed(0)
    net = MLP(30, hidden=(64,))
    res = fit(
        net,
        losslab.get("mse"),
        X[tr],
        y[tr],
        validation=(X[va], y[va], None),
        lr=0.03,
        epochs=200,
        patience=5,
    )
    assert res.stopped_early and res.n_epochs < 200
    val = [r["val_loss"] for r in res.history]
    assert res.best_epoch == int(np.argmin(val)) + 1
    with torch.no_grad():
        now = float(losslab.get("mse")(y[va], net(torch.as_tensor(X[va])).numpy()))
    assert now == pytest.approx(min(val), rel=1e-12)


def test_seeds_reproduce_runs_without_touching_global_state():
    rng = np.random.default_rng(6)
    X = rng.normal(size=(150, 5))
    y = np.sin(X[:, 0]) + X[:, 1]
    state = torch.random.get_rng_state()
    kw = dict(model="mlp", hidden=(16,), dropout=0.2, epochs=15)
    a = LossRegressor(seed=1, **kw).fit(X, y)
    b = LossRegressor(seed=1, **kw).fit(X, y)
    c = LossRegressor(seed=2, **kw).fit(X, y)
    assert torch.equal(state, torch.random.get_rng_state())
    assert torch.get_num_threads() == 1  # the caller's thread setting is honoured
    assert a.history_ == b.history_
    np.testing.assert_array_equal(a.predict(X), b.predict(X))
    assert not np.array_equal(a.predict(X), c.predict(X))


def test_history_records_losses_and_metrics_per_epoch():
    rng = np.random.default_rng(7)
    X = rng.normal(size=(200, 3))
    y = X[:, 0] + rng.normal(size=200)
    metrics = ("rmse", "mae", "r2", "huber")
    reg = LossRegressor(optimizer="adam", epochs=5, early_stopping=False, metrics=metrics).fit(X, y)
    assert reg.n_iter_ == len(reg.history_) == 5
    rec = reg.history_[-1]
    assert set(rec) == {"epoch", "train_loss", "val_loss", "lr", "rmse", "mae", "r2", "huber"}
    assert rec["rmse"] == pytest.approx(np.sqrt(rec["val_loss"]), rel=1e-10)  # mse val loss
    y01 = (y > 0).astype(int)
    clf = LossClassifier(
        optimizer="adam", epochs=3, metrics=("accuracy", "roc_auc", "log_loss", "brier", "f1")
    )
    clf.fit(X, y01)
    rec = clf.history_[-1]
    assert rec["log_loss"] == pytest.approx(rec["val_loss"], rel=1e-10)
    assert 0.0 <= rec["accuracy"] <= 1.0 and 0.0 <= rec["roc_auc"] <= 1.0
    with pytest.raises(losslab.ParameterError, match="unknown metric"):
        LossRegressor(epochs=1, metrics=("nope",)).fit(X, y)


def test_split_validation_is_stratified_and_keeps_every_class_in_training():
    y = np.array([0] * 50 + [1] * 10 + [2] * 2)
    tr, va = split_validation(len(y), 0.2, seed=0, stratify=y)
    assert set(tr) | set(va) == set(range(len(y))) and not set(tr) & set(va)
    counts = np.bincount(y[va], minlength=3)
    assert counts[0] == 10 and counts[1] == 2 and counts[2] <= 1
    assert set(np.unique(y[tr])) == {0, 1, 2}
    with pytest.raises(losslab.ParameterError, match="validation_fraction"):
        split_validation(10, 1.5)


def test_float32_training():
    X, y = _linear_data(n=200)
    reg = LossRegressor(dtype="float32", epochs=20).fit(X, y)
    assert next(reg.model_.parameters()).dtype == torch.float32
    assert reg.predict(X).dtype == np.float64
    assert reg.score(X, y) > 0.5


def test_poisson_linear_is_the_poisson_glm_and_predicts_the_mean():
    from sklearn.linear_model import PoissonRegressor

    rng = np.random.default_rng(8)
    X = rng.normal(size=(800, 2))
    y = rng.poisson(np.exp(X @ [0.5, -0.3] + 1.0))
    ours = LossRegressor(loss="poisson", **EXACT).fit(X, y)
    ref = PoissonRegressor(alpha=0.0, tol=1e-12, max_iter=10_000).fit(X, y)
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-4)
    # predict is the response exp(raw), not the raw log-mean
    np.testing.assert_allclose(ours.predict(X), ref.predict(X), rtol=1e-4)
    np.testing.assert_allclose(ours.predict(X), np.exp(ours.predict_raw(X)), rtol=1e-12)


# -- the solver: full-batch L-BFGS to tolerance (the default for model="linear") ------------------


def test_solver_with_the_output_floor_is_least_squares_on_log1p():
    # msle with f = expm1(s) > −1 is (s − log1p y)²: least squares of log1p(y), through the floor's chain rule
    rng = np.random.default_rng(30)
    X = rng.normal(size=(500, 3))
    y = np.expm1(X @ [0.3, -0.2, 0.1] + 1.0 + rng.normal(0, 0.2, 500))
    reg = LossRegressor(loss="msle").fit(X, y)
    A = np.c_[X, np.ones(500)]
    exact = np.expm1(A @ np.linalg.lstsq(A, np.log1p(y), rcond=None)[0])
    np.testing.assert_allclose(reg.predict(X), exact, rtol=1e-8)


def test_solve_records_iterations_scores_validation_and_reports_the_cap():
    from losslab.train import solve

    rng = np.random.default_rng(31)
    X = rng.normal(size=(300, 2))
    y = X @ [1.0, 2.0] + rng.normal(size=300)
    loss = losslab.get("mse")
    seen = []
    model = LinearModel(2, init_bias=float(y[:200].mean()))
    res = solve(model, loss, X[:200], y[:200], validation=(X[200:], y[200:], None), callback=seen.append)
    assert res.converged and res.n_epochs == len(res.history) == len(seen) == res.best_epoch
    losses = [r["train_loss"] for r in res.history]
    assert all(b <= a for a, b in itertools.pairwise(losses))  # L-BFGS's line search only descends
    with torch.no_grad():
        val = float(loss(y[200:], model(torch.as_tensor(X[200:]))))
    assert res.history[-1]["val_loss"] == pytest.approx(val, rel=1e-10)
    capped = solve(LinearModel(2), losslab.get("mae"), X, y, max_iter=1)
    assert not capped.converged and capped.n_epochs == 1
    with pytest.raises(losslab.ParameterError, match="tol must be a positive number"):
        solve(LinearModel(2), loss, X, y, tol=0)
    with pytest.raises(DivergenceError, match="not finite at the starting weights"):
        solve(LinearModel(2, init_bias=1e300), loss, X, y)


def test_solver_in_float32_keeps_the_model_dtype():
    rng = np.random.default_rng(32)
    X = rng.normal(size=(200, 2))
    y = X @ [1.0, -1.0] + rng.normal(size=200)
    reg = LossRegressor(dtype="float32").fit(X, y)
    assert next(reg.model_.parameters()).dtype == torch.float32
    A = np.c_[X, np.ones(200)]
    np.testing.assert_allclose(reg.predict(X), A @ np.linalg.lstsq(A, y, rcond=None)[0], atol=1e-5)
