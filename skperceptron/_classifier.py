"""StudentNetClassifier: the network with a probabilistic output."""

from numbers import Real

import numpy as np
from sklearn.base import ClassifierMixin, _fit_context
from sklearn.metrics import accuracy_score
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets, unique_labels

from ._base import BaseStudentNet, fill_shared_docs


@fill_shared_docs
class StudentNetClassifier(ClassifierMixin, BaseStudentNet):
    """A network of perceptrons that predicts class probabilities.

    For two classes the output is one perceptron with a sigmoid activation and the
    loss is binary cross-entropy; for more classes, one output per class with a
    softmax and softmax cross-entropy; for multilabel targets (an indicator matrix
    ``y``), one sigmoid output per label, each with binary cross-entropy. Training
    minimises the empirical loss, the sample-weighted mean loss over the training
    samples plus an L2 penalty, by gradient descent.

    Parameters
    ----------
    %(shared_parameters)s
    class_weight : dict, "balanced" or None, default=None
        Weight of each class in the loss, multiplied with ``sample_weight``: a
        dict maps labels to weights (absent labels weigh 1); "balanced" weighs
        classes inversely to their frequency in ``y``, as
        ``n_samples / (n_classes * np.bincount(y))``. "balanced" is not available
        in ``partial_fit``, which sees one batch at a time: compute the weights
        once with ``sklearn.utils.class_weight.compute_class_weight`` and pass the
        dict. Not used for multilabel targets.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels, as given in ``y``; ``arange(n_labels)`` for multilabel.

    %(shared_attributes)s
    See Also
    --------
    StudentNetRegressor : The same network with a continuous output.
    sklearn.neural_network.MLPClassifier : scikit-learn's multi-layer perceptron.

    Notes
    -----
    The losses are computed from the output layer's pre-activation, so they stay
    finite for saturated outputs. Training stops with a
    :class:`~skperceptron.DivergenceError` when the loss or the weights blow up,
    rather than returning a model that predicts nonsense.

    Examples
    --------
    >>> from skperceptron import StudentNetClassifier
    >>> from skperceptron.datasets import make_students
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> X, y = make_students(n_samples=300, random_state=0)
    >>> clf = make_pipeline(
    ...     StandardScaler(),
    ...     StudentNetClassifier(hidden_layer_sizes=(8,), max_iter=500, random_state=0),
    ... )
    >>> clf.fit(X, y).score(X, y) > 0.75
    True
    >>> clf.predict_proba(X[:2]).shape
    (2, 2)
    """

    _parameter_constraints = {
        **BaseStudentNet._parameter_constraints,
        "class_weight": [dict, StrOptions({"balanced"}), None],
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
        class_weight=None,
    ):
        super().__init__(
            hidden_layer_sizes=hidden_layer_sizes,
            activation=activation,
            solver=solver,
            alpha=alpha,
            batch_size=batch_size,
            learning_rate=learning_rate,
            learning_rate_schedule=learning_rate_schedule,
            power_t=power_t,
            max_iter=max_iter,
            shuffle=shuffle,
            random_state=random_state,
            tol=tol,
            verbose=verbose,
            warm_start=warm_start,
            momentum=momentum,
            nesterovs_momentum=nesterovs_momentum,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            n_iter_no_change=n_iter_no_change,
            max_fun=max_fun,
        )
        self.class_weight = class_weight

    @available_if(BaseStudentNet._solver_is_stochastic)
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """Train for one epoch over the given batch, keeping the current weights.

        Only for the "sgd" and "adam" solvers.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            A batch of training data.

        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Its targets: any labels declared in ``classes``.

        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sample in the loss.

        classes : array-like of shape (n_classes,), default=None
            Every label the model will ever see. Required on the first call,
            optional afterwards; later batches may hold any subset of them.

        Returns
        -------
        self : object
            The updated estimator.
        """
        return self._partial_fit(X, y, sample_weight, classes)

    # ------------------------------------------------------------- targets

    def _encode_targets(self, y, first_call, incremental, classes, dtype):
        check_classification_targets(y)
        if first_call:
            self._fit_label_binarizer(y, incremental, classes)
        else:
            self._check_known_labels(y, classes)
        if not incremental and y.ndim == 1:
            # Also for a warm-started fit, which must not quietly learn one class.
            _check_two_classes(unique_labels(y))
        return self._label_binarizer.transform(y).astype(np.uint8)

    def _fit_label_binarizer(self, y, incremental, classes):
        if incremental and classes is None:
            raise ValueError(
                "partial_fit needs classes= on its first call: every label the "
                "model will see, for example classes=np.unique(y_all)."
            )
        binarizer = LabelBinarizer()
        multilabel = y.ndim == 2
        binarizer.fit(y if classes is None or multilabel else np.asarray(classes))
        if not multilabel:
            _check_two_classes(binarizer.classes_)
        self._label_binarizer = binarizer
        self.classes_ = binarizer.classes_
        if incremental and not multilabel:
            self._check_known_labels(y, classes=None)

    def _check_known_labels(self, y, classes):
        if classes is not None and not np.array_equal(
            np.sort(np.asarray(classes)), self.classes_
        ):
            raise ValueError(
                f"classes={list(classes)!r} differs from the classes declared "
                f"before, {self.classes_.tolist()!r}. Pass the same classes, or "
                f"start over with fit."
            )
        if y.ndim == 2:
            if y.shape[1] != len(self.classes_):
                raise ValueError(
                    f"y has {y.shape[1]} labels but the model was fitted with "
                    f"{len(self.classes_)}. Fit with warm_start=False to start over."
                )
            return
        unknown = np.setdiff1d(unique_labels(y), self.classes_)
        if len(unknown):
            raise ValueError(
                f"y holds labels {unknown.tolist()!r} that the model does not know; "
                f"its classes_ are {self.classes_.tolist()!r}. Declare every label "
                f"with classes= on the first call to partial_fit, or fit with "
                f"warm_start=False to start over."
            )

    def _is_multilabel(self):
        return self._label_binarizer.y_type_ == "multilabel-indicator"

    def _output_activation(self, Y):
        if self._is_multilabel() or Y.shape[1] == 1:
            return "logistic"
        return "softmax"

    def _is_binary(self):
        """Two classes: one sigmoid output for the second class."""
        return self.out_activation_ == "logistic" and not self._is_multilabel()

    def _stratify_labels(self, Y):
        return None if self._is_multilabel() else _class_indices(Y)

    def _weigh_samples(self, y, sample_weight, incremental):
        if self.class_weight is None:
            return sample_weight
        if self._is_multilabel():
            raise ValueError(
                "class_weight applies to single-label targets, but y is a "
                "multilabel indicator matrix. Weigh samples with sample_weight "
                "instead."
            )
        if self.class_weight == "balanced" and incremental:
            raise ValueError(
                "class_weight='balanced' is not available in partial_fit, which "
                "sees one batch at a time. Compute the weights once with "
                "sklearn.utils.class_weight.compute_class_weight('balanced', "
                "classes=..., y=y_all) and pass them as a dict."
            )
        if isinstance(self.class_weight, dict):
            self._check_class_weight_labels()
        weights = compute_class_weight(self.class_weight, classes=self.classes_, y=y)
        return sample_weight * weights[np.searchsorted(self.classes_, y)]

    def _check_class_weight_labels(self):
        unknown = [
            label for label in self.class_weight if label not in set(self.classes_)
        ]
        if unknown:
            raise ValueError(
                f"class_weight names labels {unknown!r} that are not classes of "
                f"y, {self.classes_.tolist()!r}. Remove them or correct the labels."
            )
        bad = {
            label: weight
            for label, weight in self.class_weight.items()
            if not (isinstance(weight, Real) and np.isfinite(weight) and weight >= 0)
        }
        if bad:
            raise ValueError(
                f"class_weight must map labels to finite numbers >= 0, got {bad!r}. "
                f"A weight of 0 leaves a class out; larger weights count it more."
            )

    # ---------------------------------------------------------- prediction

    def _proba_from_raw(self, raw):
        proba = self._loss.output(raw)
        if self._is_binary():
            proba = np.hstack([1 - proba, proba])
        return proba

    def _indicator_from_raw(self, raw):
        """Predicted labels as indices into classes_, or a multilabel indicator."""
        proba = self._proba_from_raw(raw)
        if self._is_multilabel():
            return (proba > 0.5).astype(int)
        return proba.argmax(axis=1)

    def _score_raw(self, raw, Y, sample_weight):
        truth = Y if self._is_multilabel() else _class_indices(Y)
        predicted = self._indicator_from_raw(raw)
        return accuracy_score(truth, predicted, sample_weight=sample_weight)

    def predict(self, X):
        """Predict the class of each sample.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The samples.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_labels)
            The most probable class of each sample, one of ``classes_``; for
            multilabel targets, an indicator matrix.
        """
        predicted = self._indicator_from_raw(self._forward_raw(X))
        return predicted if self._is_multilabel() else self.classes_[predicted]

    def predict_proba(self, X):
        """Probability of each class for each sample.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The samples.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns in the order of ``classes_``; each row sums to 1, except for
            multilabel targets, where each column is one label's probability.
        """
        return self._proba_from_raw(self._forward_raw(X))

    def predict_log_proba(self, X):
        """Logarithm of the probability of each class, computed stably.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The samples.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            ``log(predict_proba(X))``, finite even where a probability rounds to 0.
        """
        raw = self._forward_raw(X)
        log_proba = self._loss.log_output(raw)
        if self._is_binary():
            log_proba = np.hstack([self._loss.log_output(-raw), log_proba])
        return log_proba

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


def _check_two_classes(labels):
    if len(labels) < 2:
        raise ValueError(
            f"y holds only one class, {labels.tolist()[0]!r}, but a classifier "
            f"needs at least two. Check the labels, or declare every class with "
            f"partial_fit(X, y, classes=...)."
        )


def _class_indices(Y):
    """Indices into classes_ of single-label indicator rows (one column if binary)."""
    return Y[:, 0] if Y.shape[1] == 1 else Y.argmax(axis=1)
