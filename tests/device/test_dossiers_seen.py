"""A dossier rated before a restart cannot be rated again after it."""

from __future__ import annotations

from hailong.device.app import used_dossiers
from hailong.device.events import ButtonPressed, DossierScanned
from hailong.device.journal import Journal
from hailong.device.state import (
    Kiosk,
    KioskSettings,
    RecordPress,
    Rejected,
)


def press(dossier, mode="live"):
    return {"v": 1, "device": "k1", "rating": 4, "reason": None,
            "ts": "2024-03-05T08:30:00.000+07:00", "synced": True, "boot": "b", "mono": 1.0,
            "counter": None, "official": None, "field": None, "dossier": dossier, "mode": mode}  # fmt: skip


def test_used_dossiers_come_from_live_presses_in_the_journal(tmp_path):
    with Journal.open(tmp_path / "j", segment_size=2) as journal:
        for code, mode in (("HS-1", "live"), (None, "live"), ("HS-2", "test"), ("HS-3", "live")):
            journal.add(press(code, mode))
    with Journal.open(tmp_path / "j") as journal:
        used = used_dossiers(journal)
    assert used == {"HS-1", "HS-3"}

    kiosk = Kiosk(KioskSettings(require_dossier=True))
    kiosk.mark_used(used)
    effects = kiosk.handle(DossierScanned("HS-1", 1.0)) + kiosk.handle(ButtonPressed(1, 2.0))
    assert any(isinstance(e, Rejected) for e in effects)
    assert not any(isinstance(e, RecordPress) for e in effects)
    effects = kiosk.handle(DossierScanned("HS-4", 20.0)) + kiosk.handle(ButtonPressed(1, 21.0))
    assert [e.dossier for e in effects if isinstance(e, RecordPress)] == ["HS-4"]
