"""Fails when the modules of a Python package import each other in a cycle.

Counts only imports that run when a module is imported: statements at module level (also
inside module-level `if`/`try`/`with` blocks), but not those under `if TYPE_CHECKING:` and not
those inside functions or classes. Imports of the package's own modules are resolved,
relative or absolute; everything else is ignored. The implicit import of a parent package
(`import pkg.a` runs `pkg/__init__.py` first) is not an edge: every module would then depend
on `__init__`, which re-exports them all, and each module would sit in one cycle.

    python scripts/check_imports.py [--graph] [--deferred] [PACKAGE_DIR]
                                               (default: python/asiofetch)

`--deferred` also counts imports inside functions and classes: a function-level import is
the usual way a cycle is hidden rather than removed (`make lint` passes it).

Exit status 0 without a cycle, 1 with one (each cycle's modules are printed).
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path


def modules_of(package_dir: Path) -> dict[str, Path]:
    """Dotted module name -> source file, for every .py file under the package, and for every
    compiled module that has a .pyi stub (`from . import _core`: a module, with no imports)."""
    root = package_dir.name
    out: dict[str, Path] = {}
    for pattern in ("*.py", "*.pyi"):
        for path in sorted(package_dir.rglob(pattern)):
            parts = list(path.relative_to(package_dir).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            out.setdefault(".".join([root, *parts]), path)
    return out


def _is_type_checking(test: ast.expr) -> bool:
    if isinstance(test, ast.Name):
        return test.id == "TYPE_CHECKING"
    return isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"


def _runtime_imports(
    body: Iterable[ast.stmt], deferred: bool
) -> Iterator[ast.Import | ast.ImportFrom]:
    """Import statements that execute at import time (not TYPE_CHECKING-only); with
    `deferred`, also those inside functions and classes (run on first call: a cycle hidden
    in a function body is still a cycle between the two modules' jobs)."""
    for node in body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif isinstance(node, ast.If):
            if not _is_type_checking(node.test):
                yield from _runtime_imports(node.body, deferred)
            yield from _runtime_imports(node.orelse, deferred)
        elif isinstance(node, ast.Try):
            for block in (node.body, node.orelse, node.finalbody):
                yield from _runtime_imports(block, deferred)
            for handler in node.handlers:
                yield from _runtime_imports(handler.body, deferred)
        elif isinstance(node, (ast.With, ast.For, ast.While)) or (
            deferred and isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
        ):
            yield from _runtime_imports(node.body, deferred)


def _resolve(name: str, known: dict[str, Path]) -> str | None:
    """The package module `name` names (itself or its nearest known parent), else None."""
    while name:
        if name in known:
            return name
        name = name.rpartition(".")[0]
    return None


def import_graph(package_dir: Path, deferred: bool = False) -> dict[str, set[str]]:
    """Module -> the package modules it imports at import time (with `deferred`, or later)."""
    known = modules_of(package_dir)
    graph: dict[str, set[str]] = {m: set() for m in known}
    for module, path in known.items():
        if path.suffix == ".pyi":
            continue  # a compiled module: its stub's imports never run
        is_pkg = path.name == "__init__.py"
        # The package a relative import of level 1 starts from.
        here = module if is_pkg else module.rpartition(".")[0]
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in _runtime_imports(tree.body, deferred):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                if node.level:
                    base = here.split(".")
                    if node.level > 1:
                        base = base[: len(base) - (node.level - 1)]
                    prefix = ".".join(base)
                    source = f"{prefix}.{node.module}" if node.module else prefix
                else:
                    source = node.module or ""
                # `from pkg import sub` imports the submodule; `from pkg import name`, pkg.
                for alias in node.names:
                    sub = f"{source}.{alias.name}"
                    targets.append(sub if sub in known else source)
            for target in targets:
                resolved = _resolve(target, known)
                if resolved is not None and resolved != module:
                    graph[module].add(resolved)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, successors = work[-1]
            advanced = False
            for nxt in successors:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(graph[nxt]))))
                    advanced = True
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("package", nargs="?", default="python/asiofetch", type=Path)
    parser.add_argument("--graph", action="store_true", help="print every module's imports")
    parser.add_argument(
        "--deferred",
        action="store_true",
        help="also count imports inside functions and classes",
    )
    args = parser.parse_args(argv)
    if not (args.package / "__init__.py").is_file():
        parser.error(f"{args.package} is not a package (no __init__.py)")
    graph = import_graph(args.package, args.deferred)
    if args.graph:
        for module in sorted(graph):
            print(f"{module} -> {', '.join(sorted(graph[module])) or '(none)'}")
    found = cycles(graph)
    for component in found:
        print(f"import cycle: {' <-> '.join(component)}", file=sys.stderr)
    if found:
        return 1
    print(f"{args.package}: {len(graph)} modules, no import cycle")
    return 0


if __name__ == "__main__":
    sys.exit(main())
