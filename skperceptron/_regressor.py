"""StudentNetRegressor: the network with a continuous output."""

import numpy as np
import scipy.sparse as sp
from sklearn.base import RegressorMixin, _fit_context
from sklearn.metrics import r2_score
from sklearn.utils import assert_all_finite
from sklearn.utils.metaestimators import available_if

from ._base import BaseStudentNet, fill_shared_docs


@fill_shared_docs
class StudentNetRegressor(RegressorMixin, BaseStudentNet):
    """A network of perceptrons that predicts one or several continuous values.

    The output layer has one perceptron per target with an identity activation,
    and the loss is half the squared error, summed over the targets. Training
    minimises the empirical loss, the sample-weighted mean loss over the training
    samples plus an L2 penalty, by gradient descent.

    Parameters
    ----------
    %(shared_parameters)s
    Attributes
    ----------
    %(shared_attributes)s
    See Also
    --------
    StudentNetClassifier : The same network with a probabilistic output.
    sklearn.neural_network.MLPRegressor : scikit-learn's multi-layer perceptron.

    Notes
    -----
    Scale both X and, for targets far from unit size, y (for example with
    :class:`~sklearn.compose.TransformedTargetRegressor`): gradient descent is
    fastest and safest on values of order one. Training stops with a
    :class:`~skperceptron.DivergenceError` when the loss or the weights blow up.

    Examples
    --------
    >>> from sklearn.datasets import make_regression
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skperceptron import StudentNetRegressor
    >>> X, y = make_regression(n_samples=200, n_features=4, noise=1, random_state=0)
    >>> reg = make_pipeline(
    ...     StandardScaler(),
    ...     StudentNetRegressor(solver="lbfgs", max_iter=500, random_state=0),
    ... )
    >>> reg.fit(X, y).score(X, y) > 0.95
    True
    """

    _SCALING_REMEDY = (
        "scale X, for example with sklearn.preprocessing.StandardScaler, and y, "
        "for example with sklearn.compose.TransformedTargetRegressor"
    )

    @available_if(BaseStudentNet._solver_is_stochastic)
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """Train for one epoch over the given batch, keeping the current weights.

        Only for the "sgd" and "adam" solvers.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            A batch of training data.

        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Its targets.

        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sample in the loss.

        Returns
        -------
        self : object
            The updated estimator.
        """
        return self._partial_fit(X, y, sample_weight)

    def _encode_targets(self, y, first_call, incremental, classes, dtype):
        if sp.issparse(y):
            y = y.toarray()
        try:
            y = np.asarray(y, dtype=dtype)
        except (TypeError, ValueError) as exc:
            raise ValueError(
                f"StudentNetRegressor needs numeric targets, but y holds values "
                f"that are not numbers ({exc}). For class labels use "
                f"StudentNetClassifier; for sets or lists of labels, after "
                f"sklearn.preprocessing.MultiLabelBinarizer."
            ) from exc
        # Text such as "nan" converts to a non-finite number.
        assert_all_finite(y, input_name="y")
        Y = y.reshape(-1, 1) if y.ndim == 1 else y
        if not first_call and Y.shape[1] != self.n_outputs_:
            raise ValueError(
                f"y has {Y.shape[1]} outputs but the model was fitted with "
                f"{self.n_outputs_}. Fit with warm_start=False to start over."
            )
        return Y

    def _score_raw(self, raw, Y, sample_weight):
        return r2_score(Y, raw, sample_weight=sample_weight)

    def predict(self, X):
        """Predict the target values of each sample.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The samples.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The predicted values.
        """
        raw = self._forward_raw(X)
        return raw.ravel() if self.n_outputs_ == 1 else raw

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
