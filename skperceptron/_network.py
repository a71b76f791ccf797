"""The network: its parameters, the forward pass and the backward pass.

A perceptron takes a weighted sum of its inputs plus a bias and passes it through an
activation. Perceptrons side by side make a layer, ``A_next = f(A @ W + b)``, and
stacked layers make the network. The weights ``W`` of every layer (``coefs``) and the
biases ``b`` (``intercepts``) live in one flat array, so that an optimizer updates
all of them with a few whole-array operations; ``coefs`` and ``intercepts`` are
views of it, shaped per layer.
"""

import numpy as np
import scipy.sparse as sp

from ._activations import ACTIVATIONS, DERIVATIVES


class FlatParameters:
    """Per-layer weights and biases stored as views of one flat array.

    The flat array holds every layer's weights first, then every layer's biases,
    so that ``flat[:n_coefs]`` is exactly what the L2 penalty applies to.

    Parameters
    ----------
    layer_units : sequence of int
        Units per layer, input layer first and output layer last.
    dtype : numpy dtype
        Floating-point type of the parameters.
    """

    def __init__(self, layer_units, dtype):
        shapes = list(zip(layer_units[:-1], layer_units[1:], strict=True))
        self.n_coefs = sum(fan_in * fan_out for fan_in, fan_out in shapes)
        self.flat = np.zeros(self.n_coefs + sum(layer_units[1:]), dtype=dtype)
        self.coefs, self.intercepts = [], []
        start = 0
        for fan_in, fan_out in shapes:
            stop = start + fan_in * fan_out
            self.coefs.append(self.flat[start:stop].reshape(fan_in, fan_out))
            start = stop
        for _, fan_out in shapes:
            self.intercepts.append(self.flat[start : start + fan_out])
            start += fan_out

    @classmethod
    def from_arrays(cls, coefs, intercepts, dtype):
        """Copy per-layer arrays into a new flat store."""
        layer_units = [coefs[0].shape[0]] + [coef.shape[1] for coef in coefs]
        params = cls(layer_units, dtype)
        for dst, src in zip(
            params.coefs + params.intercepts, coefs + intercepts, strict=True
        ):
            dst[...] = src
        return params

    @property
    def flat_coefs(self):
        """The weights of all layers, without the biases, as one flat view."""
        return self.flat[: self.n_coefs]


def glorot_uniform(layer_units, hidden_activation, dtype, random_state):
    """Random starting weights and biases, scaled to the fan-in and fan-out.

    Each layer draws from ``U(-b, b)`` with ``b = sqrt(k / (fan_in + fan_out))``,
    ``k = 2`` when the hidden activation is logistic and ``k = 6`` otherwise
    (Glorot and Bengio, 2010), so that activations neither vanish nor explode at
    the start.
    """
    params = FlatParameters(layer_units, dtype)
    factor = 2.0 if hidden_activation == "logistic" else 6.0
    for coef, intercept in zip(params.coefs, params.intercepts, strict=True):
        fan_in, fan_out = coef.shape
        bound = np.sqrt(factor / (fan_in + fan_out))
        coef[...] = random_state.uniform(-bound, bound, (fan_in, fan_out))
        intercept[...] = random_state.uniform(-bound, bound, fan_out)
    return params


def allocate_buffers(batch_size, layer_units, dtype):
    """Per-layer outputs and deltas for one minibatch, reused for every batch.

    Returns ``activations[i]`` of shape ``(batch_size, layer_units[i + 1])`` for each
    layer after the input, and ``deltas`` of the same shapes.
    """
    shapes = [(batch_size, units) for units in layer_units[1:]]
    activations = [np.empty(shape, dtype=dtype) for shape in shapes]
    deltas = [np.empty(shape, dtype=dtype) for shape in shapes]
    return activations, deltas


def _matmul(A, B, out):
    """``A @ B`` into ``out``; ``A`` may be a sparse matrix."""
    if sp.issparse(A):
        out[...] = A @ B
    else:
        np.matmul(A, B, out=out)


def forward(X, coefs, intercepts, activation, activations=None):
    """Propagate ``X`` through the network.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
    coefs, intercepts : list of ndarray
        Weights and biases of each layer.
    activation : str
        Name of the hidden layers' activation.
    activations : list of ndarray, default=None
        Buffers of at least ``n_samples`` rows to write each layer's output into;
        allocated when None.

    Returns
    -------
    activations : list of ndarray
        The output of each layer after the input, trimmed to ``n_samples`` rows.
        The last entry is the output layer's pre-activation: the loss applies the
        output activation itself.
    """
    n_samples = X.shape[0]
    if activations is None:
        units = [X.shape[1]] + [coef.shape[1] for coef in coefs]
        activations, _ = allocate_buffers(n_samples, units, coefs[0].dtype)
    activations = [buffer[:n_samples] for buffer in activations]
    hidden = ACTIVATIONS[activation]
    layer_input = X
    for i, (coef, intercept) in enumerate(zip(coefs, intercepts, strict=True)):
        _matmul(layer_input, coef, out=activations[i])  # (n_samples, n_units)
        activations[i] += intercept
        if i < len(coefs) - 1:
            hidden(activations[i])
        layer_input = activations[i]
    return activations


def backward(X, activations, deltas, coefs, activation, grads):
    """Back-propagate the output deltas and write the gradient into ``grads``.

    ``deltas[-1]`` must already hold the derivative of the loss with respect to the
    output layer's pre-activation, one row per sample. Going backward, the deltas of
    a hidden layer are the next layer's deltas carried back through its weights and
    multiplied by the slope of the activation; each layer's weight gradient is its
    input transposed times its deltas.
    """
    derivative = DERIVATIVES[activation]
    last = len(coefs) - 1
    for i in range(last, -1, -1):
        layer_input = X if i == 0 else activations[i - 1]
        _matmul(layer_input.T, deltas[i], out=grads.coefs[i])  # (fan_in, fan_out)
        np.sum(deltas[i], axis=0, out=grads.intercepts[i])
        if i > 0:
            np.matmul(deltas[i], coefs[i].T, out=deltas[i - 1])  # (n_samples, fan_in)
            derivative(activations[i - 1], deltas[i - 1])
