"""The estimators as users drive them: pipelines, searches, DataFrames, pickles."""

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_iris, make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skperceptron import StudentNetClassifier, StudentNetRegressor

ESTIMATORS = [StudentNetClassifier, StudentNetRegressor]


def _data(estimator_class, n_samples=120):
    if estimator_class is StudentNetClassifier:
        return make_classification(n_samples=n_samples, random_state=0)
    X, y = make_regression(n_samples=n_samples, n_features=6, noise=1, random_state=0)
    return X, y / y.std()


@pytest.fixture(autouse=True)
def _quiet_convergence():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


@pytest.mark.parametrize("estimator_class", ESTIMATORS)
def test_pipeline_with_standard_scaler(estimator_class):
    X, y = _data(estimator_class)
    model = make_pipeline(
        StandardScaler(), estimator_class(hidden_layer_sizes=(16,), random_state=0)
    )
    assert model.fit(X, y).score(X, y) > 0.8


@pytest.mark.parametrize("estimator_class", ESTIMATORS)
def test_grid_search_over_learning_rate_in_parallel(estimator_class):
    X, y = _data(estimator_class)
    pipe = make_pipeline(
        StandardScaler(),
        estimator_class(hidden_layer_sizes=(8,), max_iter=50, random_state=0),
    )
    step = pipe.steps[-1][0]
    grid = {f"{step}__learning_rate": [1e-3, 1e-2, 1e-1]}
    search = GridSearchCV(pipe, grid, cv=3, n_jobs=2, error_score="raise").fit(X, y)
    assert (
        search.best_params_[f"{step}__learning_rate"] in grid[f"{step}__learning_rate"]
    )
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))


def test_cross_validate_on_dataframe_with_string_labels():
    iris = load_iris(as_frame=True)
    X = iris.data
    y = iris.target.map(dict(enumerate(iris.target_names)))
    model = make_pipeline(
        StandardScaler(),
        StudentNetClassifier(
            hidden_layer_sizes=(16,), learning_rate=0.01, random_state=0
        ),
    )
    scores = cross_validate(model, X, y, cv=5, return_estimator=True)
    assert scores["test_score"].mean() > 0.85
    fitted = scores["estimator"][0][-1]
    assert fitted.classes_.tolist() == ["setosa", "versicolor", "virginica"]
    assert set(fitted.predict(StandardScaler().fit_transform(X))) <= set(
        iris.target_names
    )


def test_cross_validate_regressor_on_dataframe():
    X, y = make_regression(n_samples=150, n_features=4, noise=1, random_state=0)
    X = pd.DataFrame(X, columns=["lectures", "hours", "sleep", "coffee"])
    scores = cross_validate(
        make_pipeline(StandardScaler(), StudentNetRegressor(solver="lbfgs")),
        X,
        pd.Series(y),
        cv=5,
    )
    assert scores["test_score"].mean() > 0.9


def test_dataframe_feature_names_are_recorded():
    X, y = make_classification(
        n_samples=60, n_features=3, n_redundant=0, random_state=0
    )
    X = pd.DataFrame(X, columns=["lectures", "hours", "sleep"])
    clf = StudentNetClassifier(hidden_layer_sizes=(4,), max_iter=5).fit(X, y)
    assert clf.feature_names_in_.tolist() == ["lectures", "hours", "sleep"]
    assert clf.n_features_in_ == 3


@pytest.mark.parametrize("estimator_class", ESTIMATORS)
@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_pickled_model_predicts_identically(estimator_class, solver):
    X, y = _data(estimator_class)
    model = estimator_class(solver=solver, max_iter=20, random_state=0).fit(X, y)
    restored = pickle.loads(pickle.dumps(model))
    assert_array_equal(restored.predict(X), model.predict(X))
    if estimator_class is StudentNetClassifier:
        assert_array_equal(restored.predict_proba(X), model.predict_proba(X))


@pytest.mark.parametrize("n_classes", [2, 3, 5])
def test_predict_proba_is_a_distribution_agreeing_with_predict(n_classes):
    X, y = make_classification(
        n_samples=200, n_informative=6, n_classes=n_classes, random_state=0
    )
    labels = np.array(["pass", "fail", "resit", "honours", "absent"])[:n_classes]
    clf = StudentNetClassifier(max_iter=30, random_state=0).fit(X, labels[y])
    proba = clf.predict_proba(X)
    assert proba.shape == (200, n_classes)
    assert_allclose(proba.sum(axis=1), 1.0)
    assert_array_equal(clf.classes_[proba.argmax(axis=1)], clf.predict(X))
    assert_allclose(clf.predict_log_proba(X), np.log(proba), rtol=1e-6)


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        (np.array([False, True]), [False, True]),
        (np.array([3, 7]), [3, 7]),
        (np.array(["fail", "pass"]), ["fail", "pass"]),
        (pd.array([0, 1], dtype="Int64"), [0, 1]),
    ],
)
def test_classes_are_the_original_labels(labels, expected):
    X, y = make_classification(n_samples=40, random_state=0)
    target = (
        pd.Series(labels[y])
        if isinstance(labels, pd.api.extensions.ExtensionArray)
        else labels[y]
    )
    clf = StudentNetClassifier(hidden_layer_sizes=(4,), max_iter=5).fit(X, target)
    assert clf.classes_.tolist() == expected
    assert all(
        type(c) is type(e) for c, e in zip(clf.classes_.tolist(), expected, strict=True)
    )
    assert set(clf.predict(X).tolist()) <= set(expected)


def test_regressor_predicts_several_outputs():
    X, y = make_regression(n_samples=100, n_targets=3, noise=1, random_state=0)
    reg = StudentNetRegressor(solver="lbfgs", random_state=0).fit(X, y / y.std())
    assert reg.predict(X).shape == (100, 3)
    assert reg.n_outputs_ == 3
    assert reg.__sklearn_tags__().target_tags.multi_output


@pytest.mark.parametrize("estimator_class", ESTIMATORS)
def test_fitted_attributes(estimator_class):
    X, y = _data(estimator_class)
    model = estimator_class(hidden_layer_sizes=(5, 4), max_iter=7).fit(X, y)
    assert model.n_layers_ == 4
    assert [c.shape for c in model.coefs_] == [(X.shape[1], 5), (5, 4), (4, 1)]
    assert [b.shape for b in model.intercepts_] == [(5,), (4,), (1,)]
    assert model.n_iter_ == len(model.loss_curve_) == 7
    assert model.t_ == 7 * X.shape[0]
    assert model.loss_ == model.loss_curve_[-1]
    expected = "logistic" if estimator_class is StudentNetClassifier else "identity"
    assert model.out_activation_ == expected


def test_no_hidden_layer_is_logistic_regression():
    X, y = make_classification(n_samples=100, random_state=0)
    clf = StudentNetClassifier(hidden_layer_sizes=(), solver="lbfgs").fit(X, y)
    assert [c.shape for c in clf.coefs_] == [(20, 1)]
    assert clf.score(X, y) > 0.85


@pytest.mark.parametrize("estimator_class", ESTIMATORS)
def test_verbose_prints_one_line_per_epoch(estimator_class, capsys):
    X, y = _data(estimator_class)
    estimator_class(max_iter=3, verbose=True).fit(X, y)
    lines = capsys.readouterr().out.splitlines()
    assert lines[:3] == [
        line for line in lines[:3] if line.startswith("Epoch ") and "loss = " in line
    ]
    assert [line.split(",")[0] for line in lines[:3]] == [
        "Epoch 1",
        "Epoch 2",
        "Epoch 3",
    ]


def test_shared_parameter_docs_agree():
    def parameter_section(cls):
        doc = cls.__doc__
        return doc[doc.index("Parameters\n") : doc.index("Attributes\n")]

    classifier = parameter_section(StudentNetClassifier)
    regressor = parameter_section(StudentNetRegressor)
    assert classifier.startswith(regressor.rstrip())
    assert "%(" not in StudentNetClassifier.__doc__ + StudentNetRegressor.__doc__
    for name in StudentNetRegressor().get_params():
        assert f"    {name} : " in regressor
    for name in StudentNetClassifier().get_params():
        assert f"    {name} : " in classifier
