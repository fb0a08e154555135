"""Command line: ``gradmle fit``, ``gradmle select``, ``gradmle report``, ``gradmle demo``, ``gradmle sweep``.
Thin: parse, call the API, print.

Exit status: 0 converged; 3 finished without converging (the diagnosis is printed);
2 bad usage or bad input; 130 interrupted (Ctrl-C); 143 terminated (SIGTERM). Errors are
one line on standard error. ``gradmle select``: 0 when the best candidate converged, 1
when no candidate converged.
"""

from __future__ import annotations

import json
import math
import signal
import sys
from pathlib import Path

from .cli_parser import UsageError, parse_init, parser_for

__all__ = ["main", "build_parser", "parse_init", "UsageError"]

EXIT_OK, EXIT_USAGE, EXIT_NOT_CONVERGED, EXIT_INTERRUPTED, EXIT_TERMINATED = 0, 2, 3, 130, 143
#: ``gradmle select``: no candidate converged.
EXIT_NONE_CONVERGED = 1


class Terminated(BaseException):
    """SIGTERM, raised wherever the run is, so that what cleans up after Ctrl-C runs for it
    too: atomic_write removes its temporary file, a Dask cluster is closed. A
    BaseException, as KeyboardInterrupt, so that no ``except Exception`` swallows it."""


def _terminate(signum, frame):
    raise Terminated


def _check_output(path, what: str, source=None, picture: bool = False) -> None:
    """Refuse, before any work, an output path that cannot or must not be written."""
    if path is None:
        return
    if picture:
        from .plot import picture_format

        try:
            picture_format(path)
        except ValueError as exc:
            raise UsageError(f"{what} {exc}") from None
    folder = Path(path).parent
    if str(folder) and not folder.is_dir():
        raise UsageError(f"{what} {path}: the folder {folder} does not exist")
    if Path(path).is_dir():
        raise UsageError(f"{what} {path}: is a directory")
    if source not in (None, "-") and Path(path).resolve() == Path(source).resolve():
        raise UsageError(f"{path} is the input file: gradmle never writes over its input")


def _fit_options(a, model=None) -> dict:
    kw = {"family": model if model is not None else a.family or "normal", "method": a.method, "max_iter": a.max_iter, "tol": a.tol}
    for name in ("step", "n_inner", "n_outer", "parametrization"):
        value = getattr(a, name)
        if value is not None:
            kw[name] = value
    if a.init is not None:
        kw["init"] = parse_init(a.init, "--init")
    if a.fixed is not None:
        kw["fixed"] = parse_init(a.fixed, "--fixed")
    if a.columns is not None:
        if a.column is not None:
            raise UsageError("--column picks one column and --columns several: give one of them")
        names = [c.strip() for c in a.columns.split(",")]
        if not all(names):
            raise UsageError(f"--columns: expected names separated by commas, got {a.columns!r}")
        kw["columns"] = names
    return kw


def _load_model(a):
    """The model of ``--model FILE.py:NAME`` (None without --model)."""
    if a.model is None:
        return None
    if a.family is not None:
        raise UsageError("--family names a built-in family and --model a model of yours: give one of them")
    from .modelfile import load_model

    return load_model(a.model)


# -- output ---------------------------------------------------------------------------

def _say(text: str = "") -> None:
    """Print ``text`` on standard output. A reader that has gone away (``| head -1``)
    does not end the command: the files the user asked for are still written and the
    exit status is still the run's; what is left to print goes nowhere."""
    try:
        print(text)
        # Flushed here: a broken pipe found only at exit would print "Exception ignored
        # ..." and turn the exit status into 120.
        sys.stdout.flush()
    except BrokenPipeError:
        _stdout_to_devnull()


def _stdout_to_devnull() -> None:
    import os

    fd = os.open(os.devnull, os.O_WRONLY)
    os.dup2(fd, sys.stdout.fileno())
    os.close(fd)


# -- commands -------------------------------------------------------------------------

def cmd_fit(a) -> int:
    r = _run_fit(a)
    return EXIT_OK if r.converged else EXIT_NOT_CONVERGED


def _run_fit(a):
    """The fit the options ask for, printed, and its --trace-out and --plot written."""
    from . import engine
    from .io import atomic_write

    _check_output(a.trace_out, "--trace-out", a.file)
    _check_output(a.plot, "--plot", a.file, picture=True)
    if a.dask and a.scheduler:
        raise UsageError("--dask starts a local cluster and --scheduler connects to one: give one of them")
    model = _load_model(a)
    kw = _fit_options(a, model)
    if a.free_loc:
        r = _fit_free_loc(a, kw)
    elif any(getattr(a, k) is not None for k in CENSORING):
        r = _fit_censored(a, kw, model)
    else:
        opts = engine.check_options(**kw, nonfinite="drop" if a.drop_nonfinite else "raise")
        if (a.dask or a.scheduler) and a.file == "-":
            raise UsageError("--dask/--scheduler need a file: standard input cannot be read by the workers")
        if (a.dask or a.scheduler) and (a.columns is not None or (model is not None and a.column is None)):
            raise UsageError("--dask/--scheduler read one column of FILE: with --model give --column, or leave out "
                             "--dask to read several columns")
        r = _fit_model_file(a, opts, model) if model is not None else _fit_file(a, opts)
    if a.json:
        _say(json.dumps(r.to_dict(intervals=a.intervals), indent=1, allow_nan=False))
    else:
        _say(r.summary(intervals=a.intervals or "wald"))
    if a.trace_out:
        with atomic_write(a.trace_out) as fh:
            cols = ["iteration", *r.params, "loglik", "grad_norm"]
            fh.write(",".join(cols) + "\n")
            t = r.trace
            for k in range(len(t["loglik"])):
                fh.write(",".join(repr(float(t[c][k])) if c != "iteration" else str(int(t[c][k])) for c in cols) + "\n")
    if a.plot:
        from .plot import fit_figure

        fit_figure(r, a.plot)
    return r


def _fit_free_loc(a, kw: dict):
    """--free-loc: the three-parameter fit (loc estimated), data read into memory."""
    from .fit import fit

    for flag, given in (("--trace-out", a.trace_out), ("--plot", a.plot), ("--dask", a.dask or a.scheduler),
                        ("--model", a.model), ("--columns", a.columns),
                        ("--event/--lower/--upper/--entry/--weight/--truncation",
                         any(getattr(a, k) is not None for k in CENSORING))):
        if given:
            raise UsageError(f"--free-loc fits the location by its own profile-likelihood method, without {flag}")
    return fit(a.file, **kw, free_loc=True, nonfinite="drop" if a.drop_nonfinite else "raise",
               columns=None if a.column is None else [a.column])


#: The options that make a fit censored, truncated or weighted (each names a column).
CENSORING = ("event", "lower", "upper", "entry", "weight", "truncation")


def _fit_censored(a, kw: dict, model):
    """Censored, truncated or weighted data: the columns named by --column, --event,
    --lower/--upper, --entry and --weight, read whole (a table of rows)."""
    import numpy as np
    import scipy.stats

    from .fit import fit
    from .source import open_source

    if model is not None:
        raise UsageError("--event, --lower/--upper, --entry and --weight are for the built-in families, not --model")
    if a.dask or a.scheduler or a.columns is not None:
        raise UsageError("--event, --lower/--upper, --entry and --weight read their columns whole: leave out "
                         "--dask, --scheduler and --columns")
    if a.file == "-":
        raise UsageError("--event, --lower/--upper, --entry and --weight name columns of a file, not standard input")
    if (a.lower is None) != (a.upper is None):
        raise UsageError("--lower and --upper give an interval together: give both")
    if a.lower is not None and (a.event is not None or a.column is not None):
        raise UsageError("--lower/--upper give the values themselves: leave out --column and --event")
    if a.lower is None and a.column is None:
        raise UsageError("with --event, --entry, --weight or --truncation, name the column of the values with --column")
    truncation = None if a.truncation is None else _truncation(a.truncation)
    names = [n for n in (a.column, a.event, a.lower, a.upper, a.entry, a.weight) if n is not None]
    source = open_source(a.file, columns=[str(n) for n in names])
    source.empty_is_nan = a.lower is not None  # an empty bound: censored on that side
    chunks = [c for _, c in source.chunks()]
    col = {str(n): np.concatenate([c[str(n)] for c in chunks]) if chunks else np.empty(0) for n in names}
    take = lambda n: None if n is None else col[str(n)]
    if a.lower is not None:
        lo, hi = take(a.lower), take(a.upper)
        lo = np.where(np.isnan(lo), -np.inf, lo)
        hi = np.where(np.isnan(hi), np.inf, hi)
        exact = lo == hi
        data = scipy.stats.CensoredData(uncensored=lo[exact], interval=np.column_stack([lo[~exact], hi[~exact]]))
    else:
        data = take(a.column)
    return fit(data, **kw, event=take(a.event), weights=take(a.weight), entry=take(a.entry), truncation=truncation,
               nonfinite="drop" if a.drop_nonfinite else "raise")


def _truncation(text: str) -> tuple:
    """--truncation LO,HI (either may be empty: open on that side) or LO."""
    parts = text.split(",")
    if len(parts) > 2:
        raise UsageError(f"--truncation takes LO,HI or LO (an empty end is open), got {text!r}")
    ends = []
    for p in parts + [""] * (2 - len(parts)):
        try:
            ends.append(float(p) if p.strip() else None)
        except ValueError:
            raise UsageError(f"--truncation takes numbers LO,HI (an empty end is open), got {text!r}") from None
    return tuple(ends)


def _fit_model_file(a, opts, model):
    """As _fit_file, with an exception of the model's own code during the run (after
    the checks at the start) named as such, in one line."""
    from .model import brief, raised_at

    code = getattr(model.logpdf, "__code__", None)
    try:
        return _fit_file(a, opts)
    except Exception as exc:
        if code is None or raised_at(exc, code.co_filename) is None:
            raise
        raise ValueError(f"--model {a.model}: the model's logpdf raised during the fit ({brief(exc, code)})") from None


def _fit_file(a, opts):
    """A file or standard input, read in chunks (never whole); with --dask or
    --scheduler, on a cluster."""
    from . import engine
    from .progress import Progress
    from .record import DataRecord
    from .source import DaskSource, dask_array

    client = None
    if a.dask or a.scheduler:
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise UsageError("--dask and --scheduler need dask.distributed: pip install 'gradmle[dask]'") from None
        if a.scheduler:
            try:
                client = Client(a.scheduler, timeout="10s")
            except OSError as exc:
                raise UsageError(f"--scheduler {a.scheduler}: cannot connect ({exc})") from None
        else:
            client = Client(LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None))
    try:
        data = DataRecord(DaskSource(dask_array(a.file, a.column)), opts.nonfinite) if client else a.file
        with Progress(f"reading {'standard input' if a.file == '-' else Path(a.file).name}", a.quiet) as bar:
            return engine.fit(data, opts, progress=bar, column=a.column)
    finally:
        if client is not None:
            cluster = client.cluster
            client.close()
            if cluster is not None and not a.scheduler:
                cluster.close()


def cmd_select(a) -> int:
    s = _run_select(a)
    return EXIT_OK if s.best is not None else EXIT_NONE_CONVERGED


def _fixed_per_family(text):
    """``"binom:n=10"`` -> ``{"binom": {"n": 10.0}}`` (items separated by commas)."""
    if text is None:
        return None
    out: dict = {}
    for part in text.split(","):
        family, colon, rest = part.partition(":")
        if not colon or not family.strip():
            raise UsageError(f"--fixed: expected FAMILY:NAME=VALUE, e.g. binom:n=10, got {part!r}")
        out.setdefault(family.strip(), {}).update(parse_init(rest, "--fixed"))
    return out


def _run_select(a):
    """The selection the options ask for, printed, and its --plot written."""
    from .select import select

    _check_output(a.plot, "--plot", a.file, picture=True)
    families = None
    if a.families is not None:
        families = [f.strip() for f in a.families.split(",")]
        if not all(families):
            raise UsageError(f"--families: expected names separated by commas, got {a.families!r}")
    if a.n_boot is not None and a.gof is None:
        raise UsageError("--n-boot is the number of bootstrap replicates of --gof bootstrap: give --gof bootstrap")
    s = select(a.file, families=families, criterion=a.criterion, gof=a.gof, n_boot=a.n_boot or 200, seed=a.seed,
               column=a.column, nonfinite="drop" if a.drop_nonfinite else "raise", workers=a.workers,
               progress=not a.quiet, fixed=_fixed_per_family(getattr(a, "fixed", None)),
               **({"free_loc": True} if a.free_loc else {}))
    _say(json.dumps(s.to_dict(), indent=1, allow_nan=False) if a.json else s.summary())
    if a.plot:
        if s.best is None:
            raise ValueError(f"--plot {a.plot}: no candidate converged, so there is no fit to draw")
        s.plot(path=a.plot)
    return s


def cmd_demo(a) -> int:
    from .demo import N, STEP, demo_runs, demo_table

    out = Path(a.out) if a.out else None
    if out is not None and out.exists() and not out.is_dir():
        raise UsageError(f"--out {a.out}: exists and is not a directory")
    _say(
        f"The classic question: fit N(mu, sigma) to {N:,} draws of N(2, 1) (seed 0) by gradient\n"
        f"schemes with step gamma = {STEP}, from mu0 = -1; 100 iterations (coordinate: 10 x 10).\n"
    )
    runs = demo_runs()
    _say(demo_table(runs))
    if out is not None:
        from .demo import demo_pictures

        out.mkdir(parents=True, exist_ok=True)
        paths = demo_pictures(runs, out, quiet=a.quiet)
        _say("\npictures: " + ", ".join(str(p) for p in paths))
    return EXIT_OK


def cmd_sweep(a) -> int:
    from .methods import get_method
    from .progress import Progress
    from .record import as_record
    from .sweep import SWEEP_OUTCOMES, sweep

    _check_output(a.out, "--out", a.file, picture=True)
    if not get_method(a.method).has_bound:
        raise UsageError(f"--method {a.method}: a stability map is for the fixed-step methods "
                         "(gradient, sequential, coordinate, fisher)")
    if a.n_inner is not None and not get_method(a.method).sweeps:
        raise UsageError(f"--n-inner applies only to --method coordinate, not {a.method}")
    data = as_record(a.file, a.column)
    with Progress(f"sweeping {a.method}", a.quiet) as bar:
        m = sweep(data, method=a.method, parametrization=a.parametrization, mu0=a.mu0, max_iter=a.max_iter,
                  n_inner=a.n_inner, progress=bar)
    _say(f"stability map of {m.method} ({m.parametrization}); mu0 = {m.mu0:.6g}; bound gamma < {m.bound:.6g}: {m.formula}")
    marks = ".~xs"
    _say("rows: sigma0 / sigma_hat; columns: step / bound ("
         + ", ".join(f"{c} {o}" for c, o in zip(marks, SWEEP_OUTCOMES)) + ")")
    ratios = m.steps / m.bound
    _say(" " * 9 + "".join("|" if abs(math.log(r)) < 0.5 * math.log(ratios[1] / ratios[0]) else " " for r in ratios) + "  <- bound")
    for i in range(len(m.sigma0s) - 1, -1, -1):
        _say(f"{m.sigma0s[i] / m.sigma_hat:>8.3g} " + "".join(marks[k] for k in m.outcome[i]))
    _say(f"steps from {m.steps[0]:.3g} to {m.steps[-1]:.3g}; counts: {m.counts()}")
    if a.out:
        from .plot import new_figure, stability_map, write

        fig = new_figure((6, 4.5))
        stability_map(fig.subplots(), m)
        write(fig, a.out)
        _say(f"picture: {a.out}")
    return EXIT_OK


def cmd_report(a) -> int:
    import shlex

    for dest, (flag, default) in a.only[a.select].items():
        if getattr(a, dest) != default:
            raise UsageError(f"{flag} is an option of 'gradmle {'fit' if a.select else 'select'}': "
                             + ("leave out --select to report a fit" if a.select else "add --select to report a "
                                "selection"))
    _check_output(a.out, "--out", a.file)
    if Path(a.out).suffix.lower() not in (".html", ".htm"):
        raise UsageError(f"--out {a.out}: a report is an HTML file: name it FILE.html")
    for flag, other in (("--plot", a.plot), ("--trace-out", getattr(a, "trace_out", None))):
        if other is not None and Path(other).resolve() == Path(a.out).resolve():
            raise UsageError(f"--out {a.out} is also {flag}: give each output a file of its own")
    command = shlex.join(["gradmle", *a.argv])
    if a.file != "-":
        return _report(a, command)
    import shutil
    import tempfile

    # Standard input is read once: kept in a file for the fit and the data summary.
    with tempfile.TemporaryDirectory() as folder:
        a.file = str(Path(folder) / "standard-input")
        with open(a.file, "wb") as fh:
            shutil.copyfileobj(sys.stdin.buffer, fh)
        return _report(a, command)


def _report(a, command: str) -> int:
    from .report import fit_report, selection_report, write_report

    if a.select:
        s = _run_select(a)
        write_report(selection_report(s, command), a.out)
        status = EXIT_OK if s.best is not None else EXIT_NONE_CONVERGED
    else:
        r = _run_fit(a)
        values, dropped = _report_values(a)
        write_report(fit_report(r, command, values, dropped, a.intervals or "wald"), a.out)
        status = EXIT_OK if r.converged else EXIT_NOT_CONVERGED
    if not a.json:
        _say(f"\nreport: {a.out}")
    return status


def _report_values(a):
    """The values of a fit's column, for the report's data summary and diagnostic
    pictures, and how many non-finite ones --drop-nonfinite left out; (None, 0) for a
    model's columns or interval bounds."""
    import numpy as np

    from .source import open_source

    if a.model is not None or a.lower is not None or a.columns is not None:
        return None, 0
    x = open_source(a.file, a.column).to_array()
    finite = np.isfinite(x)
    return x[finite], int(x.size - finite.sum())


def build_parser():
    """The parser of every command, each bound to the function that runs it."""
    return parser_for({"fit": cmd_fit, "select": cmd_select, "report": cmd_report, "demo": cmd_demo,
                       "sweep": cmd_sweep})


def main(argv=None) -> int:
    try:
        previous = signal.signal(signal.SIGTERM, _terminate)
    except ValueError:  # not the main thread, where alone Python handles signals
        return _main(argv)
    try:
        return _main(argv)
    finally:
        # main() may run inside a process that lives on (the tests): give back its handler.
        signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)


def _main(argv) -> int:
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        args.argv = list(sys.argv[1:] if argv is None else argv)
        if not getattr(args, "func", None):
            parser.print_help()
            return EXIT_USAGE
        return args.func(args)
    except BrokenPipeError:  # the reader went away (``| head``) during output _say does not print
        _stdout_to_devnull()
        return EXIT_OK
    except (ValueError, TypeError, OSError) as exc:
        msg = " ".join(str(exc).split())  # one line, whatever the message held
        print(f"gradmle: error: {msg}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("gradmle: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Terminated:
        print("gradmle: terminated", file=sys.stderr)
        return EXIT_TERMINATED
    except Exception as exc:  # a bug of gradmle's or a library's: still one line, never a traceback
        msg = " ".join(f"{type(exc).__name__}: {exc}".split())
        print(f"gradmle: error: unexpected failure, please report it: {msg}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
