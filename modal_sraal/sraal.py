"""SRAAL: the estimator that composes generator and state discriminator (§3).

The estimator's API lives here (parameters, ``fit``, ``fit_transform``,
``transform``, ``score_samples``, fitted state, the default configurations);
the training loop lives in :mod:`modal_sraal.training`, its diagnostics in
:mod:`modal_sraal.diagnostics`, the training budget in :mod:`modal_sraal.budget`.
"""
from __future__ import annotations

import time
from types import SimpleNamespace
from typing import Any, List, Optional

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from ._skorch_utils import ADAM_FOREACH, resolve_device, seeded_torch
from .precision import check_precision
from ._validation import check_random_state_seed, check_same_sample_shape, check_samples, to_numpy
from .diagnostics import (
    PROBE_LABELED, PROBE_UNLABELED, DiscriminatorCollapseWarning, PoorTrackingWarning,
    fitted_diagnostics, state_separation, state_tracking,
)
from .budget import (
    AUTO, AUTO_COLD_ITER_PER_ROW, AUTO_ITER_PER_ROW, AUTO_REFIT, REFIT_V03, REFIT_V04, REFIT_V05,
    Budget, RefitRule, resolve_budget, resolve_hidden,
)

#: Rows per forward pass when encoding and scoring (no training: any size fits).
INFERENCE_BATCH = 256
#: Parameters that accept ``'auto'`` (:mod:`modal_sraal.budget`).
AUTO_PARAMS = ("n_iter", "discriminator_refit_steps", "batch_size")
from .discriminator import SRAALDiscriminator
from .generator import SRAALGenerator
from .labels import IGNORE_LABEL, encode_labels, labeled_rows
from .pool import as_rows, is_streamed
from .standardize import ChannelStandardizer, StandardizedRows
from .training import (
    AdversarialPhase, DivergenceGuard, LRSchedule, PhaseTimer, PlateauStop, ProgressBar,
    RefitPhase, ResumeAdversary, SRAALTrainingError, TimeBudget, TrainingHook, TrainingLog,
    notify, run_phase,
)
from .uncertainty import relabeled_states, relabeling_score

__all__ = ["SRAAL", "SRAALTrainingError", "DiscriminatorCollapseWarning", "PoorTrackingWarning",
           "state_tracking", "state_separation", "default_sraal", "sraal_v02", "sraal_v03",
           "sraal_v08", "sraal_v09", "DEFAULTS_BY_VERSION"]


class SRAAL(TransformerMixin, BaseEstimator):
    """State-Relabeling Adversarial Active Learning (Zhang et al., CVPR 2020).

    Composes a :class:`SRAALGenerator` (UIR + STL, Eq. 1, 2) and a
    :class:`SRAALDiscriminator` (Eq. 5) trained in alternation: each iteration
    draws a labeled and an unlabeled batch in parallel, takes
    ``generator_steps`` generator steps on Eq. 7 (with the adversarial term of
    Eq. 6) and one discriminator step on soft targets: 0 for labeled rows, the
    relabeled state (:func:`online_uncertainty` by default) for unlabeled rows.
    :meth:`score_samples` is the discriminator's predicted state; the query
    takes the top-K (§3.4).

    Inputs are standardized per channel (images) or per feature (flat
    vectors) with statistics of the latest ``fit``; any numeric dtype (uint8
    images included), lists, DataFrames and torch tensors are accepted.

    Parameters
    ----------
    latent_dim : int, default=32
        Size of each latent (UIR and STL); the unified representation has
        ``2 * latent_dim`` columns (``latent_dim`` with ``use_stl=False``).
    lambda_uir, lambda_stl, lambda_adv : float, default=1.0, 5.0, 0.2
        Weights of Eq. 7. The adversarial term weighs 0.2 of the
        reconstruction, as in the authors' code; the STL's 5 lets it learn the
        labels within a CPU-sized training (at 1 its cross-entropy stays near
        chance). See the benchmarks page for the evidence.
    beta : float, default=0.1
        Weight of the KL terms inside L_UIR and L_STL.
    relabel : {'oui', 'entropy', 'std', 'margin', 'oui_rank', 'binary'} or callable, default='oui'
        Relabeling score turning the target model's probabilities into the
        unlabeled rows' states (Table 1). ``'binary'`` is VAAL's flat state 1.
    use_stl : bool, default=True
        False removes the STL (the "w/o STL" ablation).
        ``relabel='binary', use_stl=False`` is VAAL.
    n_iter : int or 'auto', default='auto'
        Most alternating iterations per ``fit`` (each: ``generator_steps``
        generator steps + 1 discriminator step); training stops earlier when
        the tracking has plateaued (``n_iter_no_change``). ``'auto'``: grows
        with the rows, ``clip(n / 20, 40, 400)``, half of it on a warm start
        (:func:`~modal_sraal.budget.resolve_budget`).
    n_iter_no_change : int or None, default=3
        Stop the adversarial phase (and the discriminator refit) when the
        tracking, measured every ``max(10, n_iter // 20)`` iterations on a
        fixed probe of unlabeled rows, has not improved by ``tol`` for this
        many checks in a row. None trains the full ``n_iter``.
    tol : float, default=0.01
        Smallest rise of the tracking (Spearman correlation) that counts as
        progress.
    discriminator_refit_steps : int or 'auto', default='auto'
        After the adversarial phase, the discriminator alone takes more steps
        (Eq. 5, same soft targets) on the *frozen* unified representations of
        all rows: an integer is at most this many, until its tracking
        plateaus. A step on cached latent codes costs a small fraction of a
        generator step; it lets the discriminator pass the relabeled states on
        to the ranking. 0 skips it (the authors' schedule); ``'auto'``
        (:data:`~modal_sraal.budget.AUTO_REFIT`): about 60 passes over the
        unlabeled rows (100 to 1,000 steps) of 8 x ``batch_size`` rows per
        pool at 10 x ``lr_discriminator`` on standardized codes, all of them;
        a warm fit's refit starts from fresh weights, its output at the
        states' mean level, with 1.5x the passes.
    generator_steps : int, default=1
        Generator steps per discriminator step (authors' code: 2; one tracks
        as well here at half the cost, docs: Benchmarks).
    batch_size : int or 'auto', default='auto'
        Rows drawn from *each* pool (labeled, unlabeled) per step; ``'auto'``: 32.
    lr_generator, lr_discriminator : float, default=1e-3
        Adam learning rates (authors: 5e-4 over 20,000 iterations; the CPU
        default trains far fewer iterations, so it steps larger).
    lr_decay : float, default=0.95
        Learning rates are multiplied by this every ``n_iter / 30`` iterations
        (authors' schedule with 0.85); 1.0 disables it.
    discriminator_hidden : tuple of int or 'auto', default='auto'
        Hidden layers of the discriminator MLP; ``'auto'``: (128, 128) (the
        authors': 4 x 512).
    width : int, default=32
        Channels of the first encoder convolution (doubled per layer).
    batchnorm : bool, default=False
        BatchNorm after each (de)convolution, as in the authors' encoder.
    ignore_label : int, default=255
        Segmentation only: mask pixels left out of the STL loss.
    device : str, default='auto'
        ``'cpu'``, ``'cuda'``, ``'cuda:N'`` or ``'auto'`` (CUDA when present).
    precision : {'float32', 'bfloat16', 'float16'}, default='float32'
        What the training steps' forward passes and losses compute in
        (mixed precision, :mod:`modal_sraal.precision`): ``'bfloat16'`` on
        GPUs that have it (and CPUs), ``'float16'`` with loss scaling on
        older GPUs. Weights, encodings and scores stay float32. Not the
        default: on this project's CPU it was slower at the default sizes,
        and it has not been timed on a GPU here (docs: Benchmarks).
    random_state : int, RandomState or None
        Seeds the networks' initialization, batch draws and sampling noise.
        The same seed gives the same scores on CPU.
    warm_start : bool, default=False
        If True, a new ``fit`` continues from the networks of the previous one
        (active learning cycles); the networks are rebuilt if the input shape
        or the number of classes changed.
    max_seconds : float or None, default=None
        A wall-time budget for the training of one ``fit``: each phase stops
        at its first check past its share (the adversarial phase 80%, the
        refit the rest). None: the step budgets alone.
    verbose : int, default=0
        1 shows a progress bar with the losses.

    Attributes
    ----------
    generator_ : SRAALGenerator
    discriminator_ : SRAALDiscriminator
    classes_ : ndarray
        Labels seen in the labeled rows (the STL's classes).
    sample_shape_ : tuple
        Shape of one sample.
    training_log_ : list of dict
        Loss terms and diagnostics (``tracking``, ``separation``) at every
        check of the last ``fit`` (every ``max(10, n_iter // 20)``
        iterations), phase ``'adversarial'`` then ``'refit'``: the record to
        read when the discriminator gets stuck.
    tracking_ : float
        Spearman rank correlation, over the unlabeled rows of the last
        ``fit``, between the discriminator's output and the relabeled states
        it is trained to output (1: it ranks the pool as the states do).
        NaN with constant states (``relabel='binary'``).
    separation_ : float
        ROC AUC of the discriminator's output for telling unlabeled (higher)
        from labeled rows (0.5: no separation).
    stl_accuracy_ : float
        Accuracy of the STL's classifier on the labeled rows (per pixel for
        masks); NaN with ``use_stl=False``.
    n_iter_ : int
        Iterations run in total (across warm starts).
    n_iter_last_ : int
        Adversarial iterations run by the last ``fit``.
    refit_steps_ : int
        Discriminator refit steps run by the last ``fit``.
    refit_kept_ : bool
        Whether the last ``fit`` kept its refit: False when the refit tracked
        the states worse, on the probe rows, than the discriminator it started
        from, which was then restored (and when there was no refit).
    budget_ : Budget
        What the last ``fit`` was allowed: adversarial iterations, refit
        steps, batch sizes (:func:`~modal_sraal.budget.resolve_budget`).
    hooks_ : list of TrainingHook
        The last ``fit``'s training hooks (:meth:`training_hooks`).
    adversary_state_ : tuple
        The discriminator's weights and optimizer state at the end of the last
        adversarial phase, where the next warm fit's adversarial phase resumes
        (:class:`~modal_sraal.training.ResumeAdversary`; absent in 0.9's subclass and with
        ``warm_start=False``).
    n_features_in_ : int
        Values per sample (``prod(sample_shape_)``).
    batch_spread_ : dict
        Set by :func:`~modal_sraal.sraal_query` after the fit it ran (and
        removed by any new ``fit``): the queried batch's number of distinct
        classes predicted by the target model (``batch_classes``) and the
        largest one's share (``batch_top_share``).
    fit_seconds_ : float
        Wall time of the last ``fit``.
    fit_phases_ : dict
        Where it went (seconds): ``standardize_s`` (the statistics' pass),
        ``adversarial_s`` (Eq. 5-7), ``encode_s`` (the representations of
        every row), ``refit_s`` (the discriminator refit), the rest in the
        final diagnostics.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.RandomState(0)
    >>> X = rng.rand(60, 1, 8, 8).astype("float32")
    >>> y = np.r_[rng.randint(0, 3, 20), -np.ones(40, dtype=int)]
    >>> model = SRAAL(n_iter=5, random_state=0).fit(X, y, uncertainty=rng.rand(40))
    >>> model.score_samples(X[20:]).shape
    (40,)
    """

    #: How an ``'auto'`` refit is sized and run (a class attribute, not a
    #: parameter: earlier versions' rules live in subclasses, e.g. :func:`sraal_v03`).
    refit_rule: RefitRule = AUTO_REFIT
    #: A cold fit's ``'auto'`` adversarial iterations per row (0.8 and earlier:
    #: :data:`~modal_sraal.budget.AUTO_ITER_PER_ROW`, in :func:`sraal_v08`'s subclass).
    cold_iter_per_row: float = AUTO_COLD_ITER_PER_ROW
    #: Whether a warm fit's adversarial phase resumes the discriminator the last
    #: adversarial phase ended with (:class:`~modal_sraal.training.ResumeAdversary`;
    #: 0.9 and earlier: False, in :func:`sraal_v09`'s subclass).
    resume_adversary: bool = True

    def __init__(
        self,
        *,
        latent_dim: int = 32,
        lambda_uir: float = 1.0,
        lambda_stl: float = 5.0,
        lambda_adv: float = 0.2,
        beta: float = 0.1,
        relabel: Any = "oui",
        use_stl: bool = True,
        n_iter: Any = "auto",
        n_iter_no_change: Optional[int] = 3,
        tol: float = 0.01,
        discriminator_refit_steps: Any = "auto",
        generator_steps: int = 1,
        batch_size: Any = "auto",
        lr_generator: float = 1e-3,
        lr_discriminator: float = 1e-3,
        lr_decay: float = 0.95,
        discriminator_hidden: Any = "auto",
        width: int = 32,
        batchnorm: bool = False,
        ignore_label: int = IGNORE_LABEL,
        device: str = "auto",
        precision: str = "float32",
        random_state: Any = None,
        warm_start: bool = False,
        max_seconds: Optional[float] = None,
        verbose: int = 0,
    ):
        self.latent_dim = latent_dim
        self.lambda_uir = lambda_uir
        self.lambda_stl = lambda_stl
        self.lambda_adv = lambda_adv
        self.beta = beta
        self.relabel = relabel
        self.use_stl = use_stl
        self.n_iter = n_iter
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.discriminator_refit_steps = discriminator_refit_steps
        self.generator_steps = generator_steps
        self.batch_size = batch_size
        self.lr_generator = lr_generator
        self.lr_discriminator = lr_discriminator
        self.lr_decay = lr_decay
        self.discriminator_hidden = discriminator_hidden
        self.width = width
        self.batchnorm = batchnorm
        self.ignore_label = ignore_label
        self.device = device
        self.precision = precision
        self.random_state = random_state
        self.warm_start = warm_start
        self.max_seconds = max_seconds
        self.verbose = verbose

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float32"]  # torch computes in float32
        return tags

    @classmethod
    def paper_config(cls, **overrides: Any) -> "SRAAL":
        """SRAAL as the authors' released code trains it (CIFAR-100 setting).

        * loss weights: the authors apply ``5 * MSE + KL`` to the labeled and
          the unlabeled batch separately, the adversarial BCE to both, and
          ``5 * CE``: about ``10 MSE + 2 KL + 2 adv + 5 CE``. Our Eq. 7 takes
          each term's mean over both batches together, so the same ratios,
          divided by 10, are ``lambda_uir=1, beta=0.2, lambda_adv=0.2,
          lambda_stl=0.5``;
        * 20,000 iterations, batches of 250 from each pool, 2 generator steps
          per discriminator step, Adam 5e-4 for both, ``x0.85`` every 1/30 of
          training; no early stop, no discriminator refit;
        * fresh networks each cycle (``warm_start=False``); latent 100 + 100;
          encoder of 128 to 1024 channels with BatchNorm; discriminator
          4 x 512;
        * used with ``sraal_query(..., selection='topk', reconstruction_power=0)``,
          the paper's top-K.

        20,000 iterations are meant for a GPU: pass ``n_iter`` (and
        ``device``) to scale them, e.g. ``SRAAL.paper_config(n_iter=1000)``.

        Parameters
        ----------
        **overrides
            Any constructor parameter, replacing the authors' value.

        Examples
        --------
        >>> m = SRAAL.paper_config(n_iter=500, random_state=0)
        >>> m.lambda_adv, m.batch_size, m.lr_decay, m.warm_start
        (0.2, 250, 0.85, False)
        """
        params = dict(
            lambda_uir=1.0, beta=0.2, lambda_adv=0.2, lambda_stl=0.5, n_iter=20000,
            n_iter_no_change=None, discriminator_refit_steps=0, generator_steps=2,
            batch_size=250, lr_generator=5e-4, lr_discriminator=5e-4, lr_decay=0.85,
            latent_dim=100, width=128, batchnorm=True, discriminator_hidden=(512, 512, 512, 512),
            warm_start=False,
        )
        params.update(overrides)
        return cls(**params)

    # -- validation --------------------------------------------------------
    def _check_params(self) -> None:
        relabeling_score(self.relabel)  # raises on an unknown name
        check_precision(self.precision)  # the name; fit checks it on the device too
        for name in ("latent_dim", "n_iter", "generator_steps", "batch_size", "width",
                     "discriminator_refit_steps", "n_iter_no_change"):
            v = getattr(self, name)
            lowest = 0 if name == "discriminator_refit_steps" else 1
            if name == "n_iter_no_change" and v is None:
                continue
            if name in AUTO_PARAMS and isinstance(v, str) and v == AUTO:
                continue
            if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < lowest:
                also = " or 'auto'" if name in AUTO_PARAMS else ""
                raise ValueError(f"{name} must be an integer >= {lowest}{also}; got {v!r}.")
        hidden = self.discriminator_hidden
        if not (isinstance(hidden, str) and hidden == AUTO) and (
                isinstance(hidden, str) or not all(isinstance(h, (int, np.integer)) and h >= 1
                                                   for h in hidden)):
            raise ValueError(f"discriminator_hidden must be a sequence of integers >= 1 or "
                             f"'auto'; got {hidden!r}.")
        if self.max_seconds is not None and not (np.isfinite(self.max_seconds)
                                                 and self.max_seconds > 0):
            raise ValueError(f"max_seconds must be a number > 0 or None; got {self.max_seconds!r}.")
        for name in ("lambda_uir", "lambda_stl", "lambda_adv", "beta", "tol"):
            v = getattr(self, name)
            if not np.isfinite(v) or v < 0:
                raise ValueError(f"{name} must be a finite number >= 0; got {v!r}.")
        for name in ("lr_generator", "lr_discriminator", "lr_decay"):
            v = getattr(self, name)
            if not np.isfinite(v) or v <= 0:
                raise ValueError(f"{name} must be > 0; got {v!r}.")

    def _check_fit_inputs(self, X, y, uncertainty):
        if is_streamed(X):  # on disk (or too large for a float32 copy): read in chunks
            X = as_rows(X, "X")
            if len(X) < 2:
                raise ValueError(f"X has {len(X)} row(s); SRAAL needs at least 2.")
        else:
            X = check_samples(X, "X", min_samples=2)
        y = to_numpy(y)
        y = np.asarray(y)
        is_masks = X.ndim == 4 and y.shape == (len(X), *X.shape[2:])
        if (y.ndim != 1 or len(y) != len(X)) and not is_masks:
            raise ValueError(
                f"y must be 1-D with one label per row of X ({len(X)}), or masks "
                f"(n, H, W) matching the images; got shape {y.shape}."
            )
        if y.dtype.kind == "f" and not np.all(np.isfinite(y)):
            raise ValueError("y contains NaN or inf; mark unlabeled rows with -1.")
        if is_masks and y.dtype.kind not in "iuf":
            raise ValueError("y masks must hold integer class labels.")
        unlabeled = ~labeled_rows(y)
        if not unlabeled.any():
            raise ValueError(
                "y has no unlabeled rows (-1): SRAAL needs unlabeled rows to "
                "learn the labeled/unlabeled state."
            )
        if unlabeled.all():
            raise ValueError(
                "y has no labeled rows (all -1): SRAAL needs labeled rows. To "
                "pick a first labeled pool without labels, use kcenter_init."
            )
        states = relabeled_states(uncertainty, self.relabel, unlabeled)
        return X, y, unlabeled, states

    # -- building ----------------------------------------------------------
    def _build(self, X: np.ndarray, y_enc: np.ndarray, device: str) -> None:
        self.generator_ = SRAALGenerator(
            latent_dim=self.latent_dim, use_stl=self.use_stl,
            lambda_uir=self.lambda_uir, lambda_stl=self.lambda_stl,
            lambda_adv=self.lambda_adv, beta=self.beta, lr=self.lr_generator,
            ignore_label=self.ignore_label, precision=self.precision,
            module__width=self.width, module__batchnorm=self.batchnorm, batch_size=INFERENCE_BATCH,
            optimizer__foreach=ADAM_FOREACH, device=device, verbose=0,
        ).initialize_for_data(X, y_enc)
        self.discriminator_ = SRAALDiscriminator(
            lr=self.lr_discriminator, module__hidden=resolve_hidden(self.discriminator_hidden),
            precision=self.precision, batch_size=INFERENCE_BATCH, optimizer__foreach=ADAM_FOREACH,
            device=device, verbose=0,
        )
        self.discriminator_.data_module_kwargs_ = {
            "input_dim": self.generator_.module_.representation_dim
        }
        self.discriminator_.initialize()
        self.built_params_ = self._structure(device)

    def _structure(self, device: str) -> dict:
        """The parameters the networks' shapes (and placement) are built from."""
        return {"latent_dim": self.latent_dim, "use_stl": self.use_stl, "width": self.width,
                "batchnorm": self.batchnorm, "device": device,
                "discriminator_hidden": resolve_hidden(self.discriminator_hidden)}

    def _needs_rebuild(self, X: np.ndarray, classes: np.ndarray, device: str) -> bool:
        """A warm start continues unless the data's shape or classes, or a
        structural parameter (:meth:`_structure`), changed since the build."""
        if not (self.warm_start and hasattr(self, "generator_")):
            return True
        return (tuple(X.shape[1:]) != self.sample_shape_
                or len(classes) != len(self.classes_)
                or not np.array_equal(classes, self.classes_)
                or getattr(self, "built_params_", None) != self._structure(device))

    def _sync_params(self) -> None:
        """Give the built networks today's loss weights, learning rates and precision,
        so that ``set_params`` on a warm-started SRAAL takes effect at the next fit."""
        self.generator_.set_params(lambda_uir=self.lambda_uir, lambda_stl=self.lambda_stl,
                                   lambda_adv=self.lambda_adv, beta=self.beta,
                                   ignore_label=self.ignore_label, lr=self.lr_generator,
                                   precision=self.precision)
        self.discriminator_.set_params(lr=self.lr_discriminator, precision=self.precision)

    # -- training ----------------------------------------------------------
    def fit(self, X, y, uncertainty=None) -> "SRAAL":
        """Train generator and discriminator on labeled + unlabeled rows.

        Parameters
        ----------
        X : array-like of shape (n, d) or (n, c, H, W)
            Labeled and unlabeled samples.
        y : array-like of shape (n,) or (n, H, W)
            Labels; ``-1`` marks unlabeled rows. Both kinds must be present.
            Segmentation: masks ``(n, H, W)``; a mask filled with ``-1`` marks
            an unlabeled row, ``ignore_label`` pixels are left out.
        uncertainty : array-like, optional
            The relabeled state of the unlabeled rows: scores in ``[0, 1]``
            of shape ``(n_unlabeled,)``, or the target model's probabilities
            ``(n_unlabeled, C)`` to which ``relabel`` is applied. Rows may
            also be given for all of ``X`` (labeled entries ignored).
            Required unless ``relabel='binary'``.

        Returns
        -------
        self
        """
        self.fit_transform(X, y, uncertainty)
        return self

    def fit_transform(self, X, y, uncertainty=None) -> np.ndarray:
        """:meth:`fit`, then the unified representation of every row of ``X``.

        The representations are the ones training ends on, so a query gets
        the pool's codes without encoding it a second time.

        Returns
        -------
        Z : ndarray of shape (n, r), float32
            ``[mu_uir, mu_stl]`` per row of ``X``, in ``X``'s order.
        """
        t_start = time.perf_counter()
        self._check_params()
        X, y, unlabeled, states = self._check_fit_inputs(X, y, uncertainty)
        classes, y_lab = encode_labels(y[~unlabeled], self.ignore_label)
        device = resolve_device(self.device)
        check_precision(self.precision, device)
        rng = check_random_state(self.random_state)
        seed = check_random_state_seed(rng)
        self.__dict__.pop("batch_spread_", None)   # a query's record, stale after a new fit

        # Statistics of the current data on every fit: the pools (and, with
        # on_transformed, the learner's own preprocessing) change between cycles.
        self.scaler_ = ChannelStandardizer().fit(X)
        self.fit_phases_ = {"standardize_s": time.perf_counter() - t_start}
        self.hooks_ = self.training_hooks()
        if self._needs_rebuild(X, classes, device):
            self.classes_ = classes
            self.sample_shape_ = tuple(X.shape[1:])
            self.n_iter_ = 0
            with seeded_torch(seed, device):
                self._build(X, y_lab, device)
            notify(self.hooks_, "on_build", self)
        else:
            self._sync_params()
        self.n_features_in_ = int(np.prod(self.sample_shape_))
        Xs = self.scaler_.transform(X)
        if isinstance(Xs, StandardizedRows):  # views: batches are read by index
            X_lab, X_unl = Xs.subset(np.flatnonzero(~unlabeled)), Xs.subset(np.flatnonzero(unlabeled))
        else:
            X_lab, X_unl = Xs[~unlabeled], Xs[unlabeled]
        with seeded_torch(seed, device):
            Z_lab, Z_unl = self._train(X_lab, y_lab, X_unl, states, rng)
        Z = np.empty((len(unlabeled), Z_lab.shape[1]), dtype=np.float32)
        Z[~unlabeled], Z[unlabeled] = Z_lab, Z_unl
        self.fit_seconds_ = time.perf_counter() - t_start
        return Z

    def budget(self, n_labeled: int, n_unlabeled: int, warm: bool) -> Budget:
        """The steps of the next fit's phases (:func:`~modal_sraal.budget.resolve_budget`).

        ``warm``: the networks continue from a previous fit. Subclasses may
        override the rule, or only the ``'auto'`` refit's (``refit_rule``) or a cold
        fit's adversarial iterations per row (``cold_iter_per_row``).
        """
        return resolve_budget(self, n_labeled, n_unlabeled, warm, refit_rule=self.refit_rule,
                              cold_iter_per_row=self.cold_iter_per_row)

    def training_hooks(self) -> List[TrainingHook]:
        """The hooks of one ``fit``'s training loop (:mod:`modal_sraal.training`).

        Subclasses extend this list to change the loop (e.g.
        :class:`~modal_sraal.distributed.DistributedSRAAL`).
        """
        # ResumeAdversary first: it loads the optimizer's state before LRSchedule sets the rates.
        # Without warm starts every fit is cold and its snapshot would never be read.
        resume = self.resume_adversary and self.warm_start
        hooks: List[TrainingHook] = [ResumeAdversary()] if resume else []
        hooks += [DivergenceGuard(), LRSchedule(self.lr_decay), TrainingLog(),
                  PlateauStop(self.n_iter_no_change, self.tol), PhaseTimer()]
        if self.max_seconds is not None:
            hooks.append(TimeBudget(self.max_seconds))
        if self.verbose:
            hooks.append(ProgressBar())
        return hooks

    def _train(self, X_lab, y_lab, X_unl, states, rng):
        """The adversarial phase, the encoding of every row, the refit; returns the codes."""
        nl, nu = len(X_lab), len(X_unl)
        self.budget_ = self.budget(nl, nu, warm=self.n_iter_ > 0)
        # Fixed probe rows: the tracking is compared on the same rows at every
        # check. Their own generator leaves the training's batch draws as they were.
        probe_rng = np.random.RandomState(nl + nu)
        probe_unl = np.sort(probe_rng.choice(nu, min(nu, PROBE_UNLABELED), replace=False))
        probe_lab = np.sort(probe_rng.choice(nl, min(nl, PROBE_LABELED), replace=False))
        train = SimpleNamespace(rng=rng, total_steps=self.budget_.n_iter + self.budget_.refit_steps)
        notify(self.hooks_, "on_train_begin", self, train)
        try:
            adversarial = AdversarialPhase(self, X_lab, y_lab, X_unl, states, train.rng,
                                           probe_lab, probe_unl)
            self.n_iter_last_ = run_phase(adversarial, self.hooks_)
            self.n_iter_ += self.n_iter_last_
            t_encode = time.perf_counter()
            Z_lab, Z_unl = self.represent(X_lab), self.represent(X_unl)
            self.fit_phases_["encode_s"] = time.perf_counter() - t_encode
            self.refit_steps_, self.refit_kept_ = 0, False
            if self.budget_.refit_steps:
                refit = RefitPhase(self, Z_lab, Z_unl, states, train.rng, probe_unl,
                                   self.budget_.refit_steps)
                self.refit_steps_ = run_phase(refit, self.hooks_)
                self.refit_kept_ = refit.keep_if_better()
            else:
                self.fit_phases_["refit_s"] = 0.0
        finally:
            notify(self.hooks_, "on_train_end", self)
        self._record_diagnostics(y_lab, Z_lab, Z_unl, states)
        return Z_lab, Z_unl

    # -- diagnostics -------------------------------------------------------
    def represent(self, Xs: Any, uir_only: bool = False) -> np.ndarray:
        """Unified representations (or UIR means alone) of rows already
        standardized with ``scaler_`` (latent means, eval mode); a streamed pool
        chunk by chunk. The training phases (:mod:`modal_sraal.training`) call
        it; on raw rows use :meth:`transform`."""
        notify(getattr(self, "hooks_", ()), "on_encode", self)
        # Encoding draws nothing from torch's RNG (no DataLoader, latent means),
        # so measuring mid-training leaves the training's noise as it was.
        encode = self.generator_.transform_uir if uir_only else self.generator_.transform
        if isinstance(Xs, StandardizedRows):
            return Xs.map(encode).astype(np.float32)
        return encode(Xs).astype(np.float32)

    def _record_diagnostics(self, y_lab, Z_lab, Z_unl, states) -> None:
        """The fitted diagnostics on every row, with the warnings they call for."""
        diag = fitted_diagnostics(self.discriminator_, self.generator_, Z_lab, Z_unl, states,
                                  y_lab, self.ignore_label)
        if not np.isfinite(diag["score_std"]):
            raise SRAALTrainingError("The discriminator produced NaN scores.")
        self.score_std_, self.tracking_ = diag["score_std"], diag["tracking"]
        self.separation_, self.stl_accuracy_ = diag["separation"], diag["stl_accuracy"]

    # -- inference ---------------------------------------------------------
    def _check_X(self, X) -> Any:
        check_is_fitted(self, "generator_")
        X = as_rows(X, "X") if is_streamed(X) else check_samples(X, "X")
        if X.ndim == 2 and len(self.sample_shape_) == 1 and X.shape[1] != self.n_features_in_:
            raise ValueError(  # scikit-learn's wording for flat features
                f"X has {X.shape[1]} features, but {type(self).__name__} is expecting "
                f"{self.n_features_in_} features as input.")
        check_same_sample_shape(X, self.sample_shape_, "X", "the data SRAAL was fitted on")
        return self.scaler_.transform(X)

    def score_samples(self, X) -> np.ndarray:
        """The discriminator's predicted state: higher = more informative.

        Parameters
        ----------
        X : array-like of shape (n, d) or (n, c, H, W)

        Returns
        -------
        scores : ndarray of shape (n,), in (0, 1)
        """
        return self.discriminator_.predict_state(self.represent(self._check_X(X)))

    def reconstruction_error(self, X, codes: Optional[np.ndarray] = None) -> np.ndarray:
        """How badly the UIR reconstructs each row: the mean squared error, over
        the standardized features, of the decoding of its latent mean (Eq. 1's
        first term, per row). Rows the generator cannot represent (heavy noise,
        artifacts) score high; see ``reconstruction_power`` of
        :func:`~modal_sraal.sraal_query`.

        Parameters
        ----------
        X : array-like of shape (n, d) or (n, c, H, W)
        codes : ndarray of shape (n, r), optional
            The rows' unified representation, if already computed
            (:meth:`transform`, :meth:`fit_transform`): the encoder is then
            skipped and only the decoder runs.

        Returns
        -------
        errors : ndarray of shape (n,), >= 0
        """
        Xs = self._check_X(X)
        error = self.generator_.reconstruction_error
        if codes is None:
            if isinstance(Xs, StandardizedRows):   # a streamed pool, chunk by chunk
                return Xs.map(error)
            return error(Xs)
        codes = np.asarray(codes, dtype=np.float32)
        width = self.generator_.module_.representation_dim
        if codes.shape != (len(Xs), width):
            raise ValueError(f"codes must have shape ({len(Xs)}, {width}), the unified "
                             f"representation of X's rows; got {codes.shape}.")
        mu_uir = codes[:, :self.generator_.module_.latent_dim]
        if isinstance(Xs, StandardizedRows):
            return np.concatenate([error(Xs.scaler.transform(rows), mu_uir[start:start + len(rows)])
                                   for start, rows in Xs.rows.chunks()])
        return error(Xs, mu_uir)

    def transform(self, X) -> np.ndarray:
        """The unified representation ``[mu_uir, mu_stl]`` of each row (§3.2)."""
        return self.represent(self._check_X(X))

    def transform_uir(self, X) -> np.ndarray:
        """The UIR latent means alone."""
        return self.represent(self._check_X(X), uir_only=True)


def default_sraal(X_pool: Any, random_state: Any = None) -> SRAAL:
    """The SRAAL :func:`~modal_sraal.sraal_query` uses unless given one.

    The class defaults: budgets that follow the data (``'auto'``,
    :mod:`modal_sraal.budget`), ``lambda_adv=0.2``, ``lambda_stl=5``, a
    plateau stop on the tracking, then a discriminator refit on the frozen
    (standardized) representations, run to the end; images of 16 px and more
    get a narrower encoder (``width=16``); later cycles warm-start. Chosen on validation splits
    (docs: Benchmarks). Earlier versions' defaults: :func:`sraal_v02`,
    :func:`sraal_v03`, :func:`sraal_v04`.

    Examples
    --------
    >>> import numpy as np
    >>> m = default_sraal(np.zeros((3200, 1, 28, 28)), random_state=0)
    >>> m.n_iter, m.width, m.warm_start, m.lambda_adv, m.discriminator_hidden
    ('auto', 16, True, 0.2, 'auto')
    """
    return SRAAL(width=_default_width(X_pool), warm_start=True, random_state=random_state)


def _default_width(X_pool: Any) -> int:
    shape = np.shape(X_pool)   # read from the array or store, no data loaded
    return 16 if len(shape) == 4 and min(shape[2:]) >= 16 else 32


def sraal_v02(X_pool: Any, random_state: Any = None) -> SRAAL:
    """The defaults of version 0.2, kept reachable to measure changes against.

    Fixed step budgets whatever the data: ``n_iter = clip(n_pool // 16, 150,
    500)`` with a plateau stop, 2 generator steps per discriminator step,
    batches of 64 from each pool, a 4 x 512 discriminator, up to 1,000
    refit steps.

    Examples
    --------
    >>> import numpy as np
    >>> m = sraal_v02(np.zeros((3200, 1, 28, 28)), random_state=0)
    >>> m.n_iter, m.width, m.batch_size, m.discriminator_refit_steps
    (200, 16, 64, 1000)
    """
    n_iter = int(np.clip(np.shape(X_pool)[0] // 16, 150, 500))
    return _V09SRAAL(n_iter=n_iter, width=_default_width(X_pool), warm_start=True,
                     random_state=random_state, discriminator_refit_steps=1000, generator_steps=2,
                     batch_size=64, discriminator_hidden=(512, 512, 512, 512))


def default_sraal_as(cls: type, X_pool: Any, random_state: Any = None) -> SRAAL:
    """:func:`default_sraal`'s parameters in the SRAAL subclass ``cls`` (e.g. an
    earlier version's refit rule)."""
    return cls(**default_sraal(X_pool, random_state).get_params())


class _V09SRAAL(SRAAL):
    """SRAAL whose warm adversarial phase starts from the previous refit's
    discriminator (0.9 and earlier)."""

    resume_adversary = False


def sraal_v09(X_pool: Any, random_state: Any = None) -> SRAAL:
    """The defaults of version 0.9, kept reachable to measure changes against.

    Today's defaults, but a warm fit's adversarial phase starts from the
    discriminator the previous refit left instead of resuming the one the
    previous adversarial phase ended with
    (:class:`~modal_sraal.training.ResumeAdversary`). Cold fits are the same.

    Examples
    --------
    >>> import numpy as np
    >>> m = sraal_v09(np.zeros((1347, 1, 8, 8)), random_state=0)
    >>> m.resume_adversary, default_sraal(np.zeros((1347, 1, 8, 8))).resume_adversary
    (False, True)
    """
    return default_sraal_as(_V09SRAAL, X_pool, random_state)


class _V08SRAAL(_V09SRAAL):
    """SRAAL with the cold fit of versions 0.3 to 0.8: one adversarial iteration per 20 rows."""

    cold_iter_per_row = AUTO_ITER_PER_ROW


def sraal_v08(X_pool: Any, random_state: Any = None) -> SRAAL:
    """The defaults of versions 0.6 to 0.8, kept reachable to measure changes against.

    Today's defaults with a cold fit of one adversarial iteration per 20 rows
    (:data:`~modal_sraal.budget.AUTO_ITER_PER_ROW`); today's takes one per 30.
    Warm fits are the same.

    Examples
    --------
    >>> import numpy as np
    >>> m = sraal_v08(np.zeros((1347, 1, 8, 8)), random_state=0)
    >>> new = default_sraal(np.zeros((1347, 1, 8, 8)))
    >>> m.budget(135, 1212, warm=False).n_iter, new.budget(135, 1212, warm=False).n_iter
    (67, 45)
    >>> m.budget(202, 1145, warm=True).n_iter, new.budget(202, 1145, warm=True).n_iter
    (34, 34)
    """
    return default_sraal_as(_V08SRAAL, X_pool, random_state)


class _RefitV05SRAAL(_V08SRAAL):
    """SRAAL with version 0.5's refit rule (:data:`~modal_sraal.budget.REFIT_V05`)."""

    refit_rule = REFIT_V05


def sraal_v05(X_pool: Any, random_state: Any = None) -> SRAAL:
    """The defaults of version 0.5, kept reachable to measure changes against.

    Today's defaults with 0.5's discriminator refit, which is kept whatever it
    tracks (:data:`~modal_sraal.budget.REFIT_V05`); today's restores the
    discriminator the refit started from when that one tracked the states better.

    Examples
    --------
    >>> import numpy as np
    >>> m = sraal_v05(np.zeros((3200, 1, 28, 28)), random_state=0)
    >>> new = default_sraal(np.zeros((3200, 1, 28, 28)))
    >>> old, now = m.budget(480, 2720, warm=True), new.budget(480, 2720, warm=True)
    >>> old.refit_keep_better, now.refit_keep_better, old.refit_steps == now.refit_steps
    (False, True, True)
    """
    return default_sraal_as(_RefitV05SRAAL, X_pool, random_state)


class _RefitV04SRAAL(_V08SRAAL):
    """SRAAL with version 0.4's refit rule (:data:`~modal_sraal.budget.REFIT_V04`)."""

    refit_rule = REFIT_V04


def sraal_v04(X_pool: Any, random_state: Any = None) -> SRAAL:
    """The defaults of version 0.4, kept reachable to measure changes against.

    Today's defaults with 0.4's discriminator refit: a warm fit's refit
    continues from the discriminator's weights as they are, with the passes of
    a cold fit (:data:`~modal_sraal.budget.REFIT_V04`).

    Examples
    --------
    >>> import numpy as np
    >>> m = sraal_v04(np.zeros((3200, 1, 28, 28)), random_state=0)
    >>> new = default_sraal(np.zeros((3200, 1, 28, 28)))
    >>> m.budget(480, 2720, warm=True).refit_steps, new.budget(480, 2720, warm=True).refit_steps
    (638, 957)
    >>> m.budget(480, 2720, warm=True).refit_reset, new.budget(480, 2720, warm=True).refit_reset
    (False, True)
    """
    return default_sraal_as(_RefitV04SRAAL, X_pool, random_state)


class _RefitV03SRAAL(_V08SRAAL):
    """SRAAL with version 0.3's refit rule (:data:`~modal_sraal.budget.REFIT_V03`)."""

    refit_rule = REFIT_V03


def sraal_v03(X_pool: Any, random_state: Any = None) -> SRAAL:
    """The defaults of version 0.3, kept reachable to measure changes against.

    Today's defaults with 0.3's discriminator refit: 30 passes of 128 + 128
    rows at 3x the rate (100 to 500 steps) on the raw codes, ended by the
    plateau stop (:data:`~modal_sraal.budget.REFIT_V03`).

    Examples
    --------
    >>> import numpy as np
    >>> m = sraal_v03(np.zeros((3200, 1, 28, 28)), random_state=0)
    >>> new = default_sraal(np.zeros((3200, 1, 28, 28)))
    >>> m.budget(320, 2880, warm=False).refit_steps, new.budget(320, 2880, warm=False).refit_steps
    (500, 675)
    """
    return default_sraal_as(_RefitV03SRAAL, X_pool, random_state)


#: Version -> the function that gives its defaults (``f(X_pool, random_state)``); a
#: version that kept its predecessor's (0.7, 0.8, 0.11: mixed precision is an option; 0.12:
#: the environment record; 0.13, 0.14: the query's reconstruction weight, an option of
#: :func:`~modal_sraal.sraal_query`, default since 0.14) is absent.
DEFAULTS_BY_VERSION = {"0.2": sraal_v02, "0.3": sraal_v03, "0.4": sraal_v04, "0.5": sraal_v05,
                       "0.6": sraal_v08, "0.9": sraal_v09, "0.10": default_sraal}
