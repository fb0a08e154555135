"""Command line: ``gradmle demo``. Thin: parse, call the API, print."""

from __future__ import annotations

import argparse
import sys

from . import __version__


def _cmd_demo(args) -> int:
    from .demo import N, STEP, demo_runs, demo_table

    print(
        f"The classic question: fit N(mu, sigma) to {N:,} draws of N(2, 1) (seed 0) by gradient\n"
        f"schemes with step gamma = {STEP}, from mu0 = -1; 100 iterations (coordinate: 10 x 10).\n"
    )
    print(demo_table(demo_runs()))
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="gradmle",
        description="Maximum-likelihood fits by gradient methods that record every iterate and explain divergence.",
        epilog="example:\n  gradmle demo",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--version", action="version", version=f"gradmle {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    d = sub.add_parser("demo", help="the classic Normal example, every scheme from two starts",
                       description="Fit N(mu, sigma) to built-in data by the classic gradient schemes.",
                       epilog="example:\n  gradmle demo", formatter_class=argparse.RawDescriptionHelpFormatter)
    d.set_defaults(func=_cmd_demo)
    return p




def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return args.func(args)
    except (ValueError, TypeError, OSError) as exc:
        print(f"gradmle: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("gradmle: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
