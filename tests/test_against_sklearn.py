"""skperceptron against an independent implementation: scikit-learn's MLP.

With the same architecture, solver, seed and data, both draw the same starting
weights and the same minibatches, so their training losses must agree epoch by
epoch; and their cross-validated scores must agree on real data.
"""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.datasets import load_breast_cancer, load_diabetes, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import cross_val_score
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skperceptron import StudentNetClassifier, StudentNetRegressor


def _scaled(loader):
    X, y = loader(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def _mlp_params(params):
    """Our parameters under MLP's names: its learning_rate is the schedule."""
    params = dict(params)
    if "learning_rate" in params:
        params["learning_rate_init"] = params.pop("learning_rate")
    if "learning_rate_schedule" in params:
        params["learning_rate"] = params.pop("learning_rate_schedule")
    return params


@pytest.mark.parametrize(
    "params",
    [
        dict(solver="adam", max_iter=30),
        dict(solver="sgd", max_iter=30, learning_rate=0.01),
        dict(solver="sgd", max_iter=30, nesterovs_momentum=False, momentum=0.5),
        dict(solver="sgd", max_iter=30, learning_rate_schedule="invscaling"),
        dict(solver="lbfgs", max_iter=30),
        dict(solver="adam", max_iter=30, activation="tanh", batch_size=64),
        dict(solver="adam", max_iter=30, activation="logistic", shuffle=False),
    ],
)
@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
def test_loss_curve_matches_mlp(params, task):
    if task == "regression":
        X, y = _scaled(load_diabetes)
        y = (y - y.mean()) / y.std()
        ours, theirs = StudentNetRegressor, MLPRegressor
    else:
        n_classes = 2 if task == "binary" else 3
        X, y = make_classification(
            n_samples=300, n_informative=5, n_classes=n_classes, random_state=0
        )
        ours, theirs = StudentNetClassifier, MLPClassifier
    common = dict(hidden_layer_sizes=(15, 7), alpha=0.0, random_state=0, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        a = ours(**common).fit(X, y)
        b = theirs(**_mlp_params(common)).fit(X, y)

    assert a.n_iter_ == b.n_iter_
    if params["solver"] == "lbfgs":
        # MLP's L-BFGS keeps no loss curve; ours records one per iteration.
        assert len(a.loss_curve_) == a.n_iter_
        assert_allclose(a.loss_, b.loss_, rtol=1e-9)
    else:
        assert_allclose(a.loss_curve_, b.loss_curve_, rtol=1e-9)
    for coef_a, coef_b in zip(a.coefs_, b.coefs_, strict=True):
        assert_allclose(coef_a, coef_b, rtol=1e-6, atol=1e-9)


def test_l2_penalty_matches_mlp_objective():
    X, y = make_classification(n_samples=200, random_state=0)
    common = dict(hidden_layer_sizes=(10,), alpha=0.5, random_state=0, max_iter=20)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        a = StudentNetClassifier(solver="lbfgs", **common).fit(X, y)
        b = MLPClassifier(solver="lbfgs", **common).fit(X, y)
        c = StudentNetClassifier(solver="adam", batch_size=50, **common).fit(X, y)
        d = MLPClassifier(solver="adam", batch_size=50, **common).fit(X, y)
    assert_allclose(a.loss_, b.loss_, rtol=1e-9)
    # Minibatch solvers: identical weights; the reported epoch loss evaluates the
    # penalty once per epoch rather than once per batch, a small difference.
    for coef_c, coef_d in zip(c.coefs_, d.coefs_, strict=True):
        assert_allclose(coef_c, coef_d, rtol=1e-6, atol=1e-9)
    assert_allclose(c.loss_curve_, d.loss_curve_, rtol=1e-2)


@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_breast_cancer_accuracy_within_one_point_of_mlp(solver):
    X, y = load_breast_cancer(return_X_y=True)
    params = dict(hidden_layer_sizes=(32,), solver=solver, random_state=0)
    ours = make_pipeline(StandardScaler(), StudentNetClassifier(**params))
    theirs = make_pipeline(StandardScaler(), MLPClassifier(**params))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours_score = cross_val_score(ours, X, y, cv=5).mean()
        theirs_score = cross_val_score(theirs, X, y, cv=5).mean()
    assert ours_score > 0.95
    assert abs(ours_score - theirs_score) <= 0.01


@pytest.mark.parametrize(
    "params",
    [
        dict(solver="adam", learning_rate=0.01, max_iter=1000),
        dict(solver="sgd", learning_rate=0.001, max_iter=500),
        dict(solver="lbfgs", max_iter=50),
    ],
)
def test_diabetes_r2_within_one_point_of_mlp(params):
    X, y = load_diabetes(return_X_y=True)
    params = dict(hidden_layer_sizes=(32,), random_state=0, **params)
    ours = make_pipeline(StandardScaler(), StudentNetRegressor(**params))
    theirs = make_pipeline(StandardScaler(), MLPRegressor(**_mlp_params(params)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours_score = cross_val_score(ours, X, y, cv=5).mean()
        theirs_score = cross_val_score(theirs, X, y, cv=5).mean()
    assert ours_score > 0.3
    assert abs(ours_score - theirs_score) <= 0.01


def test_float32_training_stays_close_to_float64():
    X, y = _scaled(load_breast_cancer)
    params = dict(hidden_layer_sizes=(16,), random_state=0, max_iter=50)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        a = StudentNetClassifier(**params).fit(X.astype(np.float32), y)
        b = StudentNetClassifier(**params).fit(X, y)
    assert a.coefs_[0].dtype == np.float32
    assert_allclose(a.loss_curve_, b.loss_curve_, rtol=1e-4)
