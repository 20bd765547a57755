"""The package uses libraries through their public API only (issue 21: library-first).

Read from the source with ``ast`` (nothing is imported): no ``from lib import _x``, no
import from a library's private module (``lib._x``), no ``lib._x`` or ``g._x``, no
``getattr(..., "_x")``, no override of a library class's ``_method``, and none of the
library names known to be undocumented.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "otpauth"
LIBRARIES = {
    "flask", "flask_babel", "flask_limiter", "flask_login", "flask_wtf", "flask_mail",
    "flask_migrate", "flask_sqlalchemy", "itsdangerous", "wtforms", "werkzeug", "jinja2",
    "markupsafe", "sqlalchemy", "redis", "rq", "limits", "babel", "twilio", "authlib",
    "webauthn", "pyotp", "prometheus_client", "altcha", "email", "smtplib",
}  # fmt: skip
# Underscore names the libraries document as public (namedtuple's, Werkzeug's proxies).
DOCUMENTED = {"_get_current_object", "_asdict", "_replace", "_fields", "_make"}
# Library names without an underscore that their documentation does not list.
UNDOCUMENTED = {"clean_key"}
# Flask's ``g`` holds extensions' private state under underscore names (``g._flask_babel``).
PROXIES = {"g"}
EXTENSIONS = "platform.extensions"  # the module holding the libraries' extension objects


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__") and name not in DOCUMENTED


def _library_names(tree: ast.Module) -> set[str]:
    """The local names bound to a library module or to a name taken from one."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {
                a.asname or a.name.split(".")[0]
                for a in node.names
                if a.name.split(".")[0] in LIBRARIES
            }
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module.split(".")[0] in LIBRARIES:
                names |= {a.asname or a.name for a in node.names}
        if isinstance(node, ast.ImportFrom) and (node.module or "").endswith(EXTENSIONS):
            # The extension objects (``csrf``, ``limiter``, …) are the libraries' own classes.
            names |= {a.asname or a.name for a in node.names}
    return names


def _import_findings(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Import):
        modules = [a.name for a in node.names]
        names: list[str] = []
    elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
        modules, names = [node.module], [a.name for a in node.names]
    else:
        return []
    found = []
    for module in modules:
        if module.split(".")[0] in LIBRARIES:
            parts = module.split(".")
            found += [f"private module {module}" for p in parts[1:] if _private(p)][:1]
            found += [f"{module}.{n}" for n in names if _private(n) or n in UNDOCUMENTED]
    return found


def _use_findings(node: ast.AST, libraries: set[str]) -> list[str]:
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        owner = node.value.id
        if (owner in libraries or owner in PROXIES) and _private(node.attr):
            return [f"{owner}.{node.attr}"]
        if owner in libraries and node.attr in UNDOCUMENTED:
            return [f"{owner}.{node.attr}"]
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        args = node.args
        if node.func.id in ("getattr", "setattr", "hasattr", "delattr") and len(args) >= 2:
            name = args[1]
            if isinstance(name, ast.Constant) and isinstance(name.value, str):
                return [f"{node.func.id}(…, {name.value!r})"] if _private(name.value) else []
    if isinstance(node, ast.ClassDef):
        bases = {
            b.id if isinstance(b, ast.Name) else getattr(b.value, "id", "") for b in node.bases
        }
        if bases & libraries:
            return [
                f"{node.name}.{item.name} overrides a library class's private method"
                for item in node.body
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef) and _private(item.name)
            ]
    return []


def private_library_names(source: str, where: str = "<source>") -> list[str]:
    """Each use of a library's private or undocumented name in ``source``."""
    tree = ast.parse(source, where)
    libraries = _library_names(tree)
    return [
        f"{where}:{getattr(node, 'lineno', 0)}: {finding}"
        for node in ast.walk(tree)
        for finding in _import_findings(node) + _use_findings(node, libraries)
    ]


def test_an_extension_objects_private_method_is_found():
    source = "from ..platform.extensions import csrf\ncsrf._is_exempt()\n"
    assert private_library_names(source) == ["<source>:2: csrf._is_exempt"]


def test_the_package_uses_no_private_library_name():
    found = [
        finding
        for path in sorted(PACKAGE.rglob("*.py"))
        for finding in private_library_names(path.read_text(encoding="utf-8"), str(path))
    ]
    assert found == []


def test_the_check_finds_each_kind_of_private_use():
    source = """
from flask import g
from flask_limiter import Limiter
from itsdangerous._json import x
from wtforms.widgets.core import clean_key
from flask_babel import _get_current_context
import flask_babel

class AppLimiter(Limiter):
    def _check_request_limit(self): ...

locale = g._flask_babel.babel_locale
domain = flask_babel._get_current_context()
value = getattr(g, "_login_user")
"""
    found = "\n".join(private_library_names(source))
    for expected in (
        "private module itsdangerous._json",
        "wtforms.widgets.core.clean_key",
        "flask_babel._get_current_context",
        "AppLimiter._check_request_limit",
        "g._flask_babel",
        "getattr(…, '_login_user')",
    ):
        assert expected in found
    assert len(private_library_names(source)) == 7  # flask_babel._get_… both imported and used


def test_the_check_leaves_public_and_own_names_alone():
    source = """
from flask import current_app
from werkzeug.local import LocalProxy
from .store import _own_helper

def _mine(): ...
user = current_app._get_current_object()
row = record._asdict()
own = _own_helper._cache
class Own:
    def _helper(self): ...
"""
    assert private_library_names(source) == []


# --- Layers (issue 21): imports run one way, with no cycle and no import in a function body.

# Lower layers never import higher ones; layers of one rank never import each other.
LAYERS = {"platform": 1, "signin": 2, "delivery": 3, "oidc": 3, "web": 4, "cli": 5}
TOP = 6  # otpauth/__init__.py: create_app wires every layer
# Function-local imports allowed: only optional dependencies, "path:module" -> the reason.
OPTIONAL_IMPORTS: dict[str, str] = {}


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _imports(module: str, path: Path, known: set[str]) -> list[tuple[ast.stmt, str]]:
    """Each import statement of ``module`` with the package module it loads."""
    found: list[tuple[ast.stmt, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(module, path.name == "__init__.py", node)
            for alias in node.names:
                name = f"{base}.{alias.name}"
                found.append((node, name if name in known else base))
    return found


def import_graph() -> dict[str, set[str]]:
    """module -> the package modules it imports (a name from a package: the package)."""
    modules = _modules()
    return {
        module: {t for _, t in _imports(module, path, set(modules)) if t in modules and t != module}
        for module, path in modules.items()
    }


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """The graph's cycles: strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = stack[stack.index(v) :]
            del stack[stack.index(v) :]
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return cycles


def layer_of(module: str) -> tuple[str, int]:
    parts = module.split(".")
    if len(parts) == 1:
        return "otpauth", TOP
    assert parts[1] in LAYERS, f"{module} is in no layer: put it in one of {sorted(LAYERS)}"
    return parts[1], LAYERS[parts[1]]


def test_the_package_has_no_import_cycle():
    assert strongly_connected(import_graph()) == []


def test_the_cycle_check_finds_a_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert strongly_connected(graph) == [["a", "b", "c"]]


def test_imports_run_down_the_layers():
    wrong = [
        f"{module} ({layer}) imports {target} ({other})"
        for module, targets in import_graph().items()
        for target in targets
        for layer, rank in [layer_of(module)]
        for other, other_rank in [layer_of(target)]
        if other_rank > rank or (other_rank == rank and other != layer)
    ]
    assert wrong == []


def test_no_import_inside_a_function():
    found = []
    for path in _modules().values():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        functions = [
            n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
        ]
        for function in functions:
            for node in ast.walk(function):
                if isinstance(node, ast.Import | ast.ImportFrom):
                    names = [a.name for a in node.names]
                    where = f"{path.relative_to(PACKAGE.parent)}:{node.lineno}"
                    key = f"{path.relative_to(PACKAGE.parent)}:{node.module or names[0]}"
                    if key not in OPTIONAL_IMPORTS:
                        found.append(where)
    assert found == []


def test_only_config_reads_the_environment():
    """``config.py`` reads and checks the environment once; the package asks ``config``."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv", "putenv"):
                found.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}")
            elif isinstance(node, ast.ImportFrom) and node.module == "os":
                if {a.name for a in node.names} & {"environ", "getenv", "putenv"}:
                    found.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}")
    assert found == []


def test_readme_layout_names_every_module_and_no_other():
    """README's "Layout" lists each module file of the package, and none that is gone."""
    readme = (PACKAGE.parent / "README.md").read_text(encoding="utf-8")
    layout = readme.split("\n## Layout\n", 1)[1].split("\n## ", 1)[0]
    named = set(re.findall(r"`(otpauth/[\w/]+\.py)`", layout))
    files = {path.relative_to(PACKAGE.parent).as_posix() for path in PACKAGE.rglob("*.py")}
    assert sorted(files - named) == []  # modules the layout does not mention
    assert sorted(named - files) == []  # mentioned, but not in the tree
