"""The layer rule of docs/architecture.md, enforced on the import graph of ``src/losslab``.

Every ``import`` in the package (module level and inside functions, relative ones resolved, and
``losslab.<name>`` attributes reached through the top-level lazy exports) is an edge between two
modules; each module belongs to one layer, and an edge may only point to the same or a lower
layer. ``advise`` and ``compare`` are peers that never import each other. A second check imports
each layer alone in a fresh interpreter and looks at ``sys.modules``.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

import losslab

SRC = Path(losslab.__file__).resolve().parent
ROOT = SRC.parents[1]

# Lowest first. A module belongs to the layer of its longest listed prefix; the top-level
# ``losslab`` package sits with _core because it imports only _core and exports the rest lazily.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("_core", ("losslab", "losslab._core")),
    ("links", ("losslab.links",)),
    ("losses", ("losslab.losses", "losslab.custom")),
    (
        "faces",
        (
            "losslab.kernels",
            "losslab.torch",
            "losslab.jax",
            "losslab.keras",
            "losslab.gbdt",
            "losslab.xgboost",
            "losslab.lightgbm",
        ),
    ),
    (
        "data",
        (
            "losslab.metrics",
            "losslab.tasks",
            "losslab.tabular",
            "losslab.hygiene",
            "losslab.datasets",
            "losslab.intent",
        ),
    ),
    ("train", ("losslab.train",)),
    ("sklearn", ("losslab.sklearn",)),
    ("advise/compare", ("losslab.advise", "losslab.compare")),
    ("report", ("losslab.report",)),
    ("workflows", ("losslab.workflows",)),
    ("cli", ("losslab.cli",)),
]
PEERS_APART = ("losslab.advise", "losslab.compare")  # neither may import the other
UI = ("typer", "rich")  # only the cli layer
HEAVY = ("torch", "jax", "jaxlib", "keras", "xgboost", "lightgbm", "pandas", "matplotlib")
LIGHT_LAYERS = ("_core", "links", "losses")  # no HEAVY import at module level
# Modules of a light layer that hold framework glue: the package imports them only from inside
# a function, once an array of that framework is at hand (they import the framework lazily too).
FRAMEWORK_GLUE = {"losslab._core._torch_function"}

# Edges known to break the rule and tolerated for now; a listed edge that no longer exists fails
# the test until its line here is deleted. Empty: keep it so.
KNOWN_VIOLATIONS: set[tuple[str, str]] = set()


def layer_of(module: str) -> int:
    best, index = "", -1
    for i, (_, prefixes) in enumerate(LAYERS):
        for p in prefixes:
            if (module == p or module.startswith(p + ".")) and len(p) > len(best):
                best, index = p, i
    return index


def _name(index: int) -> str:
    return LAYERS[index][0]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(p): p for p in sorted(SRC.rglob("*.py"))}
PACKAGES = {m for m, p in MODULES.items() if p.name == "__init__.py"}
LAZY_TOP = {name: target.partition(":")[0] for name, target in losslab._LAZY.items()}


@dataclass(frozen=True)
class Edge:
    source: str
    target: str  # a losslab module, or the top-level name of a third-party one
    path: Path
    line: int
    module_level: bool

    def __str__(self) -> str:
        where = "module level" if self.module_level else "in a function"
        return f"{self.path.relative_to(ROOT)}:{self.line}: {self.source} -> {self.target} ({where})"


def _existing(candidate: str) -> str:
    """The longest prefix of ``candidate`` that is a module of the package."""
    parts = candidate.split(".")
    while parts and ".".join(parts) not in MODULES:
        parts.pop()
    return ".".join(parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _dotted(node: ast.AST) -> list[str] | None:
    names = []
    while isinstance(node, ast.Attribute):
        names.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        return [node.id, *reversed(names)]
    return None


class _Visitor(ast.NodeVisitor):
    def __init__(self, module: str, path: Path) -> None:
        self.module, self.path = module, path
        self.package = module if module in PACKAGES else module.rpartition(".")[0]
        self.depth = 0  # functions entered
        self.aliases: dict[str, str] = {}  # local name -> losslab module it is bound to
        self.edges: list[Edge] = []

    def _add(self, target: str, node: ast.AST, runtime: bool = True) -> None:
        if target.split(".")[0] != "losslab":
            target = target.split(".")[0]
        elif target != "losslab" and target not in MODULES:
            target = _existing(target)
        self.edges.append(Edge(self.module, target, self.path, node.lineno, runtime and self.depth == 0))

    def visit_FunctionDef(self, node: ast.AST) -> None:
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    visit_AsyncFunctionDef = visit_Lambda = visit_FunctionDef

    def visit_If(self, node: ast.If) -> None:
        if not _is_type_checking(node):
            self.generic_visit(node)
            return
        # annotations only: an edge for the layer rule, never a module-level heavy import
        for child in node.body:
            for sub in ast.walk(child):
                if isinstance(sub, ast.Import | ast.ImportFrom):
                    for target in self._targets(sub):
                        self._add(target, sub, runtime=False)
        for child in node.orelse:
            self.visit(child)

    def _targets(self, node: ast.Import | ast.ImportFrom) -> list[str]:
        if isinstance(node, ast.Import):
            return [a.name for a in node.names]
        if node.level:
            base = self.package.split(".")
            base = base[: len(base) - (node.level - 1)]
            origin = ".".join(base + ([node.module] if node.module else []))
        else:
            origin = node.module or ""
        out = []
        for alias in node.names:
            sub = f"{origin}.{alias.name}"
            if sub in MODULES:
                out.append(sub)
            elif origin == "losslab" and alias.name in LAZY_TOP:
                out.append(LAZY_TOP[alias.name])
            else:
                out.append(origin)
        return out

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._add(alias.name, node)
            if alias.name.startswith("losslab"):
                self.aliases[alias.asname or alias.name.split(".")[0]] = (
                    alias.name if alias.asname else "losslab"
                )

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        for alias, target in zip(node.names, self._targets(node), strict=True):
            self._add(target, node)
            if target.startswith("losslab") and target in MODULES and target.endswith(alias.name):
                self.aliases[alias.asname or alias.name] = target

    def visit_Attribute(self, node: ast.Attribute) -> None:
        # ``losslab.compare(...)`` after ``import losslab`` runs losslab.compare: an edge too
        chain = _dotted(node)
        if chain and chain[0] in self.aliases and len(chain) > 1:
            base = self.aliases[chain[0]]
            if base == "losslab" and chain[1] in LAZY_TOP:
                self._add(LAZY_TOP[chain[1]], node)
            else:
                target = _existing(".".join([base, *chain[1:]]))
                if target != base:
                    self._add(target, node)
            return
        self.generic_visit(node)


def _edges() -> list[Edge]:
    edges = []
    for module, path in MODULES.items():
        visitor = _Visitor(module, path)
        visitor.visit(ast.parse(path.read_text(encoding="utf-8"), str(path)))
        edges.extend(visitor.edges)
    return edges


EDGES = _edges()


def _broken(edge: Edge) -> str | None:
    """Why ``edge`` breaks the layer rule, or None."""
    if not edge.target.startswith("losslab"):
        return None
    src, dst = layer_of(edge.source), layer_of(edge.target)
    if dst > src:
        return f"layer {_name(src)!r} imports the higher layer {_name(dst)!r}"
    a, b = (next((p for p in PEERS_APART if m.startswith(p)), None) for m in (edge.source, edge.target))
    if a and b and a != b:
        return "advise and compare never import each other"
    return None


def test_every_module_has_a_layer() -> None:
    missing = [m for m in MODULES if layer_of(m) < 0]
    assert not missing, f"add these modules to LAYERS in {__file__} and docs/architecture.md: {missing}"


def test_the_scan_sees_lazy_relative_and_attribute_imports() -> None:
    # the analysis itself, on a made-up module placed in losslab/losses/
    source = (
        "from typing import TYPE_CHECKING\n"
        "import losslab\n"
        "from .._core import special\n"
        "from ..links import IDENTITY\n"
        "if TYPE_CHECKING:\n"
        "    from ..train.loop import fit\n"
        "def f():\n"
        "    import torch\n"
        "    from ..compare import plan\n"
        "    return losslab.advise(None), losslab.get('mse')\n"
    )
    path = SRC / "losses" / "made_up.py"
    visitor = _Visitor("losslab.losses.made_up", path)
    visitor.visit(ast.parse(source))
    found = {(e.target, e.line, e.module_level) for e in visitor.edges}
    assert found == {
        ("typing", 1, True),
        ("losslab", 2, True),
        ("losslab._core.special", 3, True),
        ("losslab.links", 4, True),
        ("losslab.train.loop", 6, False),  # annotations only: counted for layers, not executed
        ("torch", 8, False),
        ("losslab.compare.plan", 9, False),
        ("losslab.advise", 10, False),  # through the top-level lazy export
    }
    broken = sorted(e.target for e in visitor.edges if _broken(e))
    assert broken == ["losslab.advise", "losslab.compare.plan", "losslab.train.loop"]


def test_imports_flow_down_the_layers() -> None:
    broken = [(e, why) for e in EDGES if (why := _broken(e))]
    unknown = [f"{e}: {why}" for e, why in broken if (e.source, e.target) not in KNOWN_VIOLATIONS]
    assert not unknown, "imports against the layer order (docs/architecture.md):\n" + "\n".join(unknown)
    still = {(e.source, e.target) for e, _ in broken}
    gone = sorted(KNOWN_VIOLATIONS - still)
    assert not gone, f"these edges no longer exist; remove them from KNOWN_VIOLATIONS: {gone}"


def test_only_the_cli_imports_typer_and_rich() -> None:
    cli = layer_of("losslab.cli")
    bad = [str(e) for e in EDGES if e.target in UI and layer_of(e.source) < cli]
    assert not bad, "typer/rich below the cli:\n" + "\n".join(bad)


def test_light_layers_import_no_framework_at_module_level() -> None:
    light = {i for i, (name, _) in enumerate(LAYERS) if name in LIGHT_LAYERS}
    bad = [str(e) for e in EDGES if e.module_level and e.target in HEAVY and layer_of(e.source) in light]
    assert not bad, "heavy framework imported at module level:\n" + "\n".join(bad)
    # the glue modules are reached only from inside functions, so importing their layer never
    # loads the framework
    eager = [str(e) for e in EDGES if e.target in FRAMEWORK_GLUE and e.module_level]
    assert not eager, "framework glue imported at module level:\n" + "\n".join(eager)


_PROBE = """
import importlib, json, sys
for name in {modules!r}:
    try:
        importlib.import_module(name)
    except ModuleNotFoundError as exc:  # an optional framework that is not installed
        if (exc.name or "").startswith("losslab"):
            raise
print(json.dumps(sorted(m for m in sys.modules if m.startswith("losslab"))))
"""


def _loaded_by(modules: list[str]) -> list[str]:
    """The losslab modules in ``sys.modules`` after importing ``modules`` in a fresh interpreter."""
    out = subprocess.run(
        [sys.executable, "-c", _PROBE.format(modules=modules)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("index", range(len(LAYERS)), ids=[name for name, _ in LAYERS])
def test_a_layer_imported_alone_loads_no_higher_layer(index: int) -> None:
    modules = sorted(m for m in MODULES if layer_of(m) == index)
    if not modules:
        pytest.skip(f"layer {_name(index)!r} has no module yet")
    higher = [m for m in _loaded_by(modules) if layer_of(m) > index]
    assert not higher, f"importing layer {_name(index)!r} loaded higher modules: {higher}"


@pytest.mark.parametrize("mine", PEERS_APART)
def test_a_peer_imported_alone_loads_not_the_other(mine: str) -> None:
    other = next(p for p in PEERS_APART if p != mine)
    pulled = [m for m in _loaded_by([m for m in MODULES if m.startswith(mine)]) if m.startswith(other)]
    known = [(s, t) for s, t in KNOWN_VIOLATIONS if s.startswith(mine) and t.startswith(other)]
    assert not pulled or known, f"importing {mine} loaded its peer: {pulled}"


def _family_modules() -> dict[str, object]:
    import importlib

    return {
        name: importlib.import_module(f"losslab.losses.{name}")
        for name in (p.stem for p in (SRC / "losses").glob("*.py"))
        if not name.startswith("_")
    }


def test_family_modules_are_discovered() -> None:
    import losslab.losses

    assert sorted(_family_modules()) == list(losslab.losses.FAMILIES)
    by_name = [e for e in EDGES if e.source == "losslab.losses" and e.target.startswith("losslab.losses.")]
    assert not by_name, f"losses/__init__.py imports family modules by name: {by_name}"


def test_a_new_family_module_is_picked_up(tmp_path: Path) -> None:
    # a copy of the package with one more family module, and no other change
    import shutil

    shutil.copytree(SRC, tmp_path / "losslab", ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "losslab" / "losses" / "zz_new.py").write_text(
        "from .._core import register\n"
        "from .regression import Huber\n\n\n"
        "@register\n"
        "class NewHuber(Huber):\n"
        '    name = "new_huber"\n'
        "    aliases = ()\n",
        encoding="utf-8",
    )
    code = (
        "import losslab; from losslab.losses import NewHuber; "
        f"assert losslab.__file__.startswith({str(tmp_path)!r}), losslab.__file__; "
        "print('new_huber' in losslab.list_losses(), NewHuber.__module__)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["True", "losslab.losses.zz_new"]


def test_every_public_loss_class_of_a_family_is_registered_and_exported() -> None:
    import inspect

    import losslab.losses
    from losslab._core.registry import list_losses, loss_class

    registered = {loss_class(n) for n in list_losses()}
    defined = {
        obj
        for module in _family_modules().values()
        for name, obj in vars(module).items()
        if inspect.isclass(obj)
        and issubclass(obj, losslab.Loss)
        and obj.__module__ == module.__name__
        and not name.startswith("_")
    }
    assert defined, "no loss class found in losslab/losses/"
    unregistered = sorted(c.__qualname__ for c in defined - registered)
    assert not unregistered, f"loss classes defined but not @register-ed: {unregistered}"
    builtin = {c for c in registered if c.__module__.startswith("losslab.losses.")}
    assert builtin == defined
    # one list only: the package exports exactly the registry's built-in classes, by name
    assert losslab.losses.__all__ == sorted(c.__name__ for c in builtin)
    assert set(losslab.losses.__all__) <= set(dir(losslab.losses))
    for cls in builtin:
        assert getattr(losslab.losses, cls.__name__) is cls
    with pytest.raises(AttributeError, match="NoSuchLoss"):
        _ = losslab.losses.NoSuchLoss


def test_from_losslab_losses_import_works() -> None:
    namespace: dict[str, object] = {}
    exec("from losslab.losses import Huber, MSE\nfrom losslab.losses import *", namespace)
    assert namespace["Huber"].name == "huber" and "BinaryFocal" in namespace


def test_docs_architecture_names_every_module_and_layer() -> None:
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    paths = [p.relative_to(SRC).as_posix() for p in MODULES.values()]
    missing = [p for p in paths if f"`{p}`" not in text and f"`losslab/{p}`" not in text]
    assert not missing, f"docs/architecture.md does not say where these modules sit: {missing}"
    names = {p.rpartition(".")[2] for _, prefixes in LAYERS for p in prefixes if p != "losslab"}
    unnamed = sorted(n for n in names if f"`{n}`" not in text)
    assert not unnamed, f"docs/architecture.md does not name these layers: {unnamed}"
