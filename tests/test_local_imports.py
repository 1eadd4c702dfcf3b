"""Import hygiene: no import cycles in `mining`, and every function-local import says why.

The import graph and the reasons are read with ast (nothing is imported); one test imports
``mining.cli`` in a subprocess to see what ``journeymine --help`` loads. A function-local import is
allowed only with a reason written beside it: a heavy package that a command must not pay for until
it needs it (``heavy:``), CLI start-up (``startup:``), an optional dependency, a cycle. The reason
is a ``#`` comment on the import line or on the line directly above; one comment line above a
block of consecutive imports covers the whole block.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "mining"

#: Packages too slow to load at the top of a module: they load where they are used.
HEAVY = ("torch", "sentence_transformers", "transformers", "umap", "hdbscan", "spacy", "sklearn",
         "scipy", "dask", "distributed", "onnxruntime", "plotly")


def _sources() -> dict[str, Path]:
    """Map every module name in the package (and the ``cli`` script) to its file."""
    found = {"cli": ROOT / "cli.py"}
    for path in sorted((ROOT / PACKAGE).rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _is_package(name: str, sources: dict[str, Path]) -> bool:
    return sources[name].name == "__init__.py"


def _absolute(node: ast.ImportFrom, module: str, sources: dict[str, Path]) -> str:
    """The absolute module a ``from`` import reads from (resolving relative imports)."""
    if not node.level:
        return node.module or ""
    package = module if _is_package(module, sources) else module.rpartition(".")[0]
    base = package.split(".")[: len(package.split(".")) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


def _targets(node: ast.Import | ast.ImportFrom, module: str, sources: dict[str, Path]) -> set[str]:
    """Package modules an import statement runs.

    ``from p import name`` needs ``p`` itself only when ``name`` is not a submodule. Importing
    ``p.q.r`` also runs ``p`` and ``p.q``, except the packages ``module`` itself lives in: those
    are already running when ``module`` runs.
    """
    if isinstance(node, ast.Import):
        names = {alias.name for alias in node.names}
    else:
        base = _absolute(node, module, sources)
        subs = {f"{base}.{alias.name}" for alias in node.names}
        names = {sub for sub in subs if sub in sources}
        if len(names) < len(subs):
            names.add(base)
    own = {module.rsplit(".", i)[0] for i in range(1, module.count(".") + 1)}
    loaded = set()
    for name in names:
        parts = name.split(".")
        loaded |= {".".join(parts[:i]) for i in range(1, len(parts))} - own
        loaded.add(name)
    return {name for name in loaded if name in sources and name != module}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _walk(tree: ast.AST, in_function: bool = False):
    """Yield ``(import node, enclosing function or None)`` for every import that runs."""
    for child in ast.iter_child_nodes(tree):
        if isinstance(child, ast.If) and _is_type_checking(child):
            yield from _walk_orelse(child, in_function)
            continue
        if isinstance(child, (ast.Import, ast.ImportFrom)):
            yield child, in_function
        scope = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
        inner = in_function or isinstance(child, scope)
        yield from _walk(child, inner)


def _walk_orelse(node: ast.If, in_function: bool):
    for child in node.orelse:
        yield from _walk(ast.Module(body=[child], type_ignores=[]), in_function)


def _parsed(sources: dict[str, Path]) -> dict[str, tuple[ast.Module, list[str]]]:
    out = {}
    for name, path in sources.items():
        text = path.read_text(encoding="utf-8")
        out[name] = (ast.parse(text), text.splitlines())
    return out


def import_graph(sources: dict[str, Path] | None = None) -> dict[str, set[str]]:
    """Module -> package modules it loads when it is imported (module-level imports only)."""
    sources = sources or _sources()
    graph = {}
    for name, (tree, _) in _parsed(sources).items():
        graph[name] = set()
        for node, in_function in _walk(tree):
            if not in_function:
                graph[name] |= _targets(node, name, sources)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as ``[a, b, ..., a]``, or None when the graph is acyclic."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start)):
            return found
    return None


def _has_reason(line: str) -> bool:
    """True when a source line carries a ``#`` comment that is more than a linter directive."""
    if "#" not in line:
        return False
    comment = line.split("#", 1)[1].strip()
    return bool(comment) and not comment.startswith(("noqa", "type:", "pragma"))


def unexplained_local_imports(sources: dict[str, Path] | None = None,
                              root: Path = ROOT) -> list[str]:
    """``path:line: import`` for every function-local import without a reason comment."""
    sources = sources or _sources()
    missing = []
    for name, (tree, lines) in _parsed(sources).items():
        local = sorted({node.lineno: node for node, inner in _walk(tree) if inner}.items())
        ends = {node.end_lineno: node for _, node in local}
        for lineno, node in local:
            if not _explained(lineno, node, lines, ends):
                rel = sources[name].relative_to(root)
                missing.append(f"{rel}:{lineno}: {lines[lineno - 1].strip()}")
    return missing


def _explained(lineno: int, node: ast.AST, lines: list[str], ends: dict[int, ast.AST]) -> bool:
    """A reason on the import's own lines, directly above, or above its block of imports."""
    if any(_has_reason(lines[i - 1]) for i in range(lineno, node.end_lineno + 1)):
        return True
    above = lineno - 1
    while above in ends:  # the import above is part of the same block: its reason covers this
        first = ends[above].lineno
        if any(_has_reason(lines[i - 1]) for i in range(first, above + 1)):
            return True
        above = first - 1
    return above >= 1 and lines[above - 1].strip().startswith("#") and _has_reason(lines[above - 1])


def test_local_imports_checker_finds_unexplained_and_cycles(tmp_path):
    pkg = tmp_path / PACKAGE
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from mining import b\n\n\ndef f():\n    import json\n"
                              "    # heavy: torch loads only when f runs\n    import torch\n"
                              "    import sklearn\n\n\ndef g():\n    import os  # noqa: F401\n")
    (pkg / "b.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                              "    from mining import a\n")
    sources = {"mining": pkg / "__init__.py", "mining.a": pkg / "a.py", "mining.b": pkg / "b.py"}
    missing = unexplained_local_imports(sources, root=tmp_path)
    assert [m.split(": ", 1)[1] for m in missing] == ["import json", "import os  # noqa: F401"]
    graph = import_graph(sources)
    assert find_cycle(graph) is None
    (pkg / "b.py").write_text("import mining.a\n")
    assert find_cycle(import_graph(sources)) == ["mining.a", "mining.b", "mining.a"]


def test_local_imports_have_a_reason():
    missing = unexplained_local_imports()
    assert not missing, "function-local imports without a reason comment:\n" + "\n".join(missing)


def test_local_imports_no_cycle_between_mining_modules():
    assert find_cycle(import_graph()) is None


def test_local_imports_cli_startup_loads_nothing_heavy():
    code = ("import sys, mining.cli; print(sorted({m.split('.')[0] for m in sys.modules} & "
            f"{set(HEAVY) | {'pandas', 'numpy', 'pyarrow'}!r}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=ROOT)
    assert out.stdout.strip() == "[]"
