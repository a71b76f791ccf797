"""Bad input: a clear error of the type scikit-learn uses, saying what is wrong."""

import re

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skperceptron import StudentNetClassifier, StudentNetRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

ESTIMATORS = [StudentNetClassifier, StudentNetRegressor]

MISSING_X = r"Input X contains (NaN|missing values)"
MISSING_Y = r"Input y contains (NaN|missing values)"
HIDDEN_LAYER_SIZES = (
    "hidden_layer_sizes must hold positive integers, got {value}. Each entry is "
    "the number of perceptrons in one hidden layer; use () for a network with no "
    "hidden layer."
)


def _single_class_message(label):
    return re.escape(
        f"y holds only one class, {label!r}, but a classifier needs at least two. "
        f"Check the labels, or declare every class with partial_fit(X, y, "
        f"classes=...)."
    )


def _data(Estimator, n_samples=20, n_features=3):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(n_samples, n_features))
    if Estimator is StudentNetClassifier:
        return X, np.arange(n_samples) % 2
    return X, rng.normal(size=n_samples)


def _estimator(Estimator, **params):
    return Estimator(hidden_layer_sizes=(3,), max_iter=5, random_state=0, **params)


def _fitted(Estimator, **params):
    return _estimator(Estimator, **params).fit(*_data(Estimator))


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize(
    ("value", "message"),
    [(np.nan, "Input X contains NaN"), (np.inf, "Input X contains infinity")],
)
def test_non_finite_X_is_rejected_in_fit_and_predict(Estimator, value, message):
    X, y = _data(Estimator)
    X_bad = X.copy()
    X_bad[3, 1] = value

    with pytest.raises(ValueError, match=message):
        _estimator(Estimator).fit(X_bad, y)
    with pytest.raises(ValueError, match=message):
        _fitted(Estimator).predict(X_bad)


def _with_pandas_na(X, container):
    if container == "nullable DataFrame":
        frame = pd.DataFrame(X).astype("Float64")
        frame.iloc[3, 1] = pd.NA
        return frame
    if container == "object DataFrame":
        # What pd.DataFrame({"a": [1.0, pd.NA]}) gives: an object column of numbers.
        frame = pd.DataFrame(X).astype(object)
        frame.iloc[3, 1] = pd.NA
        return frame
    array = X.astype(object)
    array[3, 1] = pd.NA
    return array


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize(
    "container", ["nullable DataFrame", "object DataFrame", "object ndarray"]
)
def test_pandas_na_in_X_is_rejected_as_missing(Estimator, container):
    X, y = _data(Estimator)

    with pytest.raises(ValueError, match=MISSING_X):
        _estimator(Estimator).fit(_with_pandas_na(X, container), y)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize(
    ("value", "message"),
    [(np.nan, "Input y contains NaN"), (np.inf, "Input y contains infinity")],
)
def test_non_finite_y_is_rejected(Estimator, value, message):
    X, y = _data(Estimator)
    y_bad = y.astype(float)
    y_bad[3] = value

    with pytest.raises(ValueError, match=message):
        _estimator(Estimator).fit(X, y_bad)


def _y_with_missing(y, container):
    if container == "nullable Series":
        dtype = "Float64" if y.dtype.kind == "f" else "Int64"
        series = pd.Series(y).astype(dtype)
        series[3] = pd.NA
        return series
    values = y.tolist()
    values[3] = pd.NA if container == "list with pd.NA" else None
    return values


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize(
    "container", ["nullable Series", "list with pd.NA", "list with None"]
)
def test_missing_values_in_y_are_rejected(Estimator, container):
    X, y = _data(Estimator)

    with pytest.raises(ValueError, match=MISSING_Y):
        _estimator(Estimator).fit(X, _y_with_missing(y, container))


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize(
    ("shape", "message"),
    [
        ((0, 3), r"Found array with 0 sample\(s\) \(shape=\(0, 3\)\)"),
        ((20, 0), r"Found array with 0 feature\(s\) \(shape=\(20, 0\)\)"),
    ],
)
def test_empty_X_is_rejected(Estimator, shape, message):
    _, y = _data(Estimator, n_samples=shape[0])

    with pytest.raises(
        ValueError,
        match=message + f" while a minimum of 1 is required by {Estimator.__name__}",
    ):
        _estimator(Estimator).fit(np.empty(shape), y)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_one_dimensional_X_is_rejected(Estimator):
    X, y = _data(Estimator)
    reshape = r"Reshape your data either using array\.reshape\(-1, 1\)"

    with pytest.raises(ValueError, match=r"Expected 2D array, got 1D array instead"):
        _estimator(Estimator).fit(X[:, 0], y)
    with pytest.raises(ValueError, match=reshape):
        _fitted(Estimator).predict(X[0])


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_text_column_in_a_dataframe_is_named(Estimator):
    X, y = _data(Estimator)
    frame = pd.DataFrame(X, columns=["age", "height", "city"])
    frame["city"] = ["Lyon", "Oslo"] * 10

    with pytest.raises(
        ValueError,
        match=re.escape(
            "X has non-numeric columns ['city']. The network needs numeric "
            "features: encode text and categorical columns first, for example "
            "with sklearn.preprocessing.OneHotEncoder in a ColumnTransformer."
        ),
    ):
        _estimator(Estimator).fit(frame, y)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_text_in_an_object_array_is_named(Estimator):
    X, y = _data(Estimator)
    X_text = X.astype(object)
    X_text[:, 2] = "Lyon"

    with pytest.raises(
        ValueError,
        match=re.escape(
            "X holds text (could not convert string to float: 'Lyon'). The "
            "network needs numeric features: encode text columns first, for "
            "example with sklearn.preprocessing.OneHotEncoder in a "
            "ColumnTransformer."
        ),
    ):
        _estimator(Estimator).fit(X_text, y)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("method", ["predict", "partial_fit", "fit"])
def test_different_number_of_features_is_rejected(Estimator, method):
    X, y = _data(Estimator)
    # Warm-started, fit continues from the fitted network and must check X too.
    estimator = _fitted(Estimator, warm_start=True)
    args = (X[:, :2],) if method == "predict" else (X[:, :2], y)
    message = re.escape(
        f"X has 2 features, but {Estimator.__name__} is expecting 3 features as input."
    )

    with pytest.raises(ValueError, match=message):
        getattr(estimator, method)(*args)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_different_column_names_at_predict_are_rejected(Estimator):
    X, y = _data(Estimator)
    estimator = _estimator(Estimator).fit(pd.DataFrame(X, columns=["a", "b", "c"]), y)

    with pytest.raises(
        ValueError,
        match=r"The feature names should match those that were passed during "
        r"fit\.\nFeature names unseen at fit time:\n- d\nFeature names seen at "
        r"fit time, yet now missing:\n- c",
    ):
        estimator.predict(pd.DataFrame(X, columns=["a", "b", "d"]))


def test_classifier_rejects_continuous_y():
    X, y = _data(StudentNetRegressor)

    with pytest.raises(
        ValueError,
        match=re.escape(
            "Unknown label type: continuous. Maybe you are trying to fit a "
            "classifier, which expects discrete classes on a regression target "
            "with continuous values."
        ),
    ):
        _estimator(StudentNetClassifier).fit(X, y)


@pytest.mark.parametrize(
    ("y", "message"),
    [
        (
            [[1, 2], [1], [2, 3, 4]],
            r"X or y could not be read as a rectangular array \(.*\)\. X must have "
            r"shape \(n_samples, n_features\) and y shape \(n_samples,\) or "
            r"\(n_samples, n_outputs\)\. For multilabel targets given as lists of "
            r"labels, turn them into an indicator matrix with "
            r"sklearn\.preprocessing\.MultiLabelBinarizer",
        ),
        (
            [{1, 2}, {1}, {2, 3}],
            r"StudentNetRegressor needs numeric targets, but y holds values that "
            r"are not numbers \(.*\)\. For class labels use StudentNetClassifier",
        ),
        (
            ["pass", "fail", "pass"],
            r"StudentNetRegressor needs numeric targets, but y holds values that "
            r"are not numbers \(could not convert string to float: .*pass.*\)\. "
            r"For class labels use StudentNetClassifier",
        ),
    ],
    ids=["ragged lists", "sets", "strings"],
)
def test_regressor_rejects_labels_it_cannot_take(y, message):
    X, _ = _data(StudentNetRegressor, n_samples=3)

    with pytest.raises(ValueError, match=message):
        _estimator(StudentNetRegressor).fit(X, y)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize(
    ("sample_weight", "message"),
    [
        (np.ones(19), re.escape("sample_weight.shape == (19,), expected (20,)!")),
        (-np.ones(20), "Negative values in data passed to `sample_weight`"),
        (np.zeros(20), "Sample weights must contain at least one non-zero number"),
        (np.r_[np.nan, np.ones(19)], "Input sample_weight contains NaN"),
    ],
    ids=["wrong length", "negative", "all zero", "nan"],
)
def test_bad_sample_weight_is_rejected(Estimator, sample_weight, message):
    X, y = _data(Estimator)

    with pytest.raises(ValueError, match=message):
        _estimator(Estimator).fit(X, y, sample_weight=sample_weight)


def test_class_weights_of_zero_leave_nothing_to_learn():
    X, y = _data(StudentNetClassifier)
    clf = _estimator(StudentNetClassifier, class_weight={0: 0, 1: 0})

    with pytest.raises(
        ValueError,
        match=re.escape(
            "Every sample has weight 0, so there is nothing to learn from. Give "
            "some samples (or classes, with class_weight) a positive weight."
        ),
    ):
        clf.fit(X, y)


@pytest.mark.parametrize("method", ["fit", "partial_fit"])
def test_class_weight_naming_an_unknown_label_is_rejected(method):
    X, y = _data(StudentNetClassifier)
    clf = _estimator(StudentNetClassifier, class_weight={0: 1.0, 5: 2.0})
    kwargs = {"classes": [0, 1]} if method == "partial_fit" else {}

    with pytest.raises(
        ValueError,
        match=re.escape(
            "class_weight names labels [5] that are not classes of y, [0, 1]. "
            "Remove them or correct the labels."
        ),
    ):
        getattr(clf, method)(X, y, **kwargs)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize(
    "hidden_layer_sizes",
    [(0,), (4, -1), (2.5,), (3.0,), ("4",), np.array([3, 0]), (True,)],
    ids=["zero", "negative", "fraction", "float", "string", "array with zero", "bool"],
)
def test_hidden_layer_sizes_must_be_positive_integers(Estimator, hidden_layer_sizes):
    X, y = _data(Estimator)
    estimator = Estimator(hidden_layer_sizes=hidden_layer_sizes)

    with pytest.raises(
        ValueError,
        match=re.escape(HIDDEN_LAYER_SIZES.format(value=repr(hidden_layer_sizes))),
    ):
        estimator.fit(X, y)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("hidden_layer_sizes", [0, -3])
def test_hidden_layer_sizes_scalar_out_of_range_is_invalid_parameter(
    Estimator, hidden_layer_sizes
):
    X, y = _data(Estimator)
    estimator = Estimator(hidden_layer_sizes=hidden_layer_sizes)

    with pytest.raises(
        ValueError,
        match=re.escape(
            f"The 'hidden_layer_sizes' parameter of {Estimator.__name__} must be an "
            f"array-like or an int in the range [1, inf). Got {hidden_layer_sizes} "
            f"instead."
        ),
    ) as excinfo:
        estimator.fit(X, y)

    assert type(excinfo.value).__name__ == "InvalidParameterError"


@pytest.mark.parametrize(
    ("Estimator", "method"),
    [
        (StudentNetClassifier, "predict"),
        (StudentNetClassifier, "predict_proba"),
        (StudentNetClassifier, "predict_log_proba"),
        (StudentNetClassifier, "score"),
        (StudentNetRegressor, "predict"),
        (StudentNetRegressor, "score"),
    ],
)
def test_using_an_unfitted_estimator_raises_not_fitted_error(Estimator, method):
    X, y = _data(Estimator)
    estimator = Estimator()
    args = (X, y) if method == "score" else (X,)

    with pytest.raises(
        NotFittedError,
        match=re.escape(
            f"This {Estimator.__name__} instance is not fitted yet. Call 'fit' with "
            f"appropriate arguments before using this estimator."
        ),
    ):
        getattr(estimator, method)(*args)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("learning_rate", -1, re.escape("a float in the range (0.0, inf)")),
        ("learning_rate", 0, re.escape("a float in the range (0.0, inf)")),
        ("solver", "foo", r"a str among \{('(adam|sgd|lbfgs)'(, )?){3}\}"),
        ("activation", "softmax", r"a str among \{.*'relu'.*\}"),
        (
            "batch_size",
            0,
            re.escape("a str among {'auto'} or an int in the range [1, inf)"),
        ),
        ("max_iter", 0, re.escape("an int in the range [1, inf)")),
        ("alpha", -1.0, re.escape("a float in the range [0.0, inf)")),
        ("momentum", 2.0, re.escape("a float in the range [0.0, 1.0]")),
    ],
    ids=[
        "learning_rate=-1",
        "learning_rate=0",
        "solver=foo",
        "activation=softmax",
        "batch_size=0",
        "max_iter=0",
        "alpha=-1",
        "momentum=2",
    ],
)
def test_bad_parameter_values_get_the_standard_message(
    Estimator, name, value, expected
):
    X, y = _data(Estimator)
    estimator = Estimator(**{name: value})

    with pytest.raises(
        ValueError,
        match=rf"^The '{name}' parameter of {Estimator.__name__} must be "
        rf"{expected}\. Got {re.escape(repr(value))} instead\.$",
    ) as excinfo:
        estimator.fit(X, y)

    assert type(excinfo.value).__name__ == "InvalidParameterError"


@pytest.mark.parametrize("solver", ["sgd", "adam", "lbfgs"])
@pytest.mark.parametrize("early_stopping", [False, True])
@pytest.mark.parametrize("labels", [[1] * 20, ["yes"] * 20])
def test_single_class_y_is_rejected_by_fit(solver, early_stopping, labels):
    X, _ = _data(StudentNetClassifier)
    clf = _estimator(StudentNetClassifier, solver=solver, early_stopping=early_stopping)

    with pytest.raises(ValueError, match=_single_class_message(labels[0])):
        clf.fit(X, labels)

    with pytest.raises(NotFittedError, match="is not fitted yet"):
        clf.predict(X)


def test_single_class_y_is_rejected_by_a_warm_started_fit():
    X, y = _data(StudentNetClassifier)
    clf = _fitted(StudentNetClassifier, warm_start=True)

    with pytest.raises(ValueError, match=_single_class_message(1)):
        clf.fit(X, np.ones_like(y))


def test_single_class_y_is_rejected_inside_a_pipeline():
    X, y = _data(StudentNetClassifier)
    pipeline = make_pipeline(StandardScaler(), _estimator(StudentNetClassifier))

    with pytest.raises(ValueError, match=_single_class_message(1)):
        pipeline.fit(X, np.ones_like(y))


def test_partial_fit_with_declared_classes_takes_a_single_class_batch():
    X, _ = _data(StudentNetClassifier)
    clf = _estimator(StudentNetClassifier)

    clf.partial_fit(X, np.ones(20, dtype=int), classes=[0, 1])

    assert np.array_equal(clf.classes_, [0, 1])
    assert clf.predict_proba(X).shape == (20, 2)
    assert set(clf.predict(X)) <= {0, 1}


def test_partial_fit_declaring_a_single_class_is_rejected():
    X, _ = _data(StudentNetClassifier)
    clf = _estimator(StudentNetClassifier)

    with pytest.raises(ValueError, match=_single_class_message(1)):
        clf.partial_fit(X, np.ones(20, dtype=int), classes=[1])


def test_partial_fit_without_classes_on_the_first_call_is_rejected():
    X, y = _data(StudentNetClassifier)

    with pytest.raises(
        ValueError,
        match=re.escape(
            "partial_fit needs classes= on its first call: every label the model "
            "will see, for example classes=np.unique(y_all)."
        ),
    ):
        _estimator(StudentNetClassifier).partial_fit(X, y)


def _with_value(X, row, column, value):
    X = X.copy()
    X[row, column] = value
    return X


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize(
    ("make_call", "message"),
    [
        (
            lambda X, y: dict(X=_with_value(X, 0, 0, np.inf), y=y),
            r"Input X contains infinity .*\. Replace the infinite values or drop "
            r"those samples; scale very large values",
        ),
        (
            lambda X, y: dict(X=X, y=np.r_[np.nan, y[1:]].astype(float)),
            r"Input y contains NaN\. Drop the samples whose target is missing\.",
        ),
        (
            lambda X, y: dict(X=X, y=y, sample_weight=np.ones(len(y) - 1)),
            r"sample_weight\.shape == .*expected .*! Pass one weight per sample, "
            r"that is per row of X\.",
        ),
        (
            lambda X, y: dict(X=X, y=y, sample_weight=-np.ones(len(y))),
            r"Negative values in data passed to `sample_weight`\. Use weights >= 0\.",
        ),
        (
            lambda X, y: dict(X=X, y=y, sample_weight=np.zeros(len(y))),
            r"at least one non-zero number\. Give some samples a positive weight\.",
        ),
    ],
    ids=["inf in X", "NaN in y", "weights length", "negative weights", "zero weights"],
)
def test_validation_errors_say_what_to_do(Estimator, make_call, message):
    X, y = _data(Estimator)
    with pytest.raises(ValueError, match=message):
        _estimator(Estimator).fit(**make_call(X, y))


@pytest.mark.parametrize(
    "class_weight",
    [{0: -1}, {0: np.nan}, {1: np.inf}, {0: "2"}],
    ids=["negative", "nan", "inf", "string"],
)
def test_class_weight_must_be_finite_and_non_negative(class_weight):
    X, y = _data(StudentNetClassifier)
    with pytest.raises(
        ValueError, match=r"class_weight must map labels to finite numbers >= 0, got"
    ):
        _estimator(StudentNetClassifier, class_weight=class_weight).fit(X, y)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("method", ["fit", "partial_fit"])
def test_changed_architecture_cannot_continue(Estimator, method):
    X, y = _data(Estimator)
    model = _estimator(Estimator, warm_start=True).fit(X, y)
    model.set_params(hidden_layer_sizes=(4, 4))
    with pytest.raises(
        ValueError,
        match=re.escape(
            "hidden_layer_sizes=(4, 4) differs from the fitted network's hidden "
            "layers (3,), so training cannot continue from its weights."
        ),
    ):
        getattr(model, method)(X, y)


@pytest.mark.parametrize("validation_fraction", [0.999, 0.995])
def test_early_stopping_needs_samples_on_both_sides(validation_fraction):
    X, y = _data(StudentNetClassifier, n_samples=200)
    model = _estimator(
        StudentNetClassifier,
        early_stopping=True,
        validation_fraction=validation_fraction,
    )
    with pytest.raises(ValueError, match=r"which leaves \d+ for training and \d+ for"):
        model.fit(X, y)


def test_early_stopping_with_a_single_sample_class_is_a_clear_error():
    X, y = _data(StudentNetClassifier, n_samples=40)
    y = np.where(np.arange(40) == 0, 2, y)
    model = _estimator(StudentNetClassifier, early_stopping=True)
    with pytest.raises(ValueError, match=r"but class 2 has a single sample"):
        model.fit(X, y)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_duplicate_column_names_are_a_clear_error(Estimator):
    X, y = _data(Estimator)
    frame = pd.DataFrame(X, columns=["lectures", "hours", "lectures"])
    with pytest.raises(
        ValueError, match=re.escape("X has duplicate column names ['lectures'].")
    ):
        _estimator(Estimator).fit(frame, y)
