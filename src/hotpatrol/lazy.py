"""Lazy public names for a package's ``__init__`` (PEP 562 module ``__getattr__``/``__dir__``)."""

from __future__ import annotations

from importlib import import_module
from typing import Any, Callable, Mapping


def lazy_exports(package: str, where: Mapping[str, str], namespace: dict) -> tuple[Callable[[str], Any],
                                                                                   Callable[[], list]]:
    """The ``__getattr__`` and ``__dir__`` of a package whose public names load their module on first use.

    Parameters
    ----------
    package : str
        The package's dotted name, e.g. ``"hotpatrol.patrol"``.
    where : mapping of str to str
        Public name -> submodule (relative to ``package``) that defines it.
    namespace : dict
        The package's ``globals()``: a loaded name is cached there, so later uses skip ``__getattr__``.

    Returns
    -------
    (__getattr__, __dir__) : tuple of callables
        ``__getattr__(name)`` imports ``package.where[name]`` and returns its ``name``; it raises
        ``AttributeError`` for a name not in ``where``. ``__dir__()`` lists the namespace and the public names.
    """
    def __getattr__(name: str) -> Any:  # lazy: a name's module loads when the name is first used
        if name in where:
            value = getattr(import_module(f"{package}.{where[name]}"), name)
            namespace[name] = value
            return value
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__() -> list:
        return sorted(set(namespace) | set(where))

    return __getattr__, __dir__
