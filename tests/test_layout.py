"""The package's shape: no import cycles, every module importable on its own.

An import inside a function still ties two modules together (it only delays the import), so
the cycle check counts it; only imports for type checkers (``if TYPE_CHECKING:``) are left out.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import briefgen

PACKAGE = Path(briefgen.__file__).parent
SKIP = ("migrations",)   # Alembic's scripts, run by Alembic, not imported by briefgen


def module_files() -> dict[str, Path]:
    """Every module of briefgen by dotted name (a package by its __init__)."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if any(part in SKIP for part in parts):
            continue
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _runtime_imports(tree: ast.AST):
    """Every import statement that runs, at module level or inside a function."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node):
            stack.extend(node.orelse)
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        stack.extend(ast.iter_child_nodes(node))


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The briefgen modules that ``name`` imports, with the packages they sit in."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets: set[str] = set()
    for node in _runtime_imports(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            wanted = [alias.name for alias in node.names]
        else:
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[:len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            # `from . import charts` imports a module; `from .x import y` imports x
            wanted = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base
                      for a in node.names]
        for target in wanted:
            parts = target.split(".")
            for i in range(1, len(parts) + 1):   # a module imports its packages first
                if ".".join(parts[:i]) in modules:
                    targets.add(".".join(parts[:i]))
    targets.discard(name)
    return targets


def import_graph() -> dict[str, set[str]]:
    modules = module_files()
    return {name: imports_of(name, path, modules) for name, path in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_check_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_the_graph_sees_relative_and_function_level_imports():
    graph = import_graph()
    assert "briefgen.batch.sources" in graph["briefgen.batch.overview"]   # module level, ..
    assert "briefgen.survey.read" in graph["briefgen.batch.sources"]      # inside a function
    kit = [name for name in graph if name == "briefgen.kit" or name.startswith("briefgen.kit.")]
    assert {"briefgen.kit.deck", "briefgen.kit.workbook", "briefgen.kit.charts"} <= set(kit)
    assert "briefgen.charts" in graph["briefgen.kit.charts"]


def test_the_kit_receives_what_it_draws_from():
    """The kit never calls back into the pipeline, not even for type checkers."""
    graph = import_graph()
    files = module_files()
    for name in (n for n in graph if n == "briefgen.kit" or n.startswith("briefgen.kit.")):
        assert "briefgen.pipeline" not in graph[name], name
        source = files[name].read_text("utf-8")
        assert "..pipeline" not in source and "briefgen.pipeline" not in source, name


def test_no_import_cycles():
    assert cycles(import_graph()) == []


def test_every_module_imports_on_its_own():
    """Each module imported with none of briefgen loaded before it: an import that only works
    after another module has run fails. One interpreter (the libraries briefgen uses stay
    loaded, which is not what this checks), briefgen's modules dropped before each import."""
    names = [n for n in module_files() if n != "briefgen.__main__"]
    code = ("import importlib, sys, traceback\n"
            "bad = []\n"
            f"for name in {names!r}:\n"
            "    for loaded in [m for m in sys.modules if m.split('.')[0] == 'briefgen']:\n"
            "        del sys.modules[loaded]\n"
            "    try:\n"
            "        importlib.import_module(name)\n"
            "    except Exception as exc:\n"
            "        bad.append(f'{name}: {type(exc).__name__}: {exc}')\n"
            "print('\\n'.join(bad))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "", done.stdout


def test_only_the_commands_and_the_workers_import_the_pipeline():
    """Options live in briefgen.options: no module below the pipeline imports it back. Those
    that run briefings (the CLI, the batch's workers and fork server, serve's briefing) may."""
    above = {"briefgen.cli", "briefgen.batch.runner", "briefgen.serve.app", "briefgen.warm",
             "briefgen", "briefgen.__main__"}
    graph = import_graph()
    importers = {name for name, deps in graph.items() if "briefgen.pipeline" in deps}
    assert importers <= above, importers - above
    assert "briefgen.pipeline" not in graph["briefgen.options"]
    assert graph["briefgen.options"] <= {"briefgen", "briefgen.errors"}


def test_options_refuse_an_unknown_choice_with_the_allowed_list():
    from briefgen.errors import InputError
    from briefgen.options import FORMATS, LANGS, PDF_VARIANTS, Options

    assert (LANGS, FORMATS, PDF_VARIANTS) == (("sv", "en"), ("pdf", "pptx", "xlsx", "charts"),
                                              ("pdf/ua-1", "pdf/a-3b"))
    for kwargs, message in (({"formats": ("pdf", "docx")}, "--format: 'docx' is not supported "
                             "(allowed: pdf, pptx, xlsx, charts)"),
                            ({"lang": "de"}, "--lang: 'de' is not supported (allowed: sv, en)"),
                            ({"pdf_variant": "pdf/a-1b"}, "--pdf-variant: 'pdf/a-1b'")):
        with pytest.raises(InputError) as caught:
            Options(**kwargs)
        assert str(caught.value).startswith(message)
