"""Plug-ins: embedders, reducers and clusterers chosen by name, or given as objects.

Three slots, each a place where a ``ThemeModel`` or the tagging pipeline asks for a component:

=============  ==============================================  =====================================
slot           a registered name makes (factory signature)     an object needs
=============  ==============================================  =====================================
``embedder``   ``factory() -> embedder``                        ``encode(texts) -> (n, dim) array``
``reducer``    ``factory(n_components=, seed=, **kw) -> red``   ``fit_transform(X) -> (n, d) array``
``clusterer``  ``func(Z, min_size, seed) -> int labels``        ``fit_predict(Z) -> int labels``
=============  ==============================================  =====================================

Register a name with the decorator; it can then be used wherever a name is accepted (settings
files, ``--reducer``, ``ThemeModel(reducer=...)``)::

    import mining.registry

    @mining.registry.register("reducer", "svd")
    def make_svd(n_components=5, seed=42, **_):
        from sklearn.decomposition import TruncatedSVD
        return TruncatedSVD(n_components=n_components, random_state=seed)

    mining.ThemeModel(reducer="svd")                   # by name
    mining.ThemeModel(reducer=TruncatedSVD(5))         # or the object itself (BERTopic-style)

Names live in the modules that own the built-ins (``mining.embed.EMBEDDERS``,
``mining.reduce.REDUCERS``, ``mining.themes.cluster.CLUSTERERS``), so an unknown name is
reported with every choice ([E002]). An object without the needed method is refused ([E008]).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any, TypeVar

from mining.errors import ConfigError, Errors

F = TypeVar("F", bound=Callable[..., Any])

#: slot -> (module, dict attribute, methods an object must have)
SLOTS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "embedder": ("mining.embed", "EMBEDDERS", ("encode",)),
    "reducer": ("mining.reduce", "REDUCERS", ("fit_transform",)),
    "clusterer": ("mining.themes.cluster", "CLUSTERERS", ("fit_predict",)),
}


def _table(slot: str) -> dict[str, Any]:
    if slot not in SLOTS:
        raise ConfigError(Errors.E002.format(kind="plug-in slot", name=slot,
                                             choices=", ".join(SLOTS)))
    module, attr, _ = SLOTS[slot]
    return getattr(importlib.import_module(module), attr)


def register(slot: str, name: str) -> Callable[[F], F]:
    """Decorator: register a factory (or, for clusterers, a function) under ``name``.

    Args:
        slot: ``"embedder"``, ``"reducer"`` or ``"clusterer"``.
        name: The name settings and options will use; an existing name is replaced.

    Returns:
        The decorator; it returns the function unchanged.

    Raises:
        ConfigError: [E002] for an unknown slot.
    """
    table = _table(slot)

    def decorator(func: F) -> F:
        table[name] = func
        return func

    return decorator


def names(slot: str) -> list[str]:
    """Return the registered names of a slot, sorted."""
    return sorted(_table(slot))


def is_object(slot: str, value: Any) -> bool:
    """True when ``value`` is a component object for ``slot`` (not a name).

    Raises:
        ConfigError: [E008] when ``value`` is neither a string nor an object with the slot's
            methods.
    """
    if value is None or isinstance(value, str):
        return False
    methods = SLOTS[slot][2]
    if slot == "clusterer" and hasattr(value, "fit") and not hasattr(value, "fit_predict"):
        return True  # fit(Z).labels_ also works
    if not all(callable(getattr(value, m, None)) for m in methods):
        raise ConfigError(Errors.E008.format(slot=slot, methods=" and ".join(methods),
                                             got=type(value).__name__))
    return True


def name_of(value: Any) -> str | None:
    """A name to save for a component given as a name, None or an object."""
    if value is None or isinstance(value, str):
        return value
    return str(getattr(value, "name", None) or type(value).__name__)
