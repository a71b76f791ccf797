"""scikit-learn's estimator checks, at default parameters, with no expected failures."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from skperceptron import StudentNetClassifier, StudentNetRegressor


@parametrize_with_checks([StudentNetClassifier(), StudentNetRegressor()])
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
