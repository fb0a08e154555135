"""The command line's parser: every command's options, their help and examples, and the
parsing of option values (``--init mu=-1,sigma=0.1``). Errors are a one-line
:class:`UsageError`, never argparse's usage block."""

from __future__ import annotations

import argparse

from . import __version__
from .families import FAMILIES
from .methods import METHODS
from .profile import INTERVALS
from .select import CRITERIA, GOF_METHODS

__all__ = ["UsageError", "Parser", "parse_init", "parser_for", "FIT_EXAMPLES", "SELECT_EXAMPLES", "REPORT_EXAMPLES"]


class UsageError(ValueError):
    """A command-line option that cannot be used."""



class Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, no usage block
        raise UsageError(f"{message} (see '{self.prog} --help')")


def parse_init(text: str, option: str = "--init") -> dict:
    """``"mu=-1,sigma=0.1"`` -> ``{"mu": -1.0, "sigma": 0.1}``; a vector parameter of a
    model whole, ``"beta=[0,0,0]"`` -> ``{"beta": [0.0, 0.0, 0.0]}``, or by element,
    ``"beta[1]=0.5"``."""
    out = {}
    for part in _top_level(text, option):
        name, eq, value = part.partition("=")
        name, value = name.strip(), value.strip()
        if not eq or not name:
            raise UsageError(f"{option}: expected NAME=VALUE pairs separated by commas, got {part!r}")
        if value.startswith("["):
            if not value.endswith("]"):
                raise UsageError(f"{option}: {name}={value}: a list of values ends with ']'")
            items = [v.strip() for v in value[1:-1].split(",")]
            out[name] = [_value(v, f"{name}={value}", option) for v in items]
        else:
            out[name] = _value(value, f"{name}={value!r}", option)
    return out


def _top_level(text: str, option: str) -> list[str]:
    """``text`` split at the commas outside brackets."""
    parts, depth, start = [], 0, 0
    for i, c in enumerate(text):
        depth += (c == "[") - (c == "]")
        if depth < 0 or depth > 1:
            raise UsageError(f"{option}: brackets do not match in {text!r}")
        if c == "," and not depth:
            parts.append(text[start:i])
            start = i + 1
    if depth:
        raise UsageError(f"{option}: a '[' is not closed in {text!r}")
    return parts + [text[start:]]


def _value(text: str, what: str, option: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise UsageError(f"{option}: {what} is not a number") from None


def _column(text):
    return None if text is None else text


FIT_EXAMPLES = """examples:
  gradmle fit data.csv --column height
  gradmle fit data.csv --method gradient --step 0.1 --init mu=-1,sigma=0.1 --max-iter 100
  gradmle fit - < values.txt --json
  gradmle fit times.csv --family weibull --intervals profile
  gradmle fit x.npy --method coordinate --n-inner 10 --n-outer 10 --trace-out trace.csv --plot fit.png
  gradmle fit data.csv --model models.py:regression --columns x,y --init "beta=[0,0],sigma=1"

exit status: 0 converged, 3 finished without converging (diagnosis printed), 2 bad usage or input,
130 interrupted, 143 terminated."""


SELECT_EXAMPLES = """examples:
  gradmle select data.csv --column duration
  gradmle select counts.txt --criterion bic --json
  gradmle select x.npy --families gamma,weibull,lognormal --gof bootstrap --n-boot 200 --seed 1 --plot fits.png

exit status: 0 the best candidate converged, 1 no candidate converged, 2 bad usage or input, 130 interrupted,
143 terminated."""


def _added(parser, add) -> dict:
    """The options ``add(parser)`` adds: destination -> (option string, default)."""
    before = {x.dest for x in parser._actions}
    add(parser)
    return {x.dest: ((x.option_strings or [x.dest])[-1], x.default) for x in parser._actions if x.dest not in before}


def _fit_arguments(f) -> None:
    """The arguments of 'gradmle fit' (and of 'gradmle report')."""
    d = f.add_argument_group("data")
    d.add_argument("file", metavar="FILE", help="CSV, TSV or whitespace-separated text (header optional), .npy or "
                                                 ".parquet; '-' reads standard input")
    d.add_argument("--column", type=_column, help="column name or 0-based index (default: the only or first numeric column)")
    d.add_argument("--family", help=", ".join(FAMILIES) + " (default: normal)")
    d.add_argument("--model", metavar="FILE.py:NAME", help="fit NAME, a gradmle.Model defined in the Python file "
                                                            "FILE.py (NAME may be left out when the file defines one)")
    d.add_argument("--columns", metavar="X,Y", help="with --model: the columns the model receives by name (default: "
                                                    "every numeric column when FILE has several); the columns of a "
                                                    "2-D .npy or of text without a header are 0, 1, ... or named in "
                                                    "order")
    c = f.add_argument_group("censored, truncated or weighted data")
    c.add_argument("--event", metavar="COL", help="censored data: the column that is 1 where the value of --column "
                   "was observed and 0 where it is right-censored (still running)")
    c.add_argument("--lower", metavar="COL", help="with --upper: each value lies in (lower, upper]; equal bounds: "
                   "observed; an empty or -inf lower: left-censored; an empty or inf upper: right-censored")
    c.add_argument("--upper", metavar="COL", help="see --lower")
    c.add_argument("--entry", metavar="COL", help="the time each observation entered (left truncation)")
    c.add_argument("--weight", metavar="COL", help="frequency weights: how many observations each row stands for")
    c.add_argument("--truncation", metavar="LO,HI", help="every value was seen only in (LO, HI] (an empty end: open on "
                   "that side; LO alone: above LO)")
    m = f.add_argument_group("the fit")
    m.add_argument("--method", default="auto", help=", ".join(METHODS) + " (default: auto)")
    m.add_argument("--step", type=float, help="step size gamma (default depends on the method)")
    m.add_argument("--init", help="start, e.g. mu=-1,sigma=0.1, or for a model's vector beta=[0,0,0] or beta[1]=0.5 "
                                  "(default: moment estimates)")
    m.add_argument("--max-iter", type=int, default=1000, help="iteration limit (default: 1000)")
    m.add_argument("--tol", type=float, default=1e-10, help="relative tolerance (default: 1e-10)")
    m.add_argument("--n-inner", type=int, help="coordinate: steps per parameter block (default 10)")
    m.add_argument("--n-outer", type=int, help="coordinate: number of sweeps (default: --max-iter)")
    m.add_argument("--parametrization", help="normal: sigma (default), log_sigma, variance; other families: "
                                             "unconstrained (default), natural")
    m.add_argument("--fixed", help="hold parameters fixed, e.g. df=5 or loc=0")
    m.add_argument("--free-loc", action="store_true", help="exponential, gamma, lognormal, weibull: estimate loc too "
                   "(three parameters; see README, 'Location estimated')")
    r = f.add_argument_group("reading")
    r.add_argument("--drop-nonfinite", action="store_true",
                   help="drop NaN and infinite values (default: refuse them) and say how many")
    r.add_argument("--dask", action="store_true", help="run the passes over FILE on a local Dask cluster (2 workers)")
    r.add_argument("--scheduler", metavar="ADDRESS", help="run the passes on the dask.distributed cluster at ADDRESS "
                                                         "(e.g. tcp://10.0.0.5:8786); FILE must be readable by the "
                                                         "workers at the same path")
    o = f.add_argument_group("output")
    o.add_argument("--intervals", choices=INTERVALS,
                   help="confidence intervals: wald (estimate +- 1.96 standard errors, the default) or profile "
                        "(likelihood ratio: where the log-likelihood maximized over the other parameters falls "
                        "1.92 below its maximum); with --json, the intervals are added to it")
    o.add_argument("--json", action="store_true", help="print the full result as JSON (schema in README)")
    o.add_argument("--trace-out", metavar="FILE.csv", help="write every iterate to a CSV file")
    o.add_argument("--plot", metavar="FILE.png", help="write a picture of the run; the extension names the format "
                                                      "(png, svg, pdf, ...)")
    o.add_argument("--quiet", action="store_true", help="no progress bar")


def _select_arguments(c, own: bool = False) -> None:
    """The arguments of 'gradmle select'; ``own``: only those 'gradmle fit' does not have
    (for 'gradmle report --select', which has the others from fit)."""
    if own:  # in 'gradmle report', after the options of fit
        c = c.add_argument_group("with --select (as 'gradmle select')")
    if not own:
        c.add_argument("file", metavar="FILE", help="as for 'gradmle fit'; read into memory when it fits (else every "
                                                    "candidate is fitted by streaming passes, without EDF statistics)")
        c.add_argument("--column", type=_column, help="column name or 0-based index")
        c.add_argument("--free-loc", action="store_true", help="estimate the location of the families whose support "
                       "starts there (exponential, gamma, lognormal, weibull): three-parameter fits")
        c.add_argument("--drop-nonfinite", action="store_true", help="drop NaN and infinite values (default: refuse them)")
        c.add_argument("--fixed", metavar="FAMILY:NAME=VALUE", help="parameters held fixed, per family, e.g. "
                       "binom:n=10 (binom is fitted only when its number of trials n is given)")
        c.add_argument("--json", action="store_true", help="print the selection as JSON")
        c.add_argument("--plot", metavar="FILE.png", help="write the four diagnostic pictures of the converged candidates; "
                                                          "the extension names the format (png, svg, pdf, ...)")
        c.add_argument("--quiet", action="store_true", help="no progress bar")
    c.add_argument("--families", metavar="A,B,C", help="the candidates, among " + ", ".join(FAMILIES)
                   + " (default: every family whose support admits the data)")
    c.add_argument("--criterion", default="aic", choices=CRITERIA, help="rank by aic (default), aicc or bic")
    c.add_argument("--gof", choices=GOF_METHODS, help="bootstrap: p-values of KS, CvM and AD by parametric "
                                                      "bootstrap, each replicate refitted")
    c.add_argument("--n-boot", type=int, help="bootstrap replicates per candidate (default: 200)")
    c.add_argument("--seed", type=int, help="seed of the bootstrap (the same seed gives the same p-values)")
    c.add_argument("--workers", type=int, help="processes for the bootstrap (default: one per CPU)")


REPORT_EXAMPLES = """examples:
  gradmle report data.csv --column height --out report.html
  gradmle report x.npy --method gradient --step 0.5 --init mu=-1,sigma=0.1 --out diverged.html
  gradmle report durations.csv --select --families gamma,weibull,lognormal --out select.html

exit status: as 'gradmle fit' (with --select, as 'gradmle select'); the report is written in every case but 2."""


def parser_for(commands: dict) -> argparse.ArgumentParser:
    """The parser of ``gradmle``; ``commands``: command name -> the function that runs it."""
    fmt = argparse.RawDescriptionHelpFormatter
    p = Parser(
        prog="gradmle",
        description="Maximum-likelihood fits by gradient methods that record every iterate, check the "
                    "answer against the closed form and explain a divergence.",
        epilog="examples:\n  gradmle demo --out pictures\n  gradmle fit data.csv --method gradient --step 0.1\n"
               "  gradmle sweep data.csv --out map.png\n\nrun 'gradmle COMMAND --help' for the options of a command.",
        formatter_class=fmt,
    )
    p.add_argument("--version", action="version", version=f"gradmle {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)

    f = sub.add_parser("fit", help="fit a distribution (or a model of yours) to a file", formatter_class=fmt,
                       description="Fit a distribution to one numeric column of FILE, or a model of yours "
                                   "(--model) to one or several columns, by maximum likelihood.",
                       epilog=FIT_EXAMPLES)
    _fit_arguments(f)
    f.set_defaults(func=commands["fit"])

    c = sub.add_parser("select", help="which distribution? fit every candidate family and rank them",
                       formatter_class=fmt,
                       description="Fit every family whose support admits the values of FILE (or those of "
                                   "--families), rank them by an information criterion and give their "
                                   "goodness-of-fit statistics (KS, CvM, AD; chi-square for counts).",
                       epilog=SELECT_EXAMPLES)
    _select_arguments(c)
    c.set_defaults(func=commands["select"])

    r = sub.add_parser("report", help="one self-contained HTML file of a fit (or with --select, a selection)",
                       formatter_class=fmt,
                       description="Fit (as 'gradmle fit', with its options) or select (with --select, as 'gradmle "
                                   "select', with its options) and write one HTML file that opens without a network: "
                                   "the data summary, the table, the diagnostic pictures, the convergence, the "
                                   "diagnosis of a run that did not converge, and the command and version.",
                       epilog=REPORT_EXAMPLES)
    fit_options = _added(r, _fit_arguments)
    select_options = _added(r, lambda p: _select_arguments(p, own=True))
    shared = set(_added(Parser(), _select_arguments))
    r.add_argument("--select", action="store_true", help="a selection among families instead of one fit")
    r.add_argument("--out", metavar="FILE.html", required=True, help="the report (written atomically; an existing "
                                                                     "file is replaced)")
    r.set_defaults(func=commands["report"], only={False: {d: f for d, f in select_options.items()},
                                          True: {d: f for d, f in fit_options.items() if d not in shared}})

    d = sub.add_parser("demo", help="the classic Normal example, every scheme from two starts", formatter_class=fmt,
                       description="Fit N(mu, sigma) to built-in data by the classic gradient schemes from a good "
                                   "and a small starting sigma; with --out, draw the paths, the distances and the "
                                   "stability maps.",
                       epilog="example:\n  gradmle demo --out demo-pictures")
    d.add_argument("--out", metavar="DIR", help="write trajectories.png, distance.png and stability.png here")
    d.add_argument("--quiet", action="store_true", help="no progress bar")
    d.set_defaults(func=commands["demo"])

    s = sub.add_parser("sweep", help="stability map of a fixed-step scheme on your data", formatter_class=fmt,
                       description="Run a fixed-step scheme over a grid of step x starting sigma on FILE and show "
                                   "the outcome (converged, oscillating, diverged, too slow) with the computed bound.",
                       epilog="example:\n  gradmle sweep data.csv --method sequential --out map.png")
    s.add_argument("file", metavar="FILE", help="as for 'gradmle fit'")
    s.add_argument("--column", type=_column, help="column name or 0-based index")
    s.add_argument("--method", default="gradient",
                   help=", ".join(m for m, row in METHODS.items() if row.has_bound) + " (default: gradient)")
    s.add_argument("--parametrization", help="sigma (default), log_sigma, variance")
    s.add_argument("--mu0", type=float, help="starting mu of every run (default: mean + one sd)")
    s.add_argument("--max-iter", type=int, default=500, help="iterations per run (default: 500)")
    s.add_argument("--n-inner", type=int, help="coordinate: steps per block")
    s.add_argument("--out", metavar="FILE.png", help="write the map as a picture; the extension names the format "
                                                     "(png, svg, pdf, ...)")
    s.add_argument("--quiet", action="store_true", help="no progress bar")
    s.set_defaults(func=commands["sweep"])
    return p


