"""The layering: one hailong namespace; protocol uses only the stdlib; device and server never meet."""

import ast
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("protocol", "device", "server")
STDLIB = frozenset(sys.stdlib_module_names)
FORBIDDEN = {
    "device": {"hailong.server"},
    "server": {"hailong.device"},
    "protocol": {"hailong.device", "hailong.server"},
}
BARE = {"protocol", "device", "server"}


def module_name(path: Path, root: Path = ROOT) -> str:
    """Return the dotted module name a product file imports as (hailong.<folder>.…)."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(["hailong", *parts])


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


def _within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def python_files(package: str) -> list[Path]:
    """Return every .py file of a package folder."""
    return sorted((ROOT / package).rglob("*.py"))


def test_every_package_has_python_files():
    for package in PACKAGES:
        assert len(python_files(package)) >= 3, package


def test_resolve_relative_imports():
    assert resolve("errors", 1, "hailong.protocol.press", False) == "hailong.protocol.errors"
    assert resolve(None, 1, "hailong.protocol", True) == "hailong.protocol"
    assert resolve("db", 2, "hailong.server.web.views", False) == "hailong.server.db"
    assert resolve("x", 0, "hailong.device.app", False) == "x"
    with pytest.raises(ImportError):
        resolve("x", 4, "hailong.protocol.press", False)


def test_the_checker_sees_violations(tmp_path):
    bad = tmp_path / "device" / "sub" / "bad.py"
    bad.parent.mkdir(parents=True)
    bad.write_text(
        "import os\nfrom hailong.server.storage import x\nfrom ..journal import j\nfrom . import k\n"
        "def f():\n    import hailong.server.ingest as s\n"
        "    import importlib\n    importlib.import_module('hailong.server.web')\n"
        "    import server.db\n"
    )
    names = sorted(name for _, name in imports_of(bad, tmp_path))
    assert names == [
        "hailong.device.journal", "hailong.device.sub", "hailong.device.sub.k",
        "hailong.server.ingest", "hailong.server.storage", "hailong.server.web", "importlib", "os",
        "server.db",
    ]  # fmt: skip


@pytest.mark.parametrize("package", PACKAGES)
def test_no_forbidden_sibling_imports(package):
    offences = [
        f"{path.relative_to(ROOT)}:{line}: {name}"
        for path in python_files(package)
        for line, name in imports_of(path)
        if any(_within(name, forbidden) for forbidden in FORBIDDEN[package])
    ]
    assert offences == []


def test_protocol_imports_only_the_stdlib():
    offences = [
        f"{path.relative_to(ROOT)}:{line}: {name}"
        for path in python_files("protocol")
        for line, name in imports_of(path)
        if name.split(".")[0] not in STDLIB | {"__future__"}
        and not _within(name, "hailong.protocol")
    ]
    assert offences == []


def test_importing_protocol_loads_only_stdlib_modules(tmp_path):
    # -S: no site-packages, so a third-party import would fail loudly; the namespace is laid out
    # by hand (hailong/protocol -> the folder) as a wheel would lay it.
    (tmp_path / "hailong").mkdir()
    (tmp_path / "hailong" / "protocol").symlink_to(ROOT / "protocol")
    script = (
        "import sys\n"
        "before = set(sys.modules)\n"
        "import hailong.protocol, hailong.protocol.tomlconf\n"
        "import json\n"
        "print(json.dumps(sorted(set(sys.modules) - before)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-S", "-c", script],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout)
    assert "hailong.protocol.press" in loaded and "hailong.protocol.tomlconf" in loaded
    # zoneinfo reads the build's _sysconfigdata_<platform> module: stdlib, but not listed by name.
    outsiders = [m for m in loaded if m.split(".")[0] not in STDLIB | {"hailong"}
                 and not m.startswith("_sysconfigdata_")]  # fmt: skip
    assert outsiders == []
    assert [
        m for m in loaded if m.startswith("hailong.") and not _within(m, "hailong.protocol")
    ] == []


def test_importing_protocol_with_site_packages_loads_no_third_party_module(tmp_path):
    script = (
        "import sys\n"
        "before = set(sys.modules)\n"
        "import hailong.protocol\n"
        "new = set(sys.modules) - before\n"
        "print('\\n'.join(sorted(m for m in new if m.split('.')[0] not in sys.stdlib_module_names)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    names = result.stdout.split()
    assert "hailong.protocol" in names
    assert [m for m in names if m != "hailong" and not _within(m, "hailong.protocol")] == []


@pytest.mark.parametrize("folder", [*PACKAGES, "tests", "bench"])
def test_nothing_imports_the_bare_folder_names(folder):
    offences = [
        f"{path.relative_to(ROOT)}:{line}: {name}"
        for path in sorted((ROOT / folder).rglob("*.py"))
        for line, name in imports_of(path)
        if name.split(".")[0] in BARE
    ]
    assert offences == []


def test_installed_names_are_the_namespace_only(tmp_path):
    # From a folder outside the checkout, as the services run: only hailong.* is importable.
    script = (
        "import importlib.util, json, hailong.server, hailong.device, hailong.protocol\n"
        "bare = {n: importlib.util.find_spec(n) is not None for n in ('server', 'device', 'protocol')}\n"
        "print(json.dumps([bare, hailong.server.__file__]))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
    assert result.returncode == 0, result.stderr
    bare, server_file = json.loads(result.stdout)
    assert bare == {"server": False, "device": False, "protocol": False}
    assert Path(server_file) == ROOT / "server" / "__init__.py"


@pytest.mark.slow
def test_the_wheel_holds_nothing_but_hailong(tmp_path):
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert build.returncode == 0, build.stderr
    (wheel,) = tmp_path.glob("hailong-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        info = next(n for n in names if n.endswith(".dist-info/top_level.txt"))
        assert archive.read(info).decode().split() == ["hailong"]
        entry = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
        assert "hailong.server.cli:main" in archive.read(entry).decode()
    outside = [n for n in names if not n.startswith("hailong/") and ".dist-info/" not in n]
    assert outside == []
    for needed in ("hailong/server/web/templates/summary.html", "hailong/server/cli/__main__.py",
                   "hailong/device/cli.py", "hailong/protocol/press.py",
                   "hailong/server/locale/en/LC_MESSAGES/hailong-collector.mo",
                   "hailong/device/locale/en/LC_MESSAGES/hailong-kiosk.mo"):  # fmt: skip
        assert needed in names
