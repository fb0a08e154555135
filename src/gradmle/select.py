"""``select``: which distribution fits the data? Every candidate fitted by maximum
likelihood, ranked by an information criterion, with goodness-of-fit statistics.

For a candidate with k free parameters, total log-likelihood LL at its maximum and n
observations:

    AIC = 2k - 2 LL,   AICc = AIC + 2k(k + 1) / (n - k - 1),   BIC = k log(n) - 2 LL;

lower is better, and a difference of less than about 2 says the data hardly prefer one
over the other. Likelihoods are compared only on one scale: the densities of the
continuous families with each other, or the probabilities of the count families with
each other (a PMF and a density are not comparable, so they are never ranked together).

Goodness of fit (:mod:`gradmle.gof`): the Kolmogorov-Smirnov, Cramer-von Mises and
Anderson-Darling statistics of the fitted CDF for continuous families, Pearson's
chi-square over pooled cells for counts. Their classical p-values assume parameters
known in advance; ``gof="bootstrap"`` gives p-values by parametric bootstrap instead:
B samples of size n drawn from the fitted distribution, each refitted by the same
method (started from the fitted parameters) and its statistics recomputed, and
p = (1 + #{T* >= T}) / (1 + B') over the B' replicates whose refit converged.

The EDF statistics need the values in memory (sorted). Data read in pieces (a file, a
Dask array) are read into memory when they fit (``max_values``); when they do not, every
candidate is fitted by streaming passes and ranked by its criterion, and the statistics
are left out, as the selection's notes say. Censored data (``event=``, a
``scipy.stats.CensoredData``, ``entry=``, ``truncation=``) are ranked by the criteria of
the censored log-likelihood; weighted data by the weighted one; the EDF statistics are
left out for both (they are defined for values all observed exactly, each once).
"""

from __future__ import annotations

import math
import os
import zlib
from dataclasses import dataclass, field

import numpy as np

from .censoring import is_censored_input
from .checks import choice
from .families import FAMILIES, Family, get_family
from .fit import fit
from .gof import EDF_STATISTICS, chi_square, edf_statistics, is_discrete
from .record import NONFINITE, as_record
from .source import is_chunked, open_source

__all__ = ["select", "Selection", "CRITERIA", "GOF_METHODS", "SKIPPED", "FAILED"]

#: The information criteria a selection can be ranked by.
CRITERIA = ("aic", "aicc", "bic")
#: How p-values of the goodness-of-fit statistics may be computed.
GOF_METHODS = ("bootstrap",)
#: The status of a candidate whose support does not admit the data (not fitted), and of
#: one whose fit raised an error.
SKIPPED, FAILED = "skipped", "error"
#: Values of a file read into memory by default: a quarter of the memory available (the
#: values, their sorted copy and the fits' working arrays), at most 2**31.
_BYTES_PER_VALUE = 32


def _default_max_values() -> int:
    try:
        avail = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        avail = 1 << 32
    return int(min(avail // _BYTES_PER_VALUE, 1 << 31))


def _num(v):
    if v is None:
        return None
    v = float(v)
    return v if math.isfinite(v) else None


@dataclass
class Selection:
    """The candidates of :func:`gradmle.select`, ranked.

    Attributes
    ----------
    table : list of dict
        One row per candidate, best first: the candidates that converged, by the
        criterion; then those that did not (their criteria are not those of a maximum);
        then those that raised an error or were not tried (``status`` "error" or
        "skipped", with the reason in ``message``). Keys: family, k (free parameters),
        n, loglik (total), aic, aicc, bic, ks, cvm, ad, chi2, chi2_df, chi2_p, ks_p,
        cvm_p, ad_p, status, message, note, params, rank (1, 2, ... for converged rows).
    results : dict
        Family name -> FitResult, for every candidate that was fitted.
    criterion : str
    notes : list of str
        What the selection left out or did, and why (statistics not computed, data
        read into memory, bootstrap replicates that failed).
    """

    table: list
    results: dict
    criterion: str
    n: float
    gof: str | None = None
    notes: list = field(default_factory=list)
    #: The values (sorted), when in memory and observed exactly: for the pictures.
    data: np.ndarray | None = field(default=None, repr=False)

    @property
    def best(self) -> str | None:
        """The name of the first candidate by the criterion among those that converged
        (None when none did)."""
        for row in self.table:
            if row["status"] == "converged" and row[self.criterion] is not None:
                return row["family"]
        return None

    def __getitem__(self, name):
        return self.results[name]

    def _columns(self) -> list[str]:
        cols = ["family", "k", "loglik", "aic", "aicc", "bic", *EDF_STATISTICS]
        if any(r["chi2"] is not None for r in self.table):
            cols += ["chi2", "chi2_df", "chi2_p"]
        if any(r[f"{s}_p"] is not None for r in self.table for s in EDF_STATISTICS):
            cols += [f"{s}_p" for s in EDF_STATISTICS]
        return cols + ["status", "message"]

    def to_frame(self):
        """A pandas DataFrame, one row per candidate in the order of ``table``: family,
        k, loglik, aic, aicc, bic, ks, cvm, ad (chi2, chi2_df, chi2_p for counts; ks_p,
        cvm_p, ad_p with bootstrap p-values), status, message. Missing numbers are NaN."""
        import pandas as pd

        cols = self._columns()
        frame = pd.DataFrame([{c: r[c] for c in cols} for r in self.table], columns=cols)
        for c in cols:
            if c not in ("family", "status", "message", "k", "chi2_df"):
                frame[c] = frame[c].astype(float)
        return frame

    def to_dict(self) -> dict:
        """Plain JSON-ready values (non-finite numbers are None)."""
        rows = [{k: (_num(v) if isinstance(v, float) else v) for k, v in r.items()} for r in self.table]
        for r in rows:
            r["params"] = None if r["params"] is None else {k: _num(v) for k, v in r["params"].items()}
        return {"criterion": self.criterion, "best": self.best, "n": self.n if isinstance(self.n, (int, np.integer)) else _num(self.n), "gof": self.gof,
                "notes": list(self.notes), "table": rows}

    def summary(self) -> str:
        """The ranked table as text."""
        crit = self.criterion
        lines = [f"gradmle select: n={_g(self.n)}, {len(self.table)} candidate{'s' * (len(self.table) != 1)} ranked by {crit.upper()} "
                 "(lower is better; d = difference from the best)"]
        boot = any(r["ks_p"] is not None for r in self.table)
        counts = any(r["chi2"] is not None for r in self.table)
        head = f"{'rank':>4} {'family':<13} {'k':>2} {'loglik':>15} {crit.upper():>15} {'d' + crit.upper():>9}"
        if counts:
            head += f" {'chi2':>10} {'df':>4} {'p':>7}"
        else:
            head += "".join(f" {s.upper() + (' (p)' if boot else ''):>{18 if boot else 10}}" for s in EDF_STATISTICS)
        head += "  status"
        lines += [head, "-" * len(head)]
        best = next((r[crit] for r in self.table if r["status"] == "converged" and r[crit] is not None), None)
        for r in self.table:
            d = "-" if best is None or r[crit] is None else f"{r[crit] - best:.2f}"
            line = (f"{r['rank'] or '-':>4} {r['family']:<13} {r['k'] if r['k'] is not None else '-':>2} "
                    f"{_f(r['loglik'], '.6f'):>15} {_f(r[crit], '.6f'):>15} {d:>9}")
            if counts:
                line += f" {_f(r['chi2'], '.4g'):>10} {r['chi2_df'] if r['chi2_df'] is not None else '-':>4}" \
                        f" {_f(r['chi2_p'], '.3g'):>7}"
            else:
                for s in EDF_STATISTICS:
                    v = _f(r[s], '.4g')
                    if boot:
                        v += f" ({_f(r[s + '_p'], '.3f')})"
                    line += f" {v:>{18 if boot else 10}}"
            line += f"  {r['status']}"
            lines.append(line)
        trouble = [r for r in self.table if r["status"] != "converged"]
        if trouble:
            lines += ["", "not converged, failed or not tried:"]
            lines += [f"  {r['family']}: {r['status']}: {r['message']}" for r in trouble]
        best_name = self.best
        lines += ["", f"best: {best_name}" if best_name else "best: none (no candidate converged)"]
        if boot:
            lines.append("(p): parametric-bootstrap p-values (each replicate refitted)")
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def __repr__(self) -> str:
        shown = [r for r in self.table if r["status"] == "converged"][:_REPR_ROWS]
        ranked = ", ".join(f"{r['family']} ({r[self.criterion]:.6g})" if r[self.criterion] is not None
                           else r["family"] for r in shown)
        more = len(self.table) - len(shown)
        return (f"<Selection of {len(self.table)} candidates by {self.criterion.upper()}, n={_g(self.n)}: "
                f"{ranked or 'none converged'}" + (f"; {more} more" if more else "") + ">")

    def _repr_html_(self) -> str:
        """The notebook's display: the ranked table, the best row highlighted."""
        from .display import selection_html

        return selection_html(self)

    def plot(self, families=None, path=None):
        """The four diagnostic pictures of the converged candidates (or of the names in
        ``families``), overlaid: density over histogram (PMF over frequencies for
        counts), CDF over the empirical CDF, Q-Q and P-P (a hanging rootogram in place
        of Q-Q for counts). Returns the matplotlib Figure; with ``path``, also writes
        it there atomically. Needs the data in memory, observed exactly."""
        from .diagnostics_plot import diagnostic_figure

        if self.data is None:
            raise ValueError("the diagnostic pictures need the values in memory, each observed exactly: "
                             + ("; ".join(self.notes) or "these data are not"))
        if isinstance(families, str):
            if families not in self.results:
                raise ValueError(f"no fit of {families!r} in this selection (to write the picture to a file give "
                                 f"path={families!r}); fitted: {', '.join(self.results)}")
            families = [families]
        names = [n for n in (families or [r["family"] for r in self.table if r["status"] == "converged"])]
        unknown = [n for n in names if n not in self.results]
        if unknown:
            raise ValueError(f"no fit of {', '.join(map(repr, unknown))} in this selection; fitted: "
                             f"{', '.join(self.results)}")
        fits = [(n, self.results[n].frozen()) for n in names if self.results[n].context is not None]
        fig = diagnostic_figure(self.data, fits, title=f"ranked by {self.criterion.upper()}")
        if path is not None:
            from .plot import write

            write(fig, path)
        return fig


#: Candidates named in the plain repr of a selection.
_REPR_ROWS = 5


def _g(v) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


def _f(v, spec: str) -> str:
    if v is None:
        return "-"
    return format(v, spec) if math.isfinite(v) else str(v)


def _row(name: str, status: str, message: str) -> dict:
    row = {"family": name, "k": None, "n": None, "loglik": None, "aic": None, "aicc": None, "bic": None,
           "status": status, "message": message, "note": None, "params": None, "rank": None,
           "chi2": None, "chi2_df": None, "chi2_p": None, "n_boot": None}
    row.update({s: None for s in EDF_STATISTICS})
    row.update({f"{s}_p": None for s in EDF_STATISTICS})
    return row


def criteria(loglik: float, k: int, n: float) -> dict:
    """AIC, AICc and BIC from the total log-likelihood, k free parameters, n observations
    (AICc None when n <= k + 1)."""
    aic = 2.0 * k - 2.0 * loglik
    aicc = aic + 2.0 * k * (k + 1) / (n - k - 1) if n - k - 1 > 0 else None
    return {"aic": aic, "aicc": aicc, "bic": k * math.log(n) - 2.0 * loglik}


def _fixed_per_family(fixed, names) -> dict:
    """``fixed`` as {family name: {parameter: value}}, checked: a one-line ValueError for
    anything else, or a family that is not among the candidates."""
    if fixed is None:
        return {}
    if not isinstance(fixed, dict) or not all(isinstance(v, dict) for v in fixed.values()):
        raise ValueError(f"fixed must map a family to its fixed parameters, e.g. {{'binom': {{'n': 10}}}}, "
                         f"got {fixed!r}")
    out = {}
    for family, params in fixed.items():
        name = get_family(family).name
        if name not in names:
            raise ValueError(f"fixed names {name!r}, which is not among the candidates: {', '.join(names)}")
        out[name] = dict(params)
    return out


def _candidates(families) -> list[tuple[str, Family]]:
    if families is None:
        return list(FAMILIES.items())
    if isinstance(families, (str, Family)):
        families = [families]
    out, seen = [], set()
    for f in families:
        fam = get_family(f)
        if fam.name in seen:
            raise ValueError(f"families: {fam.name!r} is given twice")
        seen.add(fam.name)
        out.append((fam.name, fam))
    if not out:
        raise ValueError("families is empty: give at least one family name or gradmle.Model")
    return out


class _Data:
    """The values as the selection sees them: in memory (``x``) or not (``source``), and
    which candidates' supports admit them."""

    def __init__(self, data, column, nonfinite, candidates, max_values, censored, weighted):
        self.fit_data, self.x, self.notes = data, None, []
        self.bad: dict = {}  # name -> (count, first) of values outside its support
        if censored:
            self.notes.append("censored or truncated data: ranked by the criteria of the censored log-likelihood; "
                              "the EDF statistics (KS, CvM, AD) are left out: they compare the empirical CDF of "
                              "values all observed exactly")
            return
        if is_chunked(data):
            self._read(data, column, nonfinite, candidates, max_values)
        else:
            record = as_record(data, column, nonfinite)
            self._keep(record.source.x, nonfinite, candidates)
        if weighted:
            self.notes.append("weighted data: the EDF statistics are left out (they are defined for values counted "
                              "once each)")

    def _keep(self, x, nonfinite, candidates):
        finite = np.isfinite(x)
        if not finite.all():
            if nonfinite == "raise":
                i = int(np.flatnonzero(~finite)[0])
                raise ValueError(f"data: {int((~finite).sum())} of {x.size} values are NaN or infinite (the first, "
                                 f"{x[i]!r}, at index {i}); pass nonfinite='drop' to leave them out")
            self.notes.append(f"{int((~finite).sum())} NaN or infinite values dropped")
            x = x[finite]
        self.x = self.fit_data = x
        self.sorted = None
        for name, fam in candidates:
            mask = fam.support.bad(x)
            if mask is not None:
                i = int(np.flatnonzero(mask)[0])
                self.bad[name] = (int(mask.sum()), float(x[i]))

    def _read(self, data, column, nonfinite, candidates, max_values):
        """One pass: the values kept while they fit in ``max_values``, the supports checked."""
        source = open_source(data, column)
        once = not source.reiterable
        parts, n, over, dropped = [], 0, False, 0
        bad = {}
        for _, c in source.chunks():
            finite = np.isfinite(c)
            if not finite.all():
                if nonfinite == "raise":
                    raise ValueError(f"{source.name}: NaN or infinite values (the first at index "
                                     f"{n + int(np.flatnonzero(~finite)[0])}); pass nonfinite='drop' to leave "
                                     "them out")
                dropped += int((~finite).sum())
                c = c[finite]
            for name, fam in candidates:
                mask = fam.support.bad(c)
                if mask is not None:
                    cnt, first = bad.get(name, (0, float(c[np.flatnonzero(mask)[0]])))
                    bad[name] = (cnt + int(mask.sum()), first)
            n += c.size
            if not over:
                parts.append(np.array(c, dtype=float))
                if n > max_values and not once:
                    over, parts = True, []
        if dropped:
            self.notes.append(f"{dropped} NaN or infinite values dropped")
        if over:
            self.notes.append(f"{source.name}: {n} values, more than the {max_values} kept in memory: every "
                              "candidate fitted by streaming passes over the data; the EDF statistics, which need "
                              "the values in memory, are left out")
            self.bad = bad
            return
        self.notes.append(f"{source.name}: its {n} values read into memory once (fitting each candidate from them)")
        self._keep(np.concatenate(parts) if parts else np.empty(0), "drop", candidates)


def select(data, families=None, criterion: str = "aic", gof: str | None = None, n_boot: int = 200, seed=None, *,
           column=None, event=None, weights=None, entry=None, truncation=None, nonfinite: str = "raise",
           max_values: int | None = None, workers: int | None = None, progress=True, fixed: dict | None = None,
           **options) -> Selection:
    """Fit each candidate family to ``data`` and rank them by ``criterion``.

    Parameters
    ----------
    data : array-like, path, iterable of chunks, dask array or scipy.stats.CensoredData
        As for :func:`gradmle.fit`. A path or Dask array is read into memory once when
        it holds at most ``max_values`` values (then every candidate is fitted from
        memory and the EDF statistics are computed); otherwise each candidate is
        fitted by streaming passes and the EDF statistics are left out.
    families : list of str or gradmle.Model, optional
        The candidates. Default: every registered family (``gradmle.FAMILIES``) whose
        support admits the data; for counts (whole numbers >= 0) the count families,
        for other data the continuous ones. A family whose support does not admit the
        data is not fitted and stays in the table with status "skipped" and the reason.
        Count families and continuous families cannot be ranked together (a PMF and a
        density are not on one scale): ValueError.
    criterion : {"aic", "aicc", "bic"}
    gof : {None, "bootstrap"}
        ``"bootstrap"``: p-values of KS, CvM and AD by parametric bootstrap with a
        refit per replicate (continuous candidates that converged, data in memory).
    n_boot : int
        Bootstrap replicates B per candidate.
    seed : int, optional
        Makes the bootstrap reproducible (whatever ``workers``).
    column : str or int, optional
        The column of a file.
    event, weights, entry, truncation :
        Censored, weighted or truncated data, as for :func:`gradmle.fit`.
    nonfinite : {"raise", "drop"}
    max_values : int, optional
        Most values read into memory (default: a quarter of the available memory at 8
        bytes a value, also allowing for a sorted copy and working arrays).
    workers : int, optional
        Processes for the bootstrap (default ``os.cpu_count()``; 1: in this process).
    progress : bool or callable
        A progress bar of the bootstrap on standard error (shown on a terminal for work
        longer than a second), or a callable ``progress(done, total)``.
    fixed : dict, optional
        Parameters held fixed, per family: ``{"binom": {"n": 10}}``. A family with a
        known parameter (binom's number of trials) is fitted only when it is given here;
        otherwise it stays in the table as skipped, saying how to give it.
    **options
        Passed to every fit (``method``, ``tol``, ``max_iter``, ...).

    Returns
    -------
    Selection

    Examples
    --------
    >>> import numpy as np, gradmle
    >>> x = np.random.default_rng(0).gamma(2.0, 3.0, 2000)
    >>> s = gradmle.select(x, families=["gamma", "lognormal", "exponential"])
    >>> s.best
    'gamma'
    """
    criterion = choice("criterion", criterion, CRITERIA)
    if gof is not None:
        gof = choice("gof", gof, GOF_METHODS)
    nonfinite = choice("nonfinite", nonfinite, NONFINITE)
    if isinstance(n_boot, bool) or not isinstance(n_boot, (int, np.integer)) or n_boot < 1:
        raise ValueError(f"n_boot must be a whole number >= 1, got {n_boot!r}")
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, (int, np.integer))
                                or workers < 1):
        raise ValueError(f"workers must be a whole number >= 1, got {workers!r}")
    for key in ("family", "init", "columns"):
        if key in options:
            raise TypeError(f"select() does not take {key}=: it is particular to one family (fit that family "
                            "with gradmle.fit)")
    censored = any(v is not None for v in (event, entry, truncation)) or is_censored_input(data)
    explicit = families is not None
    candidates = _candidates(families)
    if censored:  # (the censored fits are those of the continuous families)
        candidates = [(n, f) for n, f in candidates if not f.support.discrete or explicit]
    data_ = _Data(data, column, nonfinite, candidates, _default_max_values() if max_values is None else max_values,
                  censored, weights is not None)
    notes = data_.notes
    kinds = {f.support.discrete for n, f in candidates if n not in data_.bad}
    rows, results = [], {}
    if explicit and len(kinds) > 1:
        d = [n for n, f in candidates if f.support.discrete and n not in data_.bad]
        c = [n for n, f in candidates if not f.support.discrete and n not in data_.bad]
        raise ValueError(f"families: the count families ({', '.join(d)}) and the continuous ones ({', '.join(c)}) "
                         "cannot be ranked together: the likelihood of a count is a probability, that of a "
                         "continuous value a density, and the two are not on one scale")
    if not explicit and len(kinds) > 1:  # counts: the count families; the continuous ones are not tried
        for name, fam in candidates:
            if not fam.support.discrete and name not in data_.bad:
                rows.append(_row(name, SKIPPED, "the data are counts, fitted by the count families: a density is "
                                                "not comparable with their probabilities (name continuous "
                                                "families alone to rank them)"))
        candidates = [(n, f) for n, f in candidates if f.support.discrete or n in data_.bad]
    free_loc = bool(options.pop("free_loc", False))
    if free_loc:
        from .freeloc import FREE_LOC

        notes.append(f"free_loc: the location is estimated for {', '.join(FREE_LOC)}; the other families are fitted "
                     "as they are (those on the line estimate theirs, the other positive ones keep loc = 0)")
    fixed = _fixed_per_family(fixed, [n for n, _ in candidates])
    fit_kw = dict(options, nonfinite="raise" if data_.x is not None else nonfinite, event=event, weights=weights,
                  entry=entry, truncation=truncation)
    if column is not None and data_.x is None and not censored:
        fit_kw["columns"] = [column]
    for name, fam in candidates:
        if name in data_.bad:
            count, first = data_.bad[name]
            rows.append(_row(name, SKIPPED, f"not tried: {count} values are outside its support "
                                            f"({fam.support.rule}), the first {first!r}"))
            continue
        missing = [k for k in fam.known if k not in fixed.get(name, {})]
        if missing:
            example = ", ".join(f"{k!r}: ..." for k in missing)
            rows.append(_row(name, SKIPPED, f"not tried: its {', '.join(missing)} is known, not estimated: give it "
                                            f"as fixed={{{name!r}: {{{example}}}}}"))
            continue
        kw = dict(fit_kw, free_loc=True) if free_loc and name in FREE_LOC else fit_kw
        if name in fixed:
            kw = dict(kw, fixed=fixed[name])
        rows.append(_candidate(name, fam, data_, kw, results))
    if gof == "bootstrap":
        from .bootstrap import bootstrap

        bootstrap(rows, results, data_.x, n_boot, seed, workers, progress, notes)
    ranked = _rank(rows, criterion)
    n = next((results[r["family"]].n for r in ranked if r["family"] in results), None)
    if n is None:
        n = 0 if data_.x is None else data_.x.size
    plain = data_.x is not None and weights is None
    if plain and data_.sorted is None:
        data_.sorted = np.sort(data_.x)
    return Selection(ranked, results, criterion, n, gof, notes, data_.sorted if plain else None)


def _candidate(name, fam, data_, fit_kw, results) -> dict:
    try:
        r = fit(data_.fit_data, family=fam if name not in FAMILIES else name, **fit_kw)
    except (ValueError, ArithmeticError, np.linalg.LinAlgError) as exc:
        return _row(name, FAILED, " ".join(str(exc).split()))
    results[name] = r
    row = _row(name, r.status, r.message)
    fixed = r.options.get("fixed") or {}
    k = sum(1 for p in r.params if p not in fixed)
    total = r.loglik * r.n
    row.update(k=k, n=r.n, loglik=total, params=dict(r.params), **criteria(total, k, r.n))
    if not math.isfinite(total):
        row.update(aic=None, aicc=None, bic=None)
    if data_.x is None or fit_kw.get("weights") is not None:
        return row
    if not r.converged:
        row["note"] = "goodness of fit not computed: the fit did not converge"
        return row
    try:
        frozen = r.frozen()
    except ValueError:
        row["note"] = "goodness of fit not computed: the model has no CDF (it is given by its log-density)"
        return row
    if is_discrete(frozen):
        chi = chi_square(data_.x, frozen, k)
        if chi is None:
            row["note"] = "chi-square not computed: counts too large to lay out cell by cell"
        else:
            row.update(chi2=chi.statistic, chi2_df=chi.df, chi2_p=chi.pvalue)
    else:
        if data_.sorted is None:
            data_.sorted = np.sort(data_.x)
        row.update(edf_statistics(data_.sorted, frozen))
    return row


def _rank(rows: list, criterion: str) -> list:
    def key(r):
        v = r[criterion]
        group = 0 if r["status"] == "converged" and v is not None else (1 if r["k"] is not None else 2)
        return (group, v if v is not None else math.inf)

    ranked = sorted(rows, key=key)
    rank = 0
    for r in ranked:
        if r["status"] == "converged" and r[criterion] is not None:
            rank += 1
            r["rank"] = rank
    return ranked


def stream_key(name: str) -> int:
    """A fixed number for a family's name, to give each candidate its own random stream
    (so that adding a candidate changes no other's bootstrap)."""
    return zlib.crc32(name.encode())
