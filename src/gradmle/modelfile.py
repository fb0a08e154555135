"""A model of the user's from a Python file: ``--model models.py:NAME`` on the command
line, where NAME is a :class:`gradmle.Model` defined in that file.

Every refusal is one ValueError naming the file and the problem: a file that is
missing or not Python, a syntax error or an exception while importing it (with its
line), a NAME the file does not define or that is no Model (with the Models it does
define), no NAME where the file defines several Models.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from .model import Model, brief, raised_at

__all__ = ["load_model", "split_spec"]

#: Modules imported, by (path, modification time, size): a file imported again in the
#: same process, unchanged, gives the same Models (and JAX compiles their functions once).
_LOADED: dict = {}


def split_spec(spec: str) -> tuple[str, str | None]:
    """``"models.py:regression"`` -> ``("models.py", "regression")``; ``"models.py"``
    -> ``("models.py", None)``."""
    path, colon, name = spec.rpartition(":")
    if colon and path and (name.isidentifier() or not name):
        return path, name or None
    return spec, None


def load_model(spec: str, option: str = "--model") -> Model:
    """The Model ``spec`` (``FILE.py:NAME``, or ``FILE.py`` when the file defines
    exactly one Model)."""
    path, name = split_spec(spec)
    module = _import(Path(path), f"{option} {path}")
    models = [k for k, v in vars(module).items() if isinstance(v, Model) and not k.startswith("_")]
    where = f"{option} {path}"
    if name is None:
        if len(models) == 1:
            return getattr(module, models[0])
        if not models:
            raise ValueError(f"{where}: defines no gradmle.Model (a model is NAME = gradmle.Model(logpdf, params={{...}}))")
        raise ValueError(f"{where}: defines {len(models)} Models ({', '.join(models)}): name one, e.g. "
                         f"{option} {path}:{models[0]}")
    if not hasattr(module, name):
        has = f"the Models it defines: {', '.join(models)}" if models else "it defines no gradmle.Model"
        raise ValueError(f"{where}: has no {name!r}; {has}")
    obj = getattr(module, name)
    if not isinstance(obj, Model):
        has = f" (the Models it defines: {', '.join(models)})" if models else ""
        raise ValueError(f"{where}:{name} is a {type(obj).__name__}, not a gradmle.Model{has}")
    return obj


def _import(path: Path, where: str):
    """The module of the file at ``path``, imported under a name of its own (the file's
    folder first on sys.path while it is imported, so that it can import its
    neighbours)."""
    if not path.exists():
        raise ValueError(f"{where}: no such file")
    if path.is_dir():
        raise ValueError(f"{where}: is a directory, not a Python file")
    if path.suffix != ".py":
        raise ValueError(f"{where}: not a Python file (the model file must end in .py)")
    try:
        stat = path.stat()
        key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size)
        if key in _LOADED:
            return _LOADED[key]
        source = path.read_bytes()
    except OSError as exc:
        raise ValueError(f"{where}: cannot be read ({exc.strerror or exc})") from None
    try:
        code = compile(source, str(path), "exec")
    except SyntaxError as exc:
        raise ValueError(f"{where}: line {exc.lineno}: {type(exc).__name__}: {exc.msg}") from None
    except ValueError as exc:  # (null bytes)
        raise ValueError(f"{where}: not a Python file ({exc})") from None
    module_name = f"gradmle_user_model_{abs(hash(str(path.resolve())))}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # (what dataclasses and pickling look up)
    folder = str(path.resolve().parent)
    sys.path.insert(0, folder)
    try:
        exec(code, vars(module))
    except (Exception, SystemExit) as exc:
        sys.modules.pop(module_name, None)
        line = raised_at(exc, str(path))
        raise ValueError(f"{where}: {type(exc).__name__} while importing it"
                         f"{f' at line {line}' if line else ''}: {brief(exc).partition(': ')[2] or '(no message)'}"
                         ) from None
    finally:
        try:
            sys.path.remove(folder)
        except ValueError:
            pass
    _LOADED[key] = module
    return module

