"""The estimator base shared by the classifier and the regressor.

It owns everything that does not depend on the kind of target: validation, the
network's set-up, the epoch loop of the stochastic solvers, the L-BFGS path, early
stopping, divergence detection and progress output. Subclasses supply the target
encoding, the loss and the score.
"""

import copy
import os
import sys
import warnings
from abc import ABCMeta, abstractmethod
from numbers import Integral, Real

import numpy as np
import scipy.optimize
import scipy.sparse as sp
from sklearn.base import BaseEstimator, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    column_or_1d,
    validate_data,
)

from ._exceptions import DivergenceError, TrainingInterrupted
from ._losses import LOSSES
from ._network import (
    FlatParameters,
    allocate_buffers,
    backward,
    forward,
    glorot_uniform,
)
from ._optimizers import SGD, Adam

# A training loss this many times its starting value (or 1, if larger) means the
# steps have overshot: the loss is growing instead of shrinking.
DIVERGENCE_FACTOR = 1e4
STREAM_DIVERGENCE_FACTOR = 1e6

_RAGGED_MESSAGE = (
    "X or y could not be read as a rectangular array ({exc}). X must have shape "
    "(n_samples, n_features) and y shape (n_samples,) or (n_samples, n_outputs). "
    "For multilabel targets given as lists of labels, turn them into an indicator "
    "matrix with sklearn.preprocessing.MultiLabelBinarizer and fit "
    "StudentNetClassifier on it."
)

_LOSS_OF_OUTPUT = {
    "logistic": "binary_cross_entropy",
    "softmax": "softmax_cross_entropy",
    "identity": "squared_error",
}

SHARED_PARAMETERS_DOC = """\
    hidden_layer_sizes : array-like of int, default=(100,)
        Number of perceptrons in each hidden layer: the i-th entry is the width of
        the i-th hidden layer. ``()`` gives a network with no hidden layer.

    activation : {"relu", "tanh", "logistic", "identity"}, default="relu"
        Activation of the hidden layers: ``max(z, 0)``, ``tanh(z)``,
        ``1 / (1 + exp(-z))`` or ``z``.

    solver : {"adam", "sgd", "lbfgs"}, default="adam"
        How the empirical loss is minimised. "adam" and "sgd" take a gradient step
        per minibatch; "lbfgs" is full-batch L-BFGS-B from ``scipy.optimize``, often
        the best choice for small data sets.

    alpha : float, default=1e-4
        Strength of the L2 penalty on the weights (``coefs_``, not the biases). Per
        minibatch the penalty is ``alpha / 2 * ||W||**2`` divided by the batch's
        total sample weight.

    batch_size : int or "auto", default="auto"
        Samples per minibatch for "adam" and "sgd"; "auto" is
        ``min(200, n_samples)``. A batch of ``n_samples`` is full-batch gradient
        descent. Not used by "lbfgs".

    learning_rate : float, default=1e-3
        The step size of "adam" and "sgd" (the starting step size when
        ``learning_rate_schedule`` changes it). Not used by "lbfgs".

    learning_rate_schedule : {"constant", "invscaling", "adaptive"}, \
default="constant"
        How "sgd" changes its step size; "adam" and "lbfgs" ignore it.
        "constant" keeps ``learning_rate``; "invscaling" uses
        ``learning_rate / (t + 1) ** power_t`` after each epoch, with ``t`` the
        number of samples seen; "adaptive" divides the step size by 5 each time
        the monitored value has not improved by ``tol`` for ``n_iter_no_change``
        consecutive epochs, and stops once the step size is below 1e-6.

    power_t : float, default=0.5
        Exponent of the "invscaling" schedule.

    max_iter : int, default=200
        Most epochs (passes over the training data) for "adam" and "sgd"; most
        iterations for "lbfgs".

    shuffle : bool, default=True
        Whether to shuffle the samples before each epoch ("adam" and "sgd").

    random_state : int, RandomState instance or None, default=None
        Seeds the starting weights, the shuffling and the early-stopping split.
        An int gives the same model on every fit.

    tol : float, default=1e-4
        Improvement that counts: training stops when the training loss (or, with
        ``early_stopping``, the validation score) has not improved by at least
        ``tol`` for more than ``n_iter_no_change`` consecutive epochs. For "lbfgs", the
        tolerance on the projected gradient.

    verbose : bool, default=False
        Whether to print one line per epoch (per iteration for "lbfgs") with the
        loss, and why training stopped.

    warm_start : bool, default=False
        Whether ``fit`` continues from the current weights, for up to
        ``max_iter`` more epochs, instead of starting afresh.

    momentum : float, default=0.9
        Momentum of "sgd", between 0 and 1.

    nesterovs_momentum : bool, default=True
        Whether "sgd" uses Nesterov's momentum.

    early_stopping : bool, default=False
        Whether "adam" and "sgd" hold out ``validation_fraction`` of the training
        data, stop when the validation score has not improved by ``tol`` for
        more than ``n_iter_no_change`` epochs, and keep the weights with the best
        validation score. The split is stratified for classification. Not used
        by "lbfgs" nor by ``partial_fit``.

    validation_fraction : float, default=0.1
        Share of the training data held out for early stopping.

    beta_1 : float, default=0.9
        Decay rate of the first-moment estimate in "adam", in [0, 1).

    beta_2 : float, default=0.999
        Decay rate of the second-moment estimate in "adam", in [0, 1).

    epsilon : float, default=1e-8
        Keeps the step of "adam" finite where the second moment is zero.

    n_iter_no_change : int, default=10
        Training stops (or, with the "adaptive" schedule, the step size is cut)
        after more than this many consecutive epochs without an improvement of
        ``tol``.

    max_fun : int, default=15000
        Most loss evaluations for "lbfgs".
"""

SHARED_ATTRIBUTES_DOC = """\
    loss_ : float
        Empirical loss (mean loss over the training samples plus the L2 penalty)
        at the last epoch.

    best_loss_ : float or None
        Lowest training loss reached; None with ``early_stopping``.

    loss_curve_ : list of float
        Training loss after each epoch ("lbfgs": each iteration).

    validation_scores_ : list of float or None
        Score on the held-out data after each epoch, with ``early_stopping``.

    validation_loss_curve_ : list of float or None
        Mean loss (without the L2 penalty) on the held-out data after each epoch,
        with ``early_stopping``.

    best_validation_score_ : float or None
        Best validation score, with ``early_stopping``.

    t_ : int
        Number of training samples seen, counted over all epochs.

    coefs_ : list of ndarray
        The weights: ``coefs_[i]`` of shape ``(n_units_in, n_units_out)`` maps
        layer ``i`` to layer ``i + 1``.

    intercepts_ : list of ndarray
        The biases: ``intercepts_[i]`` of shape ``(n_units_out,)`` for layer
        ``i + 1``.

    n_features_in_ : int
        Number of features seen during fit.

    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the features seen during fit, when X has string column names.

    n_iter_ : int
        Number of epochs run ("lbfgs": iterations).

    n_layers_ : int
        Number of layers, input and output layers included.

    n_outputs_ : int
        Number of output units.

    out_activation_ : str
        Activation of the output layer.
"""


def fill_shared_docs(cls):
    """Insert the shared parameter and attribute docs into ``cls.__doc__``."""
    cls.__doc__ = cls.__doc__.replace(
        "    %(shared_parameters)s\n", SHARED_PARAMETERS_DOC
    ).replace("    %(shared_attributes)s\n", SHARED_ATTRIBUTES_DOC)
    return cls


class _Batches:
    """Minibatches of (X, Y, sample_weight), reshuffled before each epoch.

    Without shuffling a batch is a view of the data. With shuffling, dense rows are
    gathered into buffers allocated once, so that no epoch allocates a batch.
    """

    def __init__(self, arrays, batch_size, shuffle, random_state):
        self.arrays = arrays
        self.order = np.arange(arrays[0].shape[0])
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.random_state = random_state
        self.buffers = None
        if shuffle and not sp.issparse(arrays[0]):
            self.buffers = [
                np.empty((batch_size, *array.shape[1:]), dtype=array.dtype)
                for array in arrays
            ]

    def epoch(self):
        """Yield ``(X_batch, Y_batch, weight_batch)`` for each minibatch."""
        if self.shuffle:
            self.random_state.shuffle(self.order)
        n_samples = len(self.order)
        for start in range(0, n_samples, self.batch_size):
            stop = min(start + self.batch_size, n_samples)
            if not self.shuffle:
                yield [array[start:stop] for array in self.arrays]
            elif self.buffers is None:
                yield [array[self.order[start:stop]] for array in self.arrays]
            else:
                rows = self.order[start:stop]
                yield [
                    np.take(
                        array, rows, axis=0, out=buffer[: stop - start], mode="clip"
                    )
                    for array, buffer in zip(self.arrays, self.buffers, strict=True)
                ]


class BaseStudentNet(BaseEstimator, metaclass=ABCMeta):
    """Base of the network estimators; use a subclass."""

    _parameter_constraints = {
        "hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
        "activation": [StrOptions({"identity", "logistic", "tanh", "relu"})],
        "solver": [StrOptions({"lbfgs", "sgd", "adam"})],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [
            StrOptions({"auto"}),
            Interval(Integral, 1, None, closed="left"),
        ],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "learning_rate_schedule": [StrOptions({"constant", "invscaling", "adaptive"})],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "max_fun": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=1e-4,
        batch_size="auto",
        learning_rate=1e-3,
        learning_rate_schedule="constant",
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_schedule = learning_rate_schedule
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun

    # ------------------------------------------------------------------ hooks

    @abstractmethod
    def _encode_targets(self, y, first_call, incremental, classes, dtype):
        """Check ``y``, set target attributes on a first call, return a 2-D Y.

        Y holds what the loss compares the output with: ``dtype`` values for
        regression, 0/1 indicators (uint8, to keep them small) for classes.
        """

    @abstractmethod
    def _score_raw(self, raw, Y, sample_weight):
        """Score of output pre-activations ``raw`` against encoded targets Y."""

    def _stratify_labels(self, Y):
        """Labels to stratify the early-stopping split by; None for no strata."""
        return None

    def _weigh_samples(self, y, sample_weight, incremental):
        """Per-sample weights used in training; subclasses may fold in more."""
        return sample_weight

    # ------------------------------------------------------------ public API

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the network to the data X and targets y.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.

        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets.

        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sample in the empirical loss. None weighs all equally.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return self._fit(X, y, sample_weight, incremental=False)

    def _partial_fit(self, X, y, sample_weight=None, classes=None):
        """One epoch over the given data, continuing from the current weights."""
        return self._fit(X, y, sample_weight, incremental=True, classes=classes)

    def _solver_is_stochastic(self):
        return self.solver != "lbfgs"

    # ------------------------------------------------------------ fitting

    def _fit(self, X, y, sample_weight, *, incremental, classes=None):
        first_call = not hasattr(self, "coefs_") or not (self.warm_start or incremental)
        hidden_layer_sizes = self._check_hidden_layer_sizes()
        if not first_call:
            self._check_same_architecture(hidden_layer_sizes)
        # A failed call leaves the estimator as it was: fitted or not.
        state_before = self._fitted_state() if hasattr(self, "coefs_") else None
        try:
            X, Y, sample_weight = self._validate_fit_data(
                X, y, sample_weight, first_call, incremental, classes
            )
            self._random_state = check_random_state(self.random_state)
            if first_call:
                self._initialize(X, Y, hidden_layer_sizes)
            self._reference_pending = True
            params = FlatParameters.from_arrays(self.coefs_, self.intercepts_, X.dtype)
            self.coefs_, self.intercepts_ = params.coefs, params.intercepts
            with np.errstate(over="raise", invalid="raise", divide="raise"):
                self._train(X, Y, sample_weight, params, incremental)
        except FloatingPointError as exc:
            self._restore_state(state_before)
            raise DivergenceError(self._divergence_message(str(exc))) from exc
        except Exception:
            self._restore_state(state_before)
            raise
        return self

    def _train(self, X, Y, sample_weight, params, incremental):
        if self.solver == "lbfgs":
            self._fit_lbfgs(X, Y, sample_weight, params)
        else:
            self._fit_stochastic(X, Y, sample_weight, params, incremental)

    def _check_hidden_layer_sizes(self):
        sizes = self.hidden_layer_sizes
        sizes = [sizes] if isinstance(sizes, Integral) else list(sizes)
        if not all(
            isinstance(size, Integral) and not isinstance(size, bool) and size > 0
            for size in sizes
        ):
            raise ValueError(
                f"hidden_layer_sizes must hold positive integers, got "
                f"{self.hidden_layer_sizes!r}. Each entry is the number of "
                f"perceptrons in one hidden layer; use () for a network with no "
                f"hidden layer."
            )
        return [int(size) for size in sizes]

    def _check_same_architecture(self, hidden_layer_sizes):
        fitted = [coef.shape[1] for coef in self.coefs_[:-1]]
        if fitted != hidden_layer_sizes:
            raise ValueError(
                f"hidden_layer_sizes={self.hidden_layer_sizes!r} differs from the "
                f"fitted network's hidden layers {tuple(fitted)!r}, so training "
                f"cannot continue from its weights. Set warm_start=False (or call "
                f"fit instead of partial_fit) to train a new network."
            )

    def _validate_fit_data(self, X, y, sample_weight, first_call, incremental, classes):
        dtype = [np.float64, np.float32] if first_call else self.coefs_[0].dtype
        y = _nullable_to_numpy(y)
        X, y = self._validate_X(X, y, reset=first_call, dtype=dtype)
        if y.ndim == 2 and y.shape[1] == 1 and not sp.issparse(y):
            y = column_or_1d(y, warn=True)
        if sample_weight is None:
            # Equal weights as a read-only view of one value: no array of ones.
            sample_weight = np.broadcast_to(np.ones(1, dtype=X.dtype), X.shape[:1])
        else:
            try:
                sample_weight = _check_sample_weight(
                    sample_weight, X, dtype=X.dtype, ensure_non_negative=True
                )
            except ValueError as exc:
                _raise_with_remedy(exc)
        Y = self._encode_targets(y, first_call, incremental, classes, X.dtype)
        sample_weight = self._weigh_samples(y, sample_weight, incremental)
        if not np.any(sample_weight > 0):
            raise ValueError(
                "Every sample has weight 0, so there is nothing to learn from. "
                "Give some samples (or classes, with class_weight) a positive "
                "weight."
            )
        if sp.issparse(X):
            X = X.tocsr()
        return X, Y, sample_weight.astype(X.dtype, copy=False)

    def _validate_X(self, X, y="no_validation", *, reset, dtype):
        """Validate X (and y) with scikit-learn's checks, text named clearly."""
        _reject_text_columns(X)
        _reject_object_missing(X, "X")
        if not isinstance(y, str):
            _reject_object_missing(y, "y")
        kwargs = dict(accept_sparse=["csr", "csc"], dtype=dtype, reset=reset)
        if not isinstance(y, str):
            kwargs["multi_output"] = True
        try:
            return validate_data(self, X, y, **kwargs)
        except ValueError as exc:
            _raise_with_remedy(exc)

    def _initialize(self, X, Y, hidden_layer_sizes):
        self.n_outputs_ = Y.shape[1]
        self.out_activation_ = self._output_activation(Y)
        layer_units = [X.shape[1], *hidden_layer_sizes, self.n_outputs_]
        self.n_layers_ = len(layer_units)
        params = glorot_uniform(
            layer_units, self.activation, X.dtype, self._random_state
        )
        self.coefs_, self.intercepts_ = params.coefs, params.intercepts
        self.n_iter_ = 0
        self.t_ = 0
        self.loss_ = None
        self.loss_curve_ = []
        self.best_loss_ = np.inf
        self.validation_scores_ = None
        self.validation_loss_curve_ = None
        self.best_validation_score_ = None
        self._loss_reference = None
        self._stream_reference = None
        self.__dict__.pop("_optimizer", None)

    def _output_activation(self, Y):
        return "identity"

    @property
    def _loss(self):
        return LOSSES[_LOSS_OF_OUTPUT[self.out_activation_]]

    def _uses_early_stopping(self, incremental):
        return self.early_stopping and not incremental and self.solver != "lbfgs"

    def _fitted_state(self):
        return copy.deepcopy(
            {key: value for key, value in vars(self).items() if _set_by_fit(key)}
        )

    def _restore_state(self, state):
        """Put back the fitted state from before the call; None: unfitted.

        Only attributes that fitting sets are touched: meta-estimators such as
        Pipeline and GridSearchCV store attributes of their own on the estimator
        (``_parent_callback_ctx``) and delete them after fit, even a failed one.
        """
        for key in [key for key in vars(self) if _set_by_fit(key)]:
            delattr(self, key)
        if state is not None:
            vars(self).update(state)

    # --------------------------------------------------- stochastic solvers

    def _make_optimizer(self, n_params, dtype):
        if self.solver == "sgd":
            return SGD(
                n_params,
                self.learning_rate,
                self.learning_rate_schedule,
                self.momentum,
                self.nesterovs_momentum,
                self.power_t,
                dtype,
            )
        return Adam(
            n_params, self.learning_rate, self.beta_1, self.beta_2, self.epsilon, dtype
        )

    def _batch_size(self, n_samples):
        if self.batch_size == "auto":
            return min(200, n_samples)
        if self.batch_size > n_samples:
            _warn(
                f"batch_size={self.batch_size} is larger than the {n_samples} "
                f"training samples; using batches of {n_samples}.",
                UserWarning,
            )
        return min(self.batch_size, n_samples)

    def _ready_optimizer(self, n_params, dtype, incremental):
        """A new optimizer for each fit; partial_fit continues the last one."""
        if not incremental or not hasattr(self, "_optimizer"):
            self._optimizer = self._make_optimizer(n_params, dtype)
            self._no_improvement_count = 0
            self._monitor_reference = -np.inf
        elif self._optimizer.learning_rate_init != self.learning_rate:
            # set_params(learning_rate=...) between partial_fit calls takes effect.
            self._optimizer.restart_learning_rate(self.learning_rate)

    def _fit_stochastic(self, X, Y, sample_weight, params, incremental):
        self._ready_optimizer(params.flat.size, X.dtype, incremental)
        early_stopping = self._uses_early_stopping(incremental)
        if early_stopping:
            (X, Y, sample_weight), validation = self._split_validation(
                X, Y, sample_weight
            )
            self._start_early_stopping(params)
        batches = _Batches(
            (X, Y, sample_weight),
            self._batch_size(X.shape[0]),
            self.shuffle,
            self._random_state,
        )
        layer_units = [X.shape[1], *(coef.shape[1] for coef in params.coefs)]
        buffers = allocate_buffers(batches.batch_size, layer_units, X.dtype)
        grads = FlatParameters(layer_units, X.dtype)

        for _ in range(1 if incremental else self.max_iter):
            try:
                loss = self._run_epoch(batches, params, grads, buffers)
            except KeyboardInterrupt:
                self._warn_interrupted()
                break
            self._record_epoch(loss, X.shape[0], params)
            self._optimizer.end_epoch(self.t_)
            if early_stopping:
                self._validate_epoch(*validation, params)
            self._report_epoch(early_stopping)
            if self._should_stop(early_stopping):
                break
        else:
            if not incremental:
                self._warn_not_converged()
        if early_stopping:
            self._restore_best(params)

    def _run_epoch(self, batches, params, grads, buffers):
        """One pass over the training data; returns the epoch's empirical loss."""
        loss_sum = weight_sum = 0.0
        n_steps = 0
        for X_batch, Y_batch, weight_batch in batches.epoch():
            batch_weight = weight_batch.sum()
            if batch_weight == 0:
                continue

            batch_loss = self._loss_and_gradient(
                X_batch, Y_batch, weight_batch, batch_weight, params, grads, buffers
            )
            self._note_batch_loss(batch_loss / batch_weight)

            self._optimizer.step(params.flat, grads.flat)

            loss_sum += batch_loss
            weight_sum += batch_weight
            n_steps += 1
        return (loss_sum + n_steps * self._penalty(params)) / weight_sum

    def _loss_and_gradient(
        self, X, Y, sample_weight, weight_sum, params, grads, buffers
    ):
        """Forward, loss and backward over one batch.

        Writes the gradient of the batch's empirical loss (its weighted mean loss
        plus the L2 penalty divided by ``weight_sum``) into ``grads`` and returns
        the weighted sum of the per-sample losses.
        """
        n_samples = X.shape[0]
        activations, deltas = buffers
        activations = forward(
            X, params.coefs, params.intercepts, self.activation, activations
        )
        deltas = [delta[:n_samples] for delta in deltas]

        loss = self._loss.sum_and_delta(activations[-1], Y, sample_weight, deltas[-1])

        deltas[-1] *= 1 / weight_sum
        backward(X, activations, deltas, params.coefs, self.activation, grads)
        penalty_grad = grads.flat_coefs
        penalty_grad += (self.alpha / weight_sum) * params.flat_coefs
        return loss

    def _penalty(self, params):
        """The L2 penalty ``alpha / 2 * ||W||**2``, before division by weight."""
        coefs = params.flat_coefs
        return 0.5 * self.alpha * float(coefs @ coefs)

    def _record_epoch(self, loss, n_samples, params):
        self.n_iter_ += 1
        self.t_ += n_samples
        self.loss_ = float(loss)
        self.loss_curve_.append(self.loss_)
        self._check_divergence(params)
        if self.best_loss_ is not None:
            self.best_loss_ = min(self.best_loss_, self.loss_)

    def _note_batch_loss(self, loss):
        """Record the loss before a call's first step: where growth is measured from.

        Within one call the loss may grow at most DIVERGENCE_FACTOR times. Across
        calls (a stream of partial_fit calls, each growing the loss a little),
        STREAM_DIVERGENCE_FACTOR times the lowest starting loss of any call since
        the model was initialised: a larger bound, so that new data on a larger
        scale is not mistaken for divergence.
        """
        if self._reference_pending:
            self._reference_pending = False
            self._loss_reference = loss
            self._stream_reference = min(self._stream_reference or loss, loss)

    def _check_divergence(self, params):
        # No loss yet when L-BFGS stopped, or was interrupted, before its first
        # iteration: only the weights can be checked.
        loss_diverged = self.loss_ is not None and (
            not np.isfinite(self.loss_)
            or self.loss_ > DIVERGENCE_FACTOR * max(self._loss_reference, 1.0)
            or self.loss_ > STREAM_DIVERGENCE_FACTOR * max(self._stream_reference, 1.0)
        )
        if loss_diverged or not np.isfinite(params.flat).all():
            unit = "iteration" if self.solver == "lbfgs" else "epoch"
            what = (
                f"the training loss went from {self._loss_reference:.4g} at the "
                f"start to {self.loss_:.4g} at {unit} {self.n_iter_}"
                if loss_diverged
                else f"the weights became non-finite at {unit} {self.n_iter_}"
            )
            raise DivergenceError(self._divergence_message(what))

    _SCALING_REMEDY = "scale X, for example with sklearn.preprocessing.StandardScaler"

    def _divergence_message(self, what):
        if self.solver == "lbfgs":
            remedy = self._SCALING_REMEDY[0].upper() + self._SCALING_REMEDY[1:]
        else:
            remedy = (
                f"Use a smaller learning_rate (got {self.learning_rate!r}), or "
                f"{self._SCALING_REMEDY}"
            )
        return (
            f"{type(self).__name__} diverged with solver={self.solver!r}: {what}. "
            f"{remedy}."
        )

    # ------------------------------------------------------- early stopping

    def _split_validation(self, X, Y, sample_weight):
        n_samples = X.shape[0]
        strata = self._stratify_labels(Y)
        self._check_split_sizes(n_samples, strata)
        train, validation = train_test_split(
            np.arange(n_samples),
            test_size=self.validation_fraction,
            random_state=self._random_state,
            stratify=strata,
        )
        # An all-zero part makes the epoch's loss, or the validation score, 0 / 0.
        for part, indices in (("training", train), ("validation", validation)):
            if not np.any(sample_weight[indices] > 0):
                raise ValueError(
                    f"early_stopping=True split the data into {len(train)} training "
                    f"and {len(validation)} validation samples, but every {part} "
                    f"sample has weight 0. Give more samples a positive weight, "
                    f"change validation_fraction, or use early_stopping=False."
                )
        return (
            (X[train], Y[train], sample_weight[train]),
            (X[validation], Y[validation], sample_weight[validation]),
        )

    def _check_split_sizes(self, n_samples, strata):
        """Both parts of the early-stopping split must be large enough."""
        n_validation = int(np.ceil(self.validation_fraction * n_samples))
        n_train = n_samples - n_validation
        if strata is not None:
            labels, counts = np.unique(strata, return_counts=True)
        needed = 2 if strata is None else max(2, len(labels))
        if n_validation < needed or n_train < needed:
            raise ValueError(
                f"early_stopping=True holds out validation_fraction="
                f"{self.validation_fraction!r} of the {n_samples} samples, which "
                f"leaves {n_train} for training and {n_validation} for validation; "
                f"each part needs at least {needed}. Use more samples, another "
                f"validation_fraction, or early_stopping=False."
            )
        if strata is not None and counts.min() < 2:
            raise ValueError(
                f"early_stopping=True splits the classes in proportion, but class "
                f"{self.classes_[labels[counts.argmin()]].item()!r} has a single "
                f"sample. "
                f"Collect more samples of it, or use early_stopping=False."
            )

    def _start_early_stopping(self, params):
        self.validation_scores_ = []
        self.validation_loss_curve_ = []
        self.best_validation_score_ = -np.inf
        self.best_loss_ = None
        self._best_params = params.flat.copy()

    def _validate_epoch(self, X, Y, sample_weight, params):
        raw = forward(X, params.coefs, params.intercepts, self.activation)[-1]
        delta = np.empty_like(raw)
        loss = self._loss.sum_and_delta(raw, Y, sample_weight, delta)
        self.validation_loss_curve_.append(float(loss / sample_weight.sum()))
        score = float(self._score_raw(raw, Y, sample_weight))
        self.validation_scores_.append(score)
        if score > self.best_validation_score_:
            self.best_validation_score_ = score
            self._best_params[...] = params.flat

    def _restore_best(self, params):
        params.flat[...] = self._best_params
        del self._best_params

    # ---------------------------------------------------- stopping, output

    def _should_stop(self, early_stopping):
        """Count epochs without improvement; cut the step size or stop."""
        if early_stopping:
            monitored, what = self.validation_scores_[-1], "Validation score"
        else:
            monitored, what = -self.loss_, "Training loss"
        if monitored > self._monitor_reference + self.tol:
            self._no_improvement_count = 0
        else:
            self._no_improvement_count += 1
        self._monitor_reference = max(self._monitor_reference, monitored)
        if self._no_improvement_count <= self.n_iter_no_change:
            return False

        reason = (
            f"{what} did not improve by more than tol={self.tol} for "
            f"{self._no_improvement_count} consecutive epochs."
        )
        self._no_improvement_count = 0
        self._monitor_reference = monitored
        if self._optimizer.reduce_learning_rate():
            self._say(
                f"{reason} Learning rate cut to {self._optimizer.learning_rate:g}."
            )
            return False
        self._say(f"{reason} Stopping.")
        return True

    def _say(self, line):
        if self.verbose:
            print(line, flush=True)

    def _report_epoch(self, early_stopping):
        unit = "Iteration" if self.solver == "lbfgs" else "Epoch"
        line = f"{unit} {self.n_iter_}, loss = {self.loss_:.8f}"
        if early_stopping:
            line += (
                f", validation loss = {self.validation_loss_curve_[-1]:.8f}"
                f", validation score = {self.validation_scores_[-1]:.6f}"
            )
        self._say(line)

    def _warn_not_converged(self, limit="max_iter"):
        if limit == "max_fun":
            reached = f"max_fun={self.max_fun} loss evaluations"
        else:
            unit = "iterations" if self.solver == "lbfgs" else "epochs"
            reached = f"max_iter={self.max_iter} {unit}"
        _warn(
            f"{type(self).__name__} stopped at {reached} without converging "
            f"(tol={self.tol}). Increase {limit}, or scale X so that training "
            f"converges faster.",
            ConvergenceWarning,
        )

    def _warn_interrupted(self):
        _warn(
            f"Training was interrupted after {self.n_iter_} complete "
            f"{'iterations' if self.solver == 'lbfgs' else 'epochs'}; the model "
            f"keeps the weights reached so far.",
            TrainingInterrupted,
        )

    # ----------------------------------------------------------------- L-BFGS

    def _fit_lbfgs(self, X, Y, sample_weight, params):
        """Full-batch L-BFGS-B; float32 parameters stay float32 throughout."""
        objective = self._lbfgs_objective(X, Y, sample_weight, params)
        self._last_iterate = params.flat.astype(np.float64)

        def callback(intermediate_result):
            self._last_iterate[...] = intermediate_result.x
            self._record_epoch(intermediate_result.fun, X.shape[0], params)
            self._report_epoch(early_stopping=False)

        try:
            result = scipy.optimize.minimize(
                objective,
                self._last_iterate.copy(),
                method="L-BFGS-B",
                jac=True,
                callback=callback,
                options={
                    "maxiter": self.max_iter,
                    "maxfun": self.max_fun,
                    "gtol": self.tol,
                },
            )
        except KeyboardInterrupt:
            self._warn_interrupted()
        else:
            self._finish_lbfgs(result)
        params.flat[...] = self._last_iterate
        del self._last_iterate
        self._check_divergence(params)

    def _lbfgs_objective(self, X, Y, sample_weight, params):
        """The empirical loss and its gradient as a function of flat float64 x."""
        layer_units = [X.shape[1], *(coef.shape[1] for coef in params.coefs)]
        buffers = allocate_buffers(X.shape[0], layer_units, X.dtype)
        grads = FlatParameters(layer_units, X.dtype)
        weight_sum = sample_weight.sum()

        def objective(flat):
            params.flat[...] = flat
            loss = self._loss_and_gradient(
                X, Y, sample_weight, weight_sum, params, grads, buffers
            )
            loss = (loss + self._penalty(params)) / weight_sum
            self._note_batch_loss(loss)
            return float(loss), grads.flat.astype(np.float64)

        return objective

    def _finish_lbfgs(self, result):
        self._last_iterate[...] = result.x
        if self.n_iter_ == 0:
            # Stopped at the starting point: its loss is the only one there is.
            self.loss_ = float(result.fun)
        if result.status == 1:
            # L-BFGS-B reports both limits as status 1: name the one reached.
            limit = "max_iter" if result.nit >= self.max_iter else "max_fun"
            self._warn_not_converged(limit)
        elif result.status != 0:
            _warn(
                f"{type(self).__name__}'s L-BFGS stopped after {result.nit} "
                f"iterations without converging: {result.message}. This often "
                f"means X is badly scaled: scale it, for example with "
                f"sklearn.preprocessing.StandardScaler, or try solver='adam'.",
                ConvergenceWarning,
            )
        else:
            self._say(f"L-BFGS converged: {result.message}")

    # ------------------------------------------------------------ prediction

    def _forward_raw(self, X):
        """Validate X and return the output layer's pre-activation."""
        check_is_fitted(self)
        X = self._validate_X(X, reset=False, dtype=self.coefs_[0].dtype)
        return forward(X, self.coefs_, self.intercepts_, self.activation)[-1]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


# Private attributes that fitting sets, besides the public ones ending in "_".
_PRIVATE_FIT_ATTRIBUTES = frozenset(
    {
        "_best_params",
        "_label_binarizer",
        "_last_iterate",
        "_loss_reference",
        "_reference_pending",
        "_stream_reference",
        "_monitor_reference",
        "_no_improvement_count",
        "_optimizer",
        "_random_state",
    }
)


def _set_by_fit(name):
    """Whether attribute ``name`` belongs to the fitted state."""
    public = name.endswith("_") and not name.startswith("_")
    return public or name in _PRIVATE_FIT_ATTRIBUTES


def _warn(message, category):
    """Warn, attributing the warning to the first caller outside skperceptron."""
    package = os.path.dirname(__file__)
    frame, level = sys._getframe(1), 2
    while frame is not None and (
        frame.f_code.co_filename.startswith(package)
        or frame.f_code.co_name == "wrapper"
    ):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)


# What to do about scikit-learn's validation errors that do not say so themselves.
_REMEDIES = [
    ("Input y contains NaN", "Drop the samples whose target is missing."),
    (
        "contains infinity",
        "Replace the infinite values or drop those samples; scale very large "
        "values, for example with sklearn.preprocessing.StandardScaler.",
    ),
    ("sample_weight.shape ==", "Pass one weight per sample, that is per row of X."),
    ("Negative values in data passed to `sample_weight`", "Use weights >= 0."),
    (
        "Sample weights must contain at least one non-zero",
        "Give some samples a positive weight.",
    ),
]


def _raise_with_remedy(exc):
    """Re-raise a validation error, with what to do where the message lacks it."""
    text = str(exc)
    if "inhomogeneous shape" in text:
        raise ValueError(_RAGGED_MESSAGE.format(exc=exc)) from exc
    if "could not convert string to float" in text:
        raise ValueError(
            f"X holds text ({exc}). The network needs numeric features: encode "
            f"text columns first, for example with "
            f"sklearn.preprocessing.OneHotEncoder in a ColumnTransformer."
        ) from exc
    for pattern, remedy in _REMEDIES:
        if pattern in text:
            raise ValueError(f"{text} {remedy}") from exc
    raise exc


def _nullable_to_numpy(y):
    """A pandas nullable-dtype target without missing values, as plain numpy.

    scikit-learn's validation turns nullable integers (``Int64``) into floats, so
    that class labels ``0, 1`` would come back as ``0.0, 1.0``. Targets with
    missing values are left for validation to report.
    """
    numpy_dtype = getattr(getattr(y, "dtype", None), "numpy_dtype", None)
    if numpy_dtype is None or not hasattr(y, "isna") or y.isna().any():
        return y
    return y.to_numpy(dtype=numpy_dtype)


def _reject_text_columns(X):
    """Name the text columns of a DataFrame, which the network cannot take."""
    if not (hasattr(X, "dtypes") and hasattr(X, "columns")):
        return
    duplicated = X.columns[X.columns.duplicated()].unique().tolist()
    if duplicated:
        raise ValueError(
            f"X has duplicate column names {duplicated!r}. Give every column its "
            f"own name, for example with X.columns = [...], or drop the copies."
        )
    from pandas.api.types import infer_dtype, is_bool_dtype, is_numeric_dtype

    text = [
        name
        for name, dtype in X.dtypes.items()
        if not (is_numeric_dtype(dtype) or is_bool_dtype(dtype))
        and infer_dtype(X[name], skipna=True) not in _NUMBERS
    ]
    if text:
        raise ValueError(
            f"X has non-numeric columns {text!r}. The network needs numeric "
            f"features: encode text and categorical columns first, for example "
            f"with sklearn.preprocessing.OneHotEncoder in a ColumnTransformer."
        )


# What pandas.api.types.infer_dtype calls an object column of numbers, once missing
# values are skipped.
_NUMBERS = frozenset(
    {"boolean", "decimal", "empty", "floating", "integer", "mixed-integer-float"}
)


def _reject_object_missing(data, input_name):
    """Name missing values in object data, which scikit-learn's checks trip on.

    In numeric arrays and nullable pandas columns, scikit-learn's own check
    reports NaN. In object data (a DataFrame column of numbers and ``pd.NA``, a
    list holding None) ``pd.NA`` makes that check fail with a TypeError, and None
    becomes NaN unnoticed.
    """
    import pandas as pd

    if data is None or sp.issparse(data):
        return
    if hasattr(data, "columns"):
        values = data.select_dtypes(include=["object", "string"]).to_numpy(object)
    else:
        try:
            values = np.asarray(data)
        except (TypeError, ValueError):
            return
    if values.dtype != object:
        return
    if pd.isna(values).any():
        remedy = (
            "impute them, for example with sklearn.impute.SimpleImputer in a "
            "pipeline, or drop those samples"
            if input_name == "X"
            else "drop the samples whose target is missing"
        )
        raise ValueError(
            f"Input {input_name} contains missing values (NaN, None or pandas.NA), "
            f"which the network cannot learn from: {remedy}."
        )
