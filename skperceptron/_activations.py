"""Activation functions of the hidden layers and their derivatives.

Each activation transforms a layer's pre-activation ``Z = A_prev @ W + b`` in place
into its output. Each derivative multiplies the deltas flowing backward through a
layer, in place, by the slope of the activation, written in terms of the layer's
*output* so that the pre-activation never has to be kept.
"""

import numpy as np
from scipy.special import expit


def identity(Z):
    """Leave ``Z`` unchanged: ``f(z) = z``."""


def logistic(Z):
    """Squash ``Z`` into (0, 1) in place: ``f(z) = 1 / (1 + exp(-z))``."""
    expit(Z, out=Z)


def tanh(Z):
    """Squash ``Z`` into (-1, 1) in place: ``f(z) = tanh(z)``."""
    np.tanh(Z, out=Z)


def relu(Z):
    """Clip ``Z`` at zero from below in place: ``f(z) = max(z, 0)``."""
    np.maximum(Z, 0, out=Z)


def identity_derivative(A, delta):
    """Slope 1: ``delta`` is unchanged."""


def logistic_derivative(A, delta):
    """Multiply ``delta`` by ``f'(z) = a (1 - a)``."""
    delta *= A
    delta *= 1 - A


def tanh_derivative(A, delta):
    """Multiply ``delta`` by ``f'(z) = 1 - a**2``."""
    delta *= 1 - A**2


def relu_derivative(A, delta):
    """Zero ``delta`` where the unit was inactive (``a == 0``)."""
    np.multiply(delta, A > 0, out=delta, dtype=delta.dtype)


ACTIVATIONS = {
    "identity": identity,
    "logistic": logistic,
    "tanh": tanh,
    "relu": relu,
}

DERIVATIVES = {
    "identity": identity_derivative,
    "logistic": logistic_derivative,
    "tanh": tanh_derivative,
    "relu": relu_derivative,
}
