"""The kiosk's shape: the loop imports its adapters, never the reverse; one home for event types."""

import ast
import dataclasses
import inspect
from pathlib import Path

from hailong.device import events

DEVICE = Path(__file__).resolve().parents[2] / "device"
# Loaded only when the kiosk runs with its hardware: pygame and gpiozero write on import; and
# provisioning, first boot only, is kept off the kiosk's start (a Pi's start pays for every import).
HARDWARE_ON_DEMAND = {("cli.py", "hailong.device.hardware"), ("cli.py", "hailong.device.selftest"),
                      ("cli.py", "hailong.device.provision")}  # fmt: skip


def modules() -> list[Path]:
    return sorted(DEVICE.glob("*.py"))


def imports(path: Path) -> list[tuple[str, bool]]:
    """Return (module, at top level) for every import of our own modules in a device file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top = set(map(id, tree.body))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "hailong.device":
            found += [(f"hailong.device.{a.name}", id(node) in top) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("hailong."):
            found.append((node.module, id(node) in top))
    return found


def test_no_adapter_imports_the_loop():
    importers = [
        p.name for p in modules() for name, _ in imports(p) if name == "hailong.device.app"
    ]
    assert importers == ["cli.py"]


def test_no_lazy_imports_of_our_own_modules():
    lazy = {(p.name, name) for p in modules() for name, at_top in imports(p) if not at_top}
    assert lazy == HARDWARE_ON_DEMAND


def test_every_event_type_is_defined_in_the_events_module_only():
    event_types = {
        name for name, obj in vars(events).items()
        if inspect.isclass(obj) and dataclasses.is_dataclass(obj) and obj.__module__ == events.__name__
    }  # fmt: skip
    assert {"Edge", "KeyChars", "ButtonPressed", "Connected", "Incoming", "Tick"} <= event_types
    elsewhere = [
        f"{p.name}: {node.name}"
        for p in modules() if p.name != "events.py"
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8")))
        if isinstance(node, ast.ClassDef) and node.name in event_types
    ]  # fmt: skip
    assert elsewhere == []


def test_modules_stay_under_300_lines():
    long = {p.name: n for p in modules() if (n := len(p.read_text().splitlines())) > 300}
    assert long == {}
