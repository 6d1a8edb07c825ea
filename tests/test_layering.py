"""The layering: protocol uses only the stdlib; device and server never import each other."""

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("protocol", "device", "server")
STDLIB = frozenset(sys.stdlib_module_names)
FORBIDDEN = {"device": {"server"}, "server": {"device"}, "protocol": {"device", "server"}}


def module_name(path: Path, root: Path = ROOT) -> str:
    """Return the dotted module name of a .py file under root."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def resolve(module: str | None, level: int, importer: str, is_package: bool) -> str:
    """Return the absolute name a (possibly relative) from-import refers to."""
    if level == 0:
        return module or ""
    package = importer.split(".") if is_package else importer.split(".")[:-1]
    if level - 1 > len(package) - 1:
        raise ImportError(f"{importer}: relative import beyond the top-level package")
    base = package[: len(package) - (level - 1)]
    return ".".join(base + ([module] if module else []))


def imports_of(path: Path, root: Path = ROOT) -> list[tuple[int, str]]:
    """Return (line, absolute module name) for every import in a file, nested ones included."""
    importer = module_name(path, root)
    is_package = path.name == "__init__.py"
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = resolve(node.module, node.level, importer, is_package)
            found.append((node.lineno, base))
            if node.module is None:  # `from . import x` may name submodules
                found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
        elif isinstance(node, ast.Call) and _is_dynamic_import(node.func):
            name = _literal_name(node)
            if name:
                found.append((node.lineno, name))
    return found


def _literal_name(call: ast.Call) -> str | None:
    """Return the absolute module name an import_module/__import__ call spells out, if any."""
    if not call.args or not isinstance(call.args[0], ast.Constant):
        return None
    value = call.args[0].value
    return value if isinstance(value, str) and not value.startswith(".") else None


def _is_dynamic_import(func: ast.expr) -> bool:
    if isinstance(func, ast.Name):
        return func.id in ("__import__", "import_module")
    return isinstance(func, ast.Attribute) and func.attr == "import_module"


def python_files(package: str) -> list[Path]:
    """Return every .py file of a package folder."""
    return sorted((ROOT / package).rglob("*.py"))


def test_every_package_has_python_files():
    for package in PACKAGES:
        assert len(python_files(package)) >= 3, package


def test_resolve_relative_imports():
    assert resolve("errors", 1, "protocol.press", False) == "protocol.errors"
    assert resolve(None, 1, "protocol", True) == "protocol"
    assert resolve("db", 2, "server.web.views", False) == "server.db"
    assert resolve("x", 0, "device.app", False) == "x"
    with pytest.raises(ImportError):
        resolve("x", 2, "protocol.press", False)


def test_the_checker_sees_violations(tmp_path):
    bad = tmp_path / "device" / "sub" / "bad.py"
    bad.parent.mkdir(parents=True)
    bad.write_text(
        "import os\nfrom server.db import x\nfrom ..journal import j\nfrom . import k\n"
        "def f():\n    import server.ingest as s\n"
        "    import importlib\n    importlib.import_module('server.web')\n"
    )
    names = sorted(name for _, name in imports_of(bad, tmp_path))
    assert names == [
        "device.journal", "device.sub", "device.sub.k", "importlib", "os",
        "server.db", "server.ingest", "server.web",
    ]  # fmt: skip


@pytest.mark.parametrize("package", PACKAGES)
def test_no_forbidden_sibling_imports(package):
    offences = [
        f"{path.relative_to(ROOT)}:{line}: {name}"
        for path in python_files(package)
        for line, name in imports_of(path)
        if name.split(".")[0] in FORBIDDEN[package]
    ]
    assert offences == []


def test_protocol_imports_only_the_stdlib():
    offences = [
        f"{path.relative_to(ROOT)}:{line}: {name}"
        for path in python_files("protocol")
        for line, name in imports_of(path)
        if name.split(".")[0] not in STDLIB | {"protocol", "__future__"}
    ]
    assert offences == []


def test_importing_protocol_loads_only_stdlib_modules():
    script = (
        "import sys\n"
        "before = set(sys.modules)\n"
        "import protocol, protocol.tomlconf\n"
        "import json\n"
        "print(json.dumps(sorted(set(sys.modules) - before)))\n"
    )
    # -S: no site-packages on the path, so a third-party import would fail loudly as well.
    result = subprocess.run(
        [sys.executable, "-S", "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout)
    assert "protocol.press" in loaded and "protocol.tomlconf" in loaded
    outsiders = [m for m in loaded if m.split(".")[0] not in STDLIB | {"protocol"}]
    assert outsiders == []


def test_importing_protocol_with_site_packages_loads_no_third_party_module():
    script = (
        "import sys\n"
        "before = set(sys.modules)\n"
        "import protocol\n"
        "new = set(sys.modules) - before\n"
        "print('\\n'.join(sorted(m for m in new if m.split('.')[0] not in sys.stdlib_module_names)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        m for m in result.stdout.split() if m == "protocol" or m.startswith("protocol.")
    ]
    assert "protocol" in result.stdout.split()
