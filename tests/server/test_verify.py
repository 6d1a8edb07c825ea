"""`hailong-collector verify`: signatures, published files and the audit chain, each tampered with."""

from __future__ import annotations

import secrets
from datetime import date

import pytest
from sqlalchemy import select, update

from hailong.protocol import Topics
from hailong.protocol.signing import sign
from hailong.server.ingest.intake import Message, classify
from hailong.server.reference.audit import record
from hailong.server.reporting.publish import publish
from hailong.server.storage import db
from hailong.server.storage.batch import store_batch
from tests.server.test_publish import SETTINGS, run_cli
from tests.support import press_bytes

T = Topics()
NOW = 1_709_600_000_000


def signed_batch(engine, keys: dict[str, bytes], signers: dict[str, bytes]) -> None:
    """Store three presses per kiosk, signed by `signers` (the key each kiosk used), as ingest does."""
    items = []
    for device, key in signers.items():
        for seq in (1, 2, 3):
            payload = press_bytes(device, seq, rating=seq + 1)
            items.append(classify(Message(T.press(device), payload, sign(key, payload), NOW), T,
                                  keys))  # fmt: skip
    items.append(classify(Message(T.press("k3"), press_bytes("k3", 1), None, NOW), T, keys))
    with engine.begin() as conn:
        outcome = store_batch(conn, items, NOW)
    assert outcome.quarantined == 0


@pytest.fixture
def office(database_url, tmp_path):
    """A database with signed presses (k2's by a key since retired), a publication and audit rows."""
    keys_dir = tmp_path / "keys"
    (keys_dir / "retired").mkdir(parents=True)
    old, k1, k2 = (secrets.token_bytes(32) for _ in range(3))
    (keys_dir / "k1.key").write_text(k1.hex())
    (keys_dir / "k2.key").write_text(k2.hex())
    (keys_dir / "retired" / "k2-20240301T000000.key").write_text(old.hex())
    engine = db.open_database(database_url)
    signed_batch(engine, {"k1": k1, "k2": old}, {"k1": k1, "k2": old})
    folder = tmp_path / "published"
    publish(engine, date(2024, 3, 28), folder, SETTINGS)
    with engine.begin() as conn:
        for n in range(3):
            record(conn, "vp-thongke", "update", "field", f"f{n}", {"name": "a"}, {"name": "b"})
    config = tmp_path / "collector.toml"
    config.write_text(f'database = "{engine.url.render_as_string(hide_password=False)}"\n'
                      f'[ingest]\nkeys_dir = "{keys_dir}"\n', encoding="utf-8")  # fmt: skip
    yield engine, config, folder
    engine.dispose()


def verify(config, folder):
    return run_cli("--config", config, "verify", "--folder", folder)


def test_a_clean_database_verifies(office):
    _engine, config, folder = office
    done = verify(config, folder)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "presses: 7 checked, 0 failed" in done.stdout
    assert "published files: 6 checked, 0 failed" in done.stdout
    assert "audit log rows: 9 checked, 0 failed" in done.stdout  # 6 publications, 3 changes


def test_a_tampered_press_is_named(office):
    engine, config, folder = office
    with engine.begin() as conn:
        payload = conn.execute(select(db.presses.c.payload).where(
            db.presses.c.device == "k1", db.presses.c.seq == 2)).scalar_one()  # fmt: skip
        forged = bytes(payload).replace(b'"rating":3', b'"rating":4')
        assert forged != bytes(payload)
        conn.execute(update(db.presses).where(db.presses.c.device == "k1", db.presses.c.seq == 2)
                     .values(payload=forged, rating=4))  # fmt: skip
        # A rating changed in its column alone is caught by the payload, which still says 3.
        conn.execute(update(db.presses).where(db.presses.c.device == "k2", db.presses.c.seq == 1)
                     .values(rating=1))  # fmt: skip
    done = verify(config, folder)
    assert done.returncode == 1
    assert "FAILED press k1/2: signature does not match the stored payload" in done.stdout
    assert "FAILED press k2/1: stored rating differ from the payload" in done.stdout
    assert "presses: 7 checked, 2 failed" in done.stdout


def test_a_tampered_published_file_is_named(office):
    _engine, config, folder = office
    pdf = folder / "2024-03" / "bao-cao-hai-long-2024-03.pdf"
    pdf.write_bytes(pdf.read_bytes() + b"\n% edited")
    (folder / "2024-Q1" / "bao-cao-hai-long-2024-Q1.csv").unlink()
    done = verify(config, folder)
    assert done.returncode == 1
    assert "FAILED published 2024-03/bao-cao-hai-long-2024-03.pdf: content differs" in done.stdout
    assert "FAILED published 2024-Q1/bao-cao-hai-long-2024-Q1.csv: missing" in done.stdout


def test_a_tampered_audit_row_is_named(office):
    engine, config, folder = office
    with engine.begin() as conn:
        ids = conn.execute(select(db.audit.c.id).order_by(db.audit.c.id)).scalars().all()
        conn.execute(update(db.audit).where(db.audit.c.id == ids[7]).values(actor="someone"))
    done = verify(config, folder)
    assert done.returncode == 1
    assert f"FAILED audit row {ids[7]}: content does not match its hash" in done.stdout
    assert "audit log rows: 9 checked, 1 failed" in done.stdout
