"""``fit``: the public entry point. It checks the options and hands the data to the
engine (:mod:`gradmle.engine`), which reduces them once and runs one optimizer through
the one loop."""

from __future__ import annotations

from . import engine
from .censoring import censored, is_censored_input
from .families import FAMILIES, get_family
from .record import Weighted
from .methods import AUTO_METHOD, METHODS
from .result import FitResult

__all__ = ["fit", "METHODS", "AUTO_METHOD"]


def fit(
    data,
    family="normal",
    method="auto",
    step=None,
    init=None,
    max_iter=1000,
    tol=1e-10,
    n_inner=None,
    n_outer=None,
    parametrization=None,
    fixed=None,
    nonfinite="raise",
    columns=None,
    event=None,
    weights=None,
    entry=None,
    truncation=None,
    free_loc=False,
) -> FitResult:
    """Fit ``family`` to ``data`` by maximum likelihood with ``method``.

    Parameters
    ----------
    data : array-like, path, iterable of chunks or dask array
        The values: a 1-D array-like of numbers (numpy arrays, masked arrays whose
        masked values are dropped, lists, pandas and polars Series); a path to a CSV,
        TSV, whitespace-separated, ``.npy`` or Parquet file (read in chunks, never
        loaded whole; ``"-"`` reads standard input); an iterable of 1-D chunks; a
        ``dask.array``.
    family : str
        One of ``gradmle.FAMILIES``: normal (``mu``, ``sigma``), exponential,
        lognormal, gamma, weibull, student_t, laplace, logistic, gumbel_r,
        genextreme (GEV, scipy's c = -xi), genpareto (GPD, peaks over the threshold
        ``fixed={"loc": u}``), poisson, nbinom, beta, pareto (support x >= scale),
        fisk (log-logistic), invgauss, rayleigh, halfnorm, cauchy, geom (on 1, 2,
        ...), binom (n known: ``fixed={"n": 10}``), with scipy.stats' parameter names
        (aliases such as ``"norm"`` and ``"t"`` are accepted); or a
        :class:`gradmle.Model` of your own.
    method : str
        ``"auto"`` (default: safeguarded Newton, see ``AUTO_METHOD``);
        ``"gradient"``: simultaneous fixed-step gradient ascent;
        ``"sequential"``: the same, each parameter using the already updated ones
        (sigma uses the new mu); ``"coordinate"``: ``n_inner`` steps on each
        parameter in turn, ``n_outer`` sweeps; ``"fisher"``: Fisher scoring (natural
        gradient, scale-free) with the family's expected information, or, for a
        :class:`gradmle.Model` (which declares none), the empirical information: the
        sum of outer products of the per-observation scores, divided by n, summed in
        the same pass as the value and gradient (``result.info["information"]`` is
        ``"expected"`` or ``"empirical"``, and the message says so); ``"newton"``: Newton with a Fisher/gradient fallback
        where the Hessian is not negative definite, and backtracking; ``"linesearch"``:
        gradient ascent with Armijo backtracking; ``"adam"``: Adam; ``"lbfgs"``:
        scipy's L-BFGS-B; ``"closed_form"``.
    step : float, optional
        The fixed step gamma > 0 of the fixed-step schemes and of ``"fisher"``; the
        first trial step of ``"newton"`` and ``"linesearch"``; Adam's learning rate.
        Defaults: 0.1 for the classic schemes, 1 for fisher, newton and linesearch,
        0.01 for adam. Not used by ``"lbfgs"`` and ``"closed_form"``.
    init : dict, optional
        Starting values by parameter name; missing ones come from the moment
        estimates (for the Normal these are the closed form).
    max_iter : int
        Iteration limit (for ``"coordinate"``, ``n_outer`` when given).
    tol : float
        The run has converged when, for every parameter, both the natural-gradient
        step ``(F^-1 g)_i`` (the distance to the optimum, to first order) and the last
        step ``|Delta theta_i|`` are below ``tol * max(|theta_i|, s_i)``, but never
        more than ``sqrt(tol) * s_i``, plus 8 ulps of ``theta_i``, where ``s_i`` is
        the parameter's statistical scale (sigma for mu, sigma/sqrt(2) for sigma): a
        relative, unit-free test that matches the definition of ``FitResult.error``.
        Where correlated parameters are held by float64 to fewer digits than tol asks,
        the rounding that correlation carries is allowed for, and the message says
        "to the resolution of float64".
    n_inner, n_outer : int, optional
        Only for ``"coordinate"``: steps per parameter block (default 10) and the
        number of sweeps (default ``max_iter``).
    parametrization : str, optional
        The coordinates the optimizer works in. Normal: ``"sigma"`` (default),
        ``"log_sigma"``, ``"variance"``; other families: ``"unconstrained"``
        (default: log for positive parameters, logit for probabilities) or
        ``"natural"``. Params and trace are always on the natural scale.
    fixed : dict, optional
        Parameters held at given values, e.g. ``{"df": 5.0}`` for Student-t. For
        families whose support starts at ``loc`` (exponential, gamma, weibull,
        lognormal) ``loc`` is never estimated; ``{"loc": c}`` fits ``data - c``
        (default 0), as scipy's ``floc``.
    nonfinite : {"raise", "drop"}
        NaN and infinite values are refused (``"raise"``, the default) or dropped
        (``"drop"``: the message and ``result.info["dropped"]`` say how many).
    columns : list of str, optional
        For a :class:`gradmle.Model`: the columns of a file (text with a header,
        Parquet, a 2-D ``.npy``), a dict of arrays or a DataFrame that its log-density
        receives, as a mapping name -> array. Without it a model receives every numeric
        column when the data have several, and an array when they have one. The columns
        of a 2-D ``.npy`` or of text without a header are named by their 0-based index
        ("0", "1", ...), or named in order by as many names as there are columns. A
        built-in family takes one column (``columns=["height"]``).
    event : array-like, optional
        Censored data as lifelines gives them: 1 (or True) where the value was
        observed, 0 where it is right-censored there (still running at that time).
        ``data`` may also be a ``scipy.stats.CensoredData`` (uncensored, left-, right-
        and interval-censored values).
    weights : array-like, optional
        Frequency weights >= 0, one per value (grouped data: values with counts), for
        every family: the fit is that of the data with each value repeated as many
        times (weights need not be whole; ``result.n`` is their sum). Alone, they keep
        the family's own reduction: sufficient statistics stay sufficient (weighted n,
        mean, M2, means of log x), so a weighted fit costs what an unweighted one does.
        The data are then in memory (an array-like).
    entry : array-like, optional
        The time at which each observation entered (left truncation, delayed
        entry): its likelihood is taken given survival to then.
    truncation : float or (lo, hi), optional
        Every observation was seen only in this range (a number t: above t; an end
        None: open on that side): each likelihood term is taken given the range,
        divided by P(lo < X <= hi). Not together with ``entry``.

        With ``event``, ``entry`` or ``truncation`` (or a CensoredData), and weights
        with them, the data are fitted as a table for the continuous families (a large
        table in memory summed, at every evaluation, as the Gauss points of narrow
        cells of its values: see gradmle.condense and ``result.info["condensed"]``);
        ``result.info["censoring"]`` counts the observed, censored (by kind) and
        truncated values (weighted data: the observations the weights sum to).
    free_loc : bool
        Estimate ``loc`` too, for exponential, gamma, lognormal and weibull (the
        three-parameter families; params in scipy.stats' order, e.g. ``c, loc,
        scale``). The exponential's MLE is loc = min(x), scale = mean(x) - min(x), on
        the boundary (status ``"boundary"``; loc converges at rate 1/n). The others are
        fitted by profiling loc and polishing all three parameters by Newton's method:
        a local maximum inside is the estimate (its message says when the shape, in
        (1, 2], makes it non-regular); where the likelihood runs to +inf as
        loc -> min(x) with no local maximum (shape < 1), status is ``"boundary"`` and
        params are the maximum product of spacings estimate (Cheng & Amin 1983). See
        :mod:`gradmle.freeloc`. Not with censoring, weights or fixed parameters.

    Returns
    -------
    FitResult
        Divergence is a result, not an exception: the run stops at the first
        iterate that leaves the parameter space, is not finite or runs away from
        the data, and ``status == "diverged"`` with the reason in ``message`` and
        ``outcome``; ``"stalled"`` when the method can make no further progress,
        ``"boundary"`` when the likelihood increases towards the edge of the
        parameter space (``result.limit_fit`` holds the limiting model's fit);
        ``result.diagnosis`` explains any run that did not converge.

    Examples
    --------
    >>> import numpy as np, gradmle
    >>> x = np.random.default_rng(0).normal(2.0, 1.0, 1000)
    >>> r = gradmle.fit(x, method="gradient", step=0.4, init={"mu": 1.5, "sigma": 1.2})
    >>> r.status, r.error < 1e-9
    ('converged', True)
    """
    if free_loc:
        from .freeloc import fit_free_loc

        given = {"event": event, "entry": entry, "truncation": truncation, "weights": weights, "fixed": fixed,
                 "init": init, "step": step, "n_inner": n_inner, "n_outer": n_outer,
                 "parametrization": parametrization}
        extra = [k for k, v in given.items() if v is not None] + (["method"] if method != "auto" else [])
        if extra or is_censored_input(data):
            what = ", ".join(extra) or "censored data"
            raise ValueError(f"free_loc=True is fitted by its own profile-likelihood method and does not take {what}")
        return fit_free_loc(data, family, tol=tol, max_iter=max_iter, nonfinite=nonfinite, columns=columns)
    # What built the run's family from the data, for result.options to run it again.
    given = {"event": event, "weights": weights, "entry": entry, "truncation": truncation}
    data_args = {k: v for k, v in given.items() if v is not None}
    if data_args or is_censored_input(data):
        data_args = {"family": family, **data_args}
    if event is not None or entry is not None or truncation is not None or is_censored_input(data):
        data, family, fixed = censored(data, family, fixed, event, weights, entry, truncation)
    elif weights is not None:
        fam = get_family(family)
        if FAMILIES.get(fam.name) is not fam:
            raise ValueError(f"weights= are for the built-in families ({', '.join(FAMILIES)}), not the {fam.name} "
                             "model")
        data = Weighted(data, weights)
    opts = engine.check_options(family, method, step, init, max_iter, tol, n_inner, n_outer, parametrization, fixed,
                                nonfinite, columns, data_args)
    return engine.fit(data, opts)
