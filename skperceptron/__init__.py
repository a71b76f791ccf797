"""Neural-network estimators that behave like scikit-learn's.

A perceptron takes a weighted sum of its inputs plus a bias and passes it through an
activation; perceptrons side by side make a layer, and stacked layers make a network.
:class:`StudentNetClassifier` and :class:`StudentNetRegressor` train such a network
by gradient descent on one shared core.
"""

from ._classifier import StudentNetClassifier
from ._exceptions import DivergenceError, TrainingInterrupted
from ._regressor import StudentNetRegressor

__version__ = "0.1.0"

__all__ = [
    "DivergenceError",
    "StudentNetClassifier",
    "StudentNetRegressor",
    "TrainingInterrupted",
    "__version__",
]
