"""The methods a benchmark compares, and the experiments' method lists."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import partial
from typing import Callable, Dict, Optional, Sequence

import numpy as np
from modAL.uncertainty import entropy_sampling, margin_sampling

from ..baselines import mc_dropout_query, random_query, state_query
from ..query import coreset_query, sraal_query
from ..selection import candidate_density, select_diverse_top_k
from ..discriminator import SRAALDiscriminator
from ..budget import AUTO_REFIT, REFIT_V04, REFIT_V05, auto_n_iter
from ..sraal import (SRAAL, _V08SRAAL, _V09SRAAL, default_sraal, default_sraal_as, sraal_v02,
                     sraal_v03, sraal_v04, sraal_v05, sraal_v08, sraal_v09)
from .registry import Registry

__all__ = ["Method", "METHODS", "EXPERIMENTS", "SEGMENTATION_METHODS"]


@dataclass
class Method:
    """A modAL query strategy, and the SRAAL it fits (None for other methods),
    whose diagnostics the benchmark records."""

    strategy: Callable
    sraal: Optional[SRAAL] = None


#: ``sraal_query``'s keywords up to 0.13 (no reconstruction weight): every method
#: defined before 0.14 pins them, so that its published rows reproduce.
QUERY_V013 = {"reconstruction_power": 0.0}
#: Up to 0.21 the candidates were never widened (``sraal_query``'s
#: ``poor_tracking_candidates``, 20 since 0.22): every method but ``sraal`` keeps that.
QUERY_V021 = {"poor_tracking_candidates": None}
#: The batch rule of 0.3 to 0.6, which every SRAAL-family method but ``sraal`` keeps,
#: so that each reproduces the rows it was published with.
DIVERSE = {"selection": "diverse", **QUERY_V013, **QUERY_V021}


def _sraal(n_iter_factor: int = 1, query: Optional[Dict] = None, base: Callable = None,
           user_defaults: bool = False, today: bool = False,
           **kw) -> Callable[[int, np.ndarray, str], Method]:
    """Factory of a SRAAL-family method: ``base`` plus ``kw``, training
    ``n_iter_factor`` times as long, queried with ``query`` (keyword arguments of
    :func:`sraal_query`) over :data:`DIVERSE`, or over ``sraal_query``'s own
    defaults with ``user_defaults`` (and :data:`QUERY_V021` unless ``today``: only
    ``sraal`` queries exactly as a user does). ``base`` defaults to :func:`default_sraal`
    with ``user_defaults`` (what a user gets) and to :func:`sraal_v08` without: every
    other method was defined on 0.8's (or earlier) defaults, and reproduces its rows."""
    if user_defaults:
        query = dict(query or {}) if today else {**QUERY_V021, **(query or {})}
    else:
        query = {**DIVERSE, **(query or {})}
    base = base or (default_sraal if user_defaults else sraal_v08)

    def make(seed: int, X_pool: np.ndarray, device: str) -> Method:
        model = base(X_pool, random_state=seed)
        model.set_params(device=device, **kw)
        if n_iter_factor != 1:   # only for the fixed budgets of 0.1 and 0.2
            model.set_params(n_iter=n_iter_factor * int(model.n_iter))
        return Method(partial(sraal_query, sraal=model, **query), sraal=model)
    return make


class _Iter30SRAAL(_V08SRAAL):
    """Tuning candidate after 0.4: 0.5's refit (the candidate ``sraal_fresh_bias``) with a
    third fewer adversarial iterations (one per 30 rows instead of 20, same bounds)."""

    refit_rule = REFIT_V05
    #: Only a cold fit gets fewer iterations (warm fits as 0.5's).
    cold_only = False

    def budget(self, n_labeled, n_unlabeled, warm):
        b = super().budget(n_labeled, n_unlabeled, warm)
        if self.n_iter != "auto" or (warm and self.cold_only):
            return b
        return dataclasses.replace(b, n_iter=auto_n_iter(n_labeled + n_unlabeled, warm, 1 / 30))


class _Cold30SRAAL(_Iter30SRAAL):
    """Tuning candidate after 0.5: a cold fit gets a third fewer adversarial iterations;
    warm fits as 0.5's."""

    cold_only = True


def _subclassed(cls) -> Callable[..., SRAAL]:
    """A ``base`` for :func:`_sraal`: today's defaults in the SRAAL subclass ``cls``."""
    return partial(default_sraal_as, cls)


class _ColdBudgetSRAAL(_V08SRAAL):
    """Tuning candidate: warm-started fits get the cold budget (not half of it)."""

    def budget(self, n_labeled, n_unlabeled, warm):
        return super().budget(n_labeled, n_unlabeled, warm=False)


class _LongRefitSRAAL(_V08SRAAL):
    """Tuning candidate after 0.4: twice 0.4's refit (120 passes, up to 2,000 steps)."""

    refit_rule = dataclasses.replace(REFIT_V04, epochs=2 * REFIT_V04.epochs,
                                     max_steps=2 * REFIT_V04.max_steps)


class _FreshRefitSRAAL(_V08SRAAL):
    """Tuning candidate after 0.4: a warm fit's refit starts from fresh weights,
    sized by passes over every row (labeled and unlabeled)."""

    refit_rule = dataclasses.replace(REFIT_V04, reset_warm=True, reset_level=False,
                                     passes_over="all")


class _FreshRefit3xSRAAL(_V08SRAAL):
    """Tuning candidate after 0.4: fresh weights at a warm refit, 3x its passes."""

    refit_rule = dataclasses.replace(REFIT_V04, reset_warm=True, reset_level=False,
                                     epochs=3 * REFIT_V04.epochs,
                                     max_steps=3 * REFIT_V04.max_steps)


class _FreshRefit3xWarmSRAAL(_V08SRAAL):
    """Tuning candidate after 0.4: a warm refit from fresh weights with 3x the passes;
    a cold fit's refit as 0.4's."""

    refit_rule = dataclasses.replace(REFIT_V04, reset_warm=True, reset_level=False,
                                     warm_factor=3.0)


#: Tuning candidates after 0.5 (``tune7``), each a refit rule: every refit from fresh
#: weights at the states' level (0.5 resets only a warm fit's) ...
REFIT_LEVEL_ALL = dataclasses.replace(REFIT_V05, reset_cold=True)
#: ... a cold fit's refit with a third fewer passes and steps (40 passes, up to 667
#: steps; a warm fit's as 0.5's: 90 passes, up to 1,500 steps) ...
REFIT_COLD40 = dataclasses.replace(REFIT_V05, epochs=40, max_steps=667, warm_factor=2.25)
#: ... and both.
REFIT_LEVEL_COLD40 = dataclasses.replace(REFIT_COLD40, reset_cold=True)


class _LevelAllSRAAL(_V08SRAAL):
    refit_rule = REFIT_LEVEL_ALL


class _Cold40SRAAL(_V08SRAAL):
    refit_rule = REFIT_COLD40


class _LevelCold40SRAAL(_V08SRAAL):
    refit_rule = REFIT_LEVEL_COLD40


class _Cold30V08SRAAL(_V08SRAAL):
    """Tuning candidate after 0.8 (``tune8``): 0.8's defaults, but a cold fit gets a
    third fewer adversarial iterations (one per 30 rows, same bounds); warm fits as 0.8's.
    0.5's ``sraal_cold30`` on 0.8's refit, batch rule and target (0.9 adopted it)."""

    cold_iter_per_row = 1 / 30


class _RefitCold40V08SRAAL(_V08SRAAL):
    """Tuning candidate after 0.8 (``tune8``): a cold fit's refit with a third fewer passes
    (40, up to 667 steps); a warm fit's as today's (90 passes, up to 1,500 steps)."""

    refit_rule = dataclasses.replace(AUTO_REFIT, epochs=40, max_steps=667, warm_factor=2.25)


class _Refit40SRAAL(SRAAL):
    """Tuning candidate after 0.14 (``tune16``): today's defaults, with the refit's passes
    cut by a third (a cold fit 40 instead of 60, up to 667 steps; a warm fit 60 instead
    of 90, up to 1,000): digits' first queries cost about the target's fit."""

    refit_rule = dataclasses.replace(AUTO_REFIT, epochs=40, max_steps=667)


#: ``tune9``: a mean relabeled state above this marks a weak target (the candidate's threshold,
#: fixed before its runs from the validation splits' first states, 3 seeds each: clean digits
#: and MNIST-5k 0.25-0.42, their noisy variants 0.60-0.85).
WEAK_STATE_MEAN = 0.5


class _WeakColdSRAAL(_V09SRAAL):
    """Tuning candidate after 0.9 (``tune9``): 0.9's defaults, but a cold fit on states
    whose mean exceeds :data:`WEAK_STATE_MEAN` (a weak target) gets 0.8's adversarial
    iterations (one per 20 rows); warm fits, and cold fits on confident targets, as 0.9's."""

    def _train(self, X_lab, y_lab, X_unl, states, rng):
        weak = self.n_iter_ == 0 and float(np.mean(states)) > WEAK_STATE_MEAN
        # an instance attribute for this fit only: the class's rate is restored afterwards
        self.cold_iter_per_row = _V08SRAAL.cold_iter_per_row if weak else SRAAL.cold_iter_per_row
        try:
            return super()._train(X_lab, y_lab, X_unl, states, rng)
        finally:
            del self.cold_iter_per_row


#: Tuning candidate of 0.4: weight of an unlabeled row's loss, ``1 + TOP_WEIGHT * state``.
TOP_WEIGHT = 4.0


class _TopWeightedDiscriminator(SRAALDiscriminator):
    """Eq. 5 with each row's BCE weighted by ``1 + TOP_WEIGHT * state``: the rows of
    high relabeled state, where a batch is taken, count more (tuning candidate)."""

    def get_loss(self, y_pred, y_true, X=None, training=False):
        import torch

        y_true = torch.as_tensor(y_true, dtype=y_pred.dtype, device=y_pred.device)
        loss = torch.nn.functional.binary_cross_entropy_with_logits(y_pred, y_true,
                                                                    reduction="none")
        weight = 1.0 + TOP_WEIGHT * y_true
        return (loss * weight).sum() / weight.sum()


class _TopWeightedSRAAL(_V08SRAAL):
    """Tuning candidate: the discriminator of :class:`_TopWeightedDiscriminator`."""

    def _build(self, X, y_enc, device):
        super()._build(X, y_enc, device)
        self.discriminator_.__class__ = _TopWeightedDiscriminator   # only get_loss differs


def _old_defaults(X_pool: np.ndarray, random_state=None) -> SRAAL:
    """The defaults of version 0.1, kept to compare against (top-K, no refit)."""
    return sraal_v02(X_pool, random_state).set_params(
        lambda_adv=1.0, lambda_stl=1.0, n_iter_no_change=None, discriminator_refit_steps=0)


def _paper(X_pool: np.ndarray, random_state=None) -> SRAAL:
    """The authors' configuration, iterations scaled to this CPU (``PAPER_CPU_ITERATIONS``)."""
    return SRAAL.paper_config(n_iter=PAPER_CPU_ITERATIONS, random_state=random_state)


#: Iterations of the paper configuration in the benchmark (authors: 20,000 on a GPU;
#: here about 1.1 s per iteration on one CPU thread for digits).
PAPER_CPU_ITERATIONS = 100
TOPK = {"selection": "topk"}


def _score_diverse_query(learner, X_pool, n_instances: int = 1, *, sraal: SRAAL,
                         relabel: str = "oui", random_state=None):
    """Diagnostic: SRAAL's fit and batch rule, but the batch ranked by the
    relabeling score itself (``relabel`` of the target's probabilities) in place
    of the discriminator's state: what the default query would pick with a
    discriminator that tracked that score perfectly."""
    from ..pool import pool_predict_proba
    from ..uncertainty import relabeling_score

    sraal_query(learner, X_pool, n_instances, sraal=sraal, random_state=random_state,
                **QUERY_V013)   # only the fit is used
    scores = relabeling_score(relabel)(pool_predict_proba(learner, X_pool))
    Z = learner.sraal_.transform(X_pool)
    seed = random_state if random_state is not None else sraal.random_state
    return select_diverse_top_k(scores, Z, n_instances, random_state=seed)


def typicality_batch(Z_labeled: np.ndarray, Z_pool: np.ndarray, n_instances: int,
                     random_state=None) -> np.ndarray:
    """TypiClust's batch (Hacohen et al., 2022): standardize the codes, k-means all rows
    into ``n_labeled + n_instances`` clusters, then pick one row at a time: the most
    typical free pool row (inverse mean distance to its 20 nearest neighbours within the
    cluster) of the cluster with the fewest labeled or picked rows (ties: the largest).

    Parameters
    ----------
    Z_labeled : ndarray of shape (n_labeled, d)
        Codes of the labeled rows (they only cover clusters; never picked).
    Z_pool : ndarray of shape (n_pool, d)
        Codes of the unlabeled rows.
    n_instances : int
        How many pool rows to pick.
    random_state : int, RandomState or None
        Seeds k-means.

    Returns
    -------
    picked : ndarray of shape (n_instances,)
        Indices into ``Z_pool``, in the order picked.
    """
    from sklearn.cluster import KMeans

    Z = np.concatenate([Z_labeled, Z_pool])
    Z = (Z - Z.mean(0)) / (Z.std(0) + 1e-12)
    n_lab = len(Z_labeled)
    labels = KMeans(n_clusters=min(len(Z), n_lab + n_instances), n_init=1,
                    random_state=random_state).fit(Z).labels_
    n_clusters = labels.max() + 1
    covered = np.bincount(labels[:n_lab], minlength=n_clusters).astype(float)
    size = np.bincount(labels, minlength=n_clusters)
    free_left = size - covered
    # TypiClust's typicality is the selection module's density, within each cluster
    typicality = np.zeros(len(Z))
    for c in range(n_clusters):
        members = np.flatnonzero(labels == c)
        typicality[members] = candidate_density(Z[members], n_neighbors=20)
    free = np.r_[np.zeros(n_lab, bool), np.ones(len(Z_pool), bool)]
    picked = []
    for _ in range(n_instances):
        order = np.lexsort((-size, covered))   # fewest covered first, then largest
        c = order[free_left[order] > 0][0]
        rows = np.flatnonzero((labels == c) & free)
        best = rows[np.argmax(typicality[rows])]
        picked.append(best - n_lab)
        free[best] = False
        covered[c] += 1
        free_left[c] -= 1
    return np.asarray(picked)


def _typical_query(learner, X_pool, n_instances: int = 1, *, sraal: SRAAL, random_state=None):
    """Diagnostic (0.21): SRAAL's default fit, but the batch by typicality alone
    (:func:`typicality_batch`) in SRAAL's unified representation: do typical rows beat
    random ones where the target is weak (the low-budget regime), as Hacohen et al. (2022)
    found with self-supervised features?"""
    sraal_query(learner, X_pool, n_instances, sraal=sraal, random_state=random_state)
    seed = random_state if random_state is not None else sraal.random_state
    picked = typicality_batch(learner.sraal_.transform(learner.X_training),
                              learner.sraal_.transform(X_pool), n_instances, random_state=seed)
    return picked, np.zeros(len(picked))


def _on_default_fit(query: Callable) -> Callable[[int, np.ndarray, str], Method]:
    """Factory of a method that fits today's SRAAL (:func:`default_sraal`) and picks its
    batch with ``query(learner, X_pool, n_instances, sraal=...)``."""
    def make(seed: int, X_pool: np.ndarray, device: str) -> Method:
        model = default_sraal(X_pool, random_state=seed).set_params(device=device)
        return Method(partial(query, sraal=model), sraal=model)
    return make


def _cover_when_poor_query(learner, X_pool, n_instances: int = 1, *, sraal: SRAAL,
                           below: float = 0.6, random_state=None):
    """Candidate (tune24): today's query, but where the fitted discriminator's tracking is
    below ``below`` the batch is the greedy k-center cover of the pool in SRAAL's unified
    representation, the labeled rows as the first centres: Alg. 1's cover, taken where
    the ranking says little about the target's uncertainty, as it is before any label."""
    picked = sraal_query(learner, X_pool, n_instances, sraal=sraal, random_state=random_state)
    fitted = learner.sraal_
    if not fitted.tracking_ < below:   # a NaN tracking (nothing measured) keeps the batch
        return picked
    # Core-set's k-center, in the unified representation in place of the pixels
    rows = coreset_query(learner, X_pool, len(picked[0]), embedding=fitted.transform)[0]
    fitted.batch_selection_ = {"selection": "kcenter"}
    return rows, fitted.discriminator_.predict_state(fitted.transform(X_pool[rows]))


def _score_diverse(relabel: str) -> Callable[[int, np.ndarray, str], Method]:
    def make(seed: int, X_pool: np.ndarray, device: str) -> Method:
        # 0.8's fit, as published (docs: Benchmarks, 0.8's diagnosis).
        model = sraal_v08(X_pool, random_state=seed).set_params(device=device)
        return Method(partial(_score_diverse_query, sraal=model, relabel=relabel), sraal=model)
    return make


def _plain(strategy: Callable) -> Callable[[int, np.ndarray, str], Method]:
    return lambda seed, X_pool, device: Method(strategy)


def _random(seed: int, X_pool, device) -> Method:
    # A RandomState (not a seed): successive cycles draw differently, and the
    # generator's state is saved in checkpoints along with the strategy.
    return Method(partial(random_query, random_state=np.random.RandomState(seed)))


def _widened_below(tracking: float) -> Callable:
    """0.14's fit, twice the candidates per pick where the discriminator's tracking is
    below ``tracking`` (tune22b, tune23)."""
    return _sraal(user_defaults=True, query={"poor_tracking_candidates": 20.0,
                                             "poor_tracking_below": tracking})


#: Method name -> factory(seed, X_pool, device) -> :class:`Method`.
METHODS: Registry = Registry("method", {
    "random": _random,
    "entropy": _plain(entropy_sampling),
    "margin": _plain(margin_sampling),
    "coreset": _plain(coreset_query),
    "mc_dropout": _plain(partial(mc_dropout_query, n_passes=10, acquisition="bald")),
    "vaal": _sraal(relabel="binary", use_stl=False),          # = SRAAL w/o OUI and STL
    "sraal": _sraal(user_defaults=True, today=True),          # what sraal_query gives a user
    "sraal_v021": _sraal(user_defaults=True),                 # 0.14 to 0.21: never widened
    # versions 0.10 to 0.13 as a user got them (the same fit; no reconstruction weight)
    "sraal_v013": _sraal(user_defaults=True, query=QUERY_V013),
    "sraal_v09": _sraal(base=sraal_v09, user_defaults=True, query=QUERY_V013),  # version 0.9
    "sraal_v08": _sraal(base=sraal_v08, user_defaults=True, query=QUERY_V013),  # 0.7 and 0.8
    "sraal_v06": _sraal(),                                    # version 0.6: the diverse batch
    # After 0.6: the diverse batch with density-weighted scores (images of uneven quality);
    # sraal_auto became 0.7's default (= sraal).
    "sraal_dense": _sraal(query={"selection": "dense"}),
    "sraal_dense_half": _sraal(query={"selection": "dense", "density_power": 0.5}),
    "sraal_auto": _sraal(query={"selection": "auto"}),
    "sraal_topk": _sraal(query=TOPK),                         # discriminator-only top-K (§3.4)
    "sraal_v02": _sraal(base=sraal_v02),                      # version 0.2 defaults
    "sraal_cand5": _sraal(query={"candidates": 5.0}),         # tuning candidates of 0.3
    "sraal_cand3": _sraal(query={"candidates": 3.0}),
    "sraal_cand20": _sraal(query={"candidates": 20.0}),
    "sraal_margin": _sraal(relabel="margin"),
    "sraal_w16": _sraal(width=16),                            # narrower encoder on 8x8 too
    "sraal_warm_full": _sraal(base=_subclassed(_ColdBudgetSRAAL)),   # warm fits: cold budget
    "sraal_oui_rank": _sraal(relabel="oui_rank"),              # 0.4 candidates: OUI's ranks,
    "sraal_top_weighted": _sraal(base=_subclassed(_TopWeightedSRAAL)),  # Eq. 5, top-weighted
    "sraal_typical": _on_default_fit(_typical_query),         # 0.21 diagnostic: TypiClust
    "oui_topk": _plain(state_query),                          # top-K of the OUI itself
    "oui_diverse": _score_diverse("oui"),                     # 0.4 diagnostics: the default's
    "margin_diverse": _score_diverse("margin"),               # batch rule on the score itself
    "sraal_adv0.05": _sraal(lambda_adv=0.05),                 # a weaker adversarial term
    "sraal_track": _sraal(base=sraal_v04),                    # 0.4's candidate = its default
    "sraal_v03": _sraal(base=sraal_v03),                      # version 0.3 defaults
    "sraal_v04": _sraal(base=sraal_v04),                      # version 0.4 defaults
    "sraal_v05": _sraal(base=sraal_v05),                      # version 0.5 defaults
    "sraal_refit2x": _sraal(base=_subclassed(_LongRefitSRAAL)),      # after 0.4: twice its refit
    # 0.5's candidates: a warm refit from fresh weights (sraal_fresh_bias: 0.5's default)
    "sraal_fresh_all": _sraal(base=_subclassed(_FreshRefitSRAAL)),
    "sraal_fresh_3x": _sraal(base=_subclassed(_FreshRefit3xSRAAL)),
    "sraal_fresh_3xw": _sraal(base=_subclassed(_FreshRefit3xWarmSRAAL)),
    "sraal_fresh_bias": _sraal(base=sraal_v05),               # the candidate 0.5 made default
    "sraal_fresh_bias_it30": _sraal(base=_subclassed(_Iter30SRAAL)),
    "sraal_cold30": _sraal(base=_subclassed(_Cold30SRAAL)),           # after 0.5: cheaper cold fit
    # after 0.5: cheaper or fresher cold refits (tune7)
    "sraal_level_all": _sraal(base=_subclassed(_LevelAllSRAAL)),
    "sraal_refit_cold40": _sraal(base=_subclassed(_Cold40SRAAL)),
    "sraal_level_cold40": _sraal(base=_subclassed(_LevelCold40SRAAL)),
    # after 0.8: cheaper cold fits on today's defaults (tune8)
    "sraal_cold30_v08": _sraal(base=_subclassed(_Cold30V08SRAAL), user_defaults=True,
                               query=QUERY_V013),
    "sraal_refit_cold40_v08": _sraal(base=_subclassed(_RefitCold40V08SRAAL), user_defaults=True,
                                     query=QUERY_V013),
    # after 0.9: 0.8's cold fit for weak targets only (tune9)
    "sraal_weakcold": _sraal(base=_subclassed(_WeakColdSRAAL), user_defaults=True,
                             query=QUERY_V013),
    # after 0.9: the warm adversarial phase resumes its own discriminator (tune10, tune11);
    # 0.10's default, so the same as sraal_v013
    "sraal_resume_adv": _sraal(user_defaults=True, query=QUERY_V013),
    # after 0.11: today's defaults with bfloat16 training steps (accuracy check, no default)
    "sraal_bf16": _sraal(user_defaults=True, query=QUERY_V013, precision="bfloat16"),
    # after 0.12: candidates weighted by how well the UIR reconstructs them (tune13)
    # (0.14's default is sraal_recon2_t2)
    "sraal_recon": _sraal(user_defaults=True, query={"reconstruction_power": 1.0,
                                                     "reconstruction_tolerance": 1.0}),
    "sraal_recon2": _sraal(user_defaults=True, query={"reconstruction_power": 2.0,
                                                      "reconstruction_tolerance": 1.0}),
    "sraal_recon2_t15": _sraal(user_defaults=True, query={"reconstruction_power": 2.0,
                                                          "reconstruction_tolerance": 1.5}),
    "sraal_recon2_t2": _sraal(user_defaults=True, query={"reconstruction_power": 2.0,
                                                         "reconstruction_tolerance": 2.0}),
    # after 0.14: each cluster gives its candidate nearest the centre (tune15)
    "sraal_central": _sraal(user_defaults=True, query={"cluster_pick": "central"}),
    # after 0.14: a refit with a third fewer passes (tune16)
    "sraal_refit40": _sraal(base=_subclassed(_Refit40SRAAL), user_defaults=True),
    # after 0.16: a 2 x 64 discriminator, a third of the arithmetic per row (tune17)
    "sraal_d64": _sraal(user_defaults=True, discriminator_hidden=(64, 64)),
    # 0.19 diagnostic: today's fit, ranked by the paper's plain top-K without the
    # reconstruction weight (where a weak target's batch loses to random)
    "sraal_topk14": _sraal(user_defaults=True, query={**TOPK, **QUERY_V013}),
    # after 0.21: twice the candidates per pick (tune22); on the published pools that is
    # every unlabeled row, so each of the batch's clusters covers a region of the whole pool
    "sraal_cand20_v22": _sraal(user_defaults=True, query={"candidates": 20.0}),
    # after tune22: twice the candidates only where the discriminator tracks the states
    # below WIDEN_BELOW_TRACKING (tune22b)
    "sraal_widen_v22": _widened_below(0.6),
    # after 0.22: the same widening below a tracking of 0.8 instead of 0.6 (tune23)
    "sraal_widen80_v23": _widened_below(0.8),
    # after 0.23: where the discriminator tracks below 0.6, the batch is a k-center cover
    # of the pool in the unified representation (tune24)
    "sraal_cover_v24": _on_default_fit(_cover_when_poor_query),
    "sraal_old": _sraal(base=_old_defaults, query=TOPK),      # version 0.1 defaults
    "vaal_old": _sraal(base=_old_defaults, query=TOPK, relabel="binary", use_stl=False),
    "sraal_no_oui_old": _sraal(base=_old_defaults, query=TOPK, relabel="binary"),
    "sraal_no_stl_old": _sraal(base=_old_defaults, query=TOPK, use_stl=False),
    "sraal_entropy_old": _sraal(base=_old_defaults, query=TOPK, relabel="entropy"),
    "sraal_std_old": _sraal(base=_old_defaults, query=TOPK, relabel="std"),
    "sraal_paper": _sraal(base=_paper, query=TOPK),           # authors' settings, CPU iterations
    "sraal_no_refit": _sraal(discriminator_refit_steps=0),
    "sraal_no_early_stop": _sraal(n_iter_no_change=None),
    "sraal_adv1": _sraal(lambda_adv=1.0),
    "sraal_stl1": _sraal(lambda_stl=1.0),
    "sraal_fresh_bn": _sraal(warm_start=False, batchnorm=True),
    "sraal_no_oui": _sraal(relabel="binary"),
    "sraal_no_stl": _sraal(use_stl=False),
    "sraal_entropy": _sraal(relabel="entropy"),
    "sraal_std": _sraal(relabel="std"),
})
# Version 0.1's tuning candidates: changes to its defaults, queried with top-K.
for _name, _kw in {
    "sraal_adv0.1": dict(lambda_adv=0.1), "sraal_adv0": dict(lambda_adv=0.0),
    "sraal_n2x": dict(n_iter_factor=2), "sraal_stl0.1": dict(lambda_stl=0.1),
    "sraal_latent16": dict(latent_dim=16), "sraal_latent64": dict(latent_dim=64),
    "sraal_lr3e-4": dict(lr_generator=3e-4, lr_discriminator=3e-4),
    "sraal_lr3e-3": dict(lr_generator=3e-3, lr_discriminator=3e-3),
}.items():
    METHODS.register(_name, _sraal(base=_old_defaults, query=TOPK, **_kw))

#: The paper's experiments: methods compared (the first is the reference).
EXPERIMENTS: Dict[str, Sequence[str]] = {
    "main": ["sraal", "sraal_v013", "sraal_v05", "sraal_v04", "sraal_v03", "sraal_v02", "sraal_old",
             "sraal_topk", "vaal", "vaal_old", "random", "entropy", "margin", "coreset",
             "mc_dropout"],                                                            # Fig. 3-5
    "ablation": ["sraal", "sraal_no_oui", "sraal_no_stl", "vaal", "margin"],           # Fig. 7
    "relabel": ["sraal", "sraal_entropy", "sraal_std", "margin"],                      # Table 1
    "init": ["sraal"],                                                                 # Fig. 6 (--init random kcenter)
    "paper": ["sraal", "sraal_paper", "sraal_old", "vaal", "random", "entropy", "margin"],  # authors' settings
    # the same experiments with the defaults of version 0.1 (top-K, lambdas 1, no refit)
    "ablation_old": ["sraal_old", "sraal_no_oui_old", "sraal_no_stl_old", "vaal_old", "margin"],
    "relabel_old": ["sraal_old", "sraal_entropy_old", "sraal_std_old", "margin"],
    "init_old": ["sraal_old"],
    # tuning, with --validation: version 0.1's candidates, then this version's
    "tune": ["sraal_old", "sraal_adv0.1", "sraal_adv0", "sraal_stl0.1", "sraal_n2x",
             "sraal_latent16", "sraal_latent64", "sraal_lr3e-4", "sraal_lr3e-3", "random"],
    "tune3": ["sraal", "sraal_v02", "sraal_cand5", "sraal_cand3", "sraal_topk", "sraal_margin",
              "oui_topk", "margin", "entropy", "random"],
    "tune4": ["sraal", "sraal_oui_rank", "sraal_top_weighted", "margin"],
    "tune5": ["sraal_track", "sraal", "margin", "oui_diverse", "margin_diverse", "sraal_adv0.05",
              "sraal_w16", "sraal_refit2x"],
    "tune6": ["sraal_track", "margin", "sraal_fresh_3x", "sraal_fresh_3xw", "sraal_fresh_bias",
              "sraal_fresh_bias_it30", "sraal_cold30"],
    "tune8": ["sraal", "sraal_cold30_v08", "sraal_refit_cold40_v08", "margin"],
    "tune9": ["sraal", "sraal_weakcold", "margin"],
    "tune10": ["sraal", "sraal_resume_adv", "margin"],   # sraal was 0.9 in tune9-11's runs
    "tune11": ["sraal", "sraal_resume_adv", "margin"],
    "precision": ["sraal", "sraal_bf16"],                 # bfloat16's accuracy (validation)
    "tune13": ["sraal", "sraal_recon", "sraal_recon2", "sraal_recon2_t15",   # reconstruction
               "sraal_recon2_t2", "margin", "random"],                       # weight
    "tune15": ["sraal", "sraal_central", "margin", "random"],     # the cluster's central row
    "tune16": ["sraal", "sraal_refit40"],                          # a cheaper refit
    "tune17": ["sraal", "sraal_d64"],                              # a narrower discriminator
    "tune7": ["sraal_fresh_bias", "margin", "sraal_w16", "sraal_level_all", "sraal_level_cold40",
              "sraal_refit_cold40"],
    "tune2": ["sraal", "sraal_topk", "sraal_no_refit", "sraal_no_early_stop",
              "sraal_adv1", "sraal_stl1", "sraal_fresh_bn", "sraal_old", "random", "entropy"],
}
# Segmentation datasets run SEGMENTATION_METHODS for the 'main' experiment.

#: Methods of the segmentation comparison (§4.2): entropy is the mean per-pixel entropy.
SEGMENTATION_METHODS = ["sraal", "random", "entropy", "coreset", "vaal"]
