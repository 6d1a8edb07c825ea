"""Two communes bridged to a province: a WAN cut, a collector killed at each level, nothing doubled.

Every part is real and set up by the `bridge` commands: per commune a mosquitto, a collector
(SQLite), the re-forwarder and two headless kiosks signing their presses; a province mosquitto
whose ACL and accounts `bridge add` wrote, reached over TLS through a TCP relay that stands for
the WAN (SIGKILLed to cut it), and the province collector (SQLite, then PostgreSQL) verifying
the kiosks' keys. At the end both levels hold exactly the kiosks' journals, byte for byte; then the province is
restored from a backup taken at the cut, and the commune re-forwarders bring it back.
"""

from __future__ import annotations

import secrets
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select

from hailong.protocol import verify
from hailong.server.broker.bridge import parse_bridge_bundle, state_topic
from hailong.server.broker.private import COLLECTOR_USER, Mosquitto, free_port
from hailong.server.cli import main
from hailong.server.storage.db import devices, open_database, presses, quarantine
from tests.deploy.conftest import make_tls, write_collector
from tests.integration.fleet import Fleet
from tests.postgres import SUPERUSER
from tests.support import BACKENDS, collector_toml, fresh_database, mqtt_client, wait_for

pytestmark = pytest.mark.slow
COMMUNES = {"xa-a": ("a1", "a2"), "xa-b": ("b1", "b2")}
PER_KIOSK = 450  # 1,800 presses in all, at 4 x 30 a second
RATE = 30.0
CUT_PRESSES = 1_000  # made while the link is down
BATCH = {"batch_size": 100, "batch_ms": 20}


@dataclass
class Commune:
    """One commune: its broker, its collector and kiosks (a Fleet), its bridge bundle."""

    name: str
    fleet: Fleet
    bundle: Path
    keys: dict[str, str]

    def made(self) -> int:
        return sum(self.fleet.last_seq(d) for d in self.fleet.names)


class Backup:
    """Back the province's database up at one moment and restore it later (SQLite or PostgreSQL)."""

    def __init__(self, url: str, folder: Path, request):
        self.url, self.folder = url, folder
        self.cluster = request.getfixturevalue("postgres") if url.startswith("postgresql") else None

    def take(self) -> None:
        """Copy the database as it is now, while ingest writes to it."""
        if self.cluster is None:
            with sqlite3.connect(self._file()) as source, sqlite3.connect(self._copy()) as copy:
                source.backup(copy)
        else:
            self.cluster._run("pg_dump", *self._where(), "-Fc", "-f", self._copy(), self._name())

    def restore(self) -> None:
        """Replace the database by the copy (every connection to it must be closed)."""
        if self.cluster is None:
            for suffix in ("-wal", "-shm"):
                Path(f"{self._file()}{suffix}").unlink(missing_ok=True)
            self._copy().replace(self._file())
        else:
            self.cluster.drop_database(self._name())
            self.cluster.create_database(self._name())
            self.cluster._run("pg_restore", *self._where(), "-d", self._name(), self._copy())

    def _file(self) -> Path:
        return Path(self.url.removeprefix("sqlite:///"))

    def _copy(self) -> Path:  # PostgreSQL's tools run as the server's user: in its folder
        folder = self.folder if self.cluster is None else self.cluster.folder
        return folder / f"backup-{self._name() if self.cluster else 'province'}.db"

    def _name(self) -> str:
        return self.url.rsplit("/", 1)[1]

    def _where(self) -> tuple:
        return ("-h", "127.0.0.1", "-p", self.cluster.port, "-U", SUPERUSER)


def cli(config, *args) -> int:
    return main(["--config", str(config), *map(str, args)])


def make_commune(tmp_path: Path, name: str, kiosks, admin, procs) -> Commune:
    """Keys, broker, collector config; export to the province, add there, write the stanza."""
    folder = tmp_path / name
    (folder / "keys").mkdir(parents=True)
    keys = {d: secrets.token_hex(32) for d in kiosks}
    for device, key in keys.items():  # as `device add` leaves them: ingest's copy, the kiosk's
        (folder / "keys" / f"{device}.key").write_text(key + "\n")
        (folder / f"{device}.key").write_text(key + "\n")
    users = {u: secrets.token_hex(8) for u in (COLLECTOR_USER, *kiosks)}
    broker = Mosquitto(folder / "broker", users=users, persistence=True, port=free_port())
    fleet = Fleet(folder, broker, procs, names=tuple(kiosks), name=f"ingest-{name}",
                  ingest_options={"keys_dir": str(folder / "keys"), **BATCH},
                  kiosk_top={d: {"signing_key_file": folder / f"{d}.key"} for d in kiosks})  # fmt: skip
    actor = ("--actor", "test")
    assert cli(fleet.config, "bridge", "export", name, "-o", folder / "reg.toml", *actor) == 0
    bundle = folder / "bundle.toml"
    assert cli(admin.path, "bridge", "add", folder / "reg.toml", "-o", bundle, *actor) == 0
    stanza = folder / "bridge.conf"
    assert (
        cli(fleet.config, "bridge", "config", bundle, "-o", stanza, "--retry-max", 2, *actor) == 0
    )
    broker.extra_config = stanza.read_text()
    return Commune(name, fleet, bundle, keys)


def stored_rows(engine) -> dict[tuple[str, int], tuple[bytes, str]]:
    """Return every stored press as (device, seq) -> (payload, sig); fail on a doubled one."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(presses.c.device, presses.c.seq, presses.c.payload, presses.c.sig)
        ).all()
    keyed = {(d, s): (bytes(p), sig) for d, s, p, sig in rows}
    assert len(keyed) == len(rows), "a press was stored twice"
    return keyed


def count(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(presses)).scalar_one()


def province_complete(engine, communes) -> bool:
    """Tell whether the province's watermark of every kiosk reached its journal's last seq."""
    with engine.connect() as conn:
        acked = dict(conn.execute(select(devices.c.device, devices.c.acked_upto)).all())
    return all(acked.get(d) == c.fleet.last_seq(d) > 0 for c in communes for d in c.fleet.names)


def assert_province_holds_the_journals(engine, communes) -> None:
    """Both levels hold the same presses, byte for byte, each signed by its kiosk's own key."""
    for c in communes:
        c.fleet.assert_exact()  # the commune database holds exactly its kiosks' journals
    below = {}
    for c in communes:
        below.update(stored_rows(c.fleet.engine))
    above = stored_rows(engine)
    assert above.keys() == below.keys()
    assert above == below, "the province holds other bytes than the communes"
    keys = {d: bytes.fromhex(k) for c in communes for d, k in c.keys.items()}
    assert all(verify(keys[d], payload, sig) for (d, _), (payload, sig) in above.items())
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(quarantine)).scalar_one() == 0
    assert province_complete(engine, communes)


def wait_bridge_up(commune: Commune) -> None:
    """Wait until the commune's mosquitto says its bridge is connected."""
    client = mqtt_client(commune.fleet.broker, COLLECTOR_USER, f"watch-{secrets.token_hex(3)}")
    states: list[bytes] = []
    client.on_message = lambda _c, _u, m: states.append(bytes(m.payload))
    client.subscribe(state_topic(), 1)
    try:
        wait_for(lambda: states and states[-1] == b"1", 30, f"{commune.name}'s bridge up")
    finally:
        client.loop_stop()
        client.disconnect()


@pytest.mark.parametrize("backend", BACKENDS)
def test_two_communes_bridged_through_a_cut_and_two_kills_store_everything_once(
    request, backend, tmp_path, procs, capsys
):
    backup = Backup(fresh_database(request, backend, tmp_path / "province"), tmp_path, request)
    tls = make_tls(tmp_path / "tls")
    relay_port = free_port()  # where the communes' bridges connect: the WAN
    admin = write_collector(tmp_path / "province-admin", tls, port=relay_port)
    communes = [make_commune(tmp_path, n, k, admin, procs) for n, k in COMMUNES.items()]
    passwords = {parse_bridge_bundle(c.bundle.read_bytes(), "b").username:
                 parse_bridge_bundle(c.bundle.read_bytes(), "b").password for c in communes}  # fmt: skip
    province_broker = Mosquitto(
        tmp_path / "province" / "broker", persistence=True,
        users={COLLECTOR_USER: secrets.token_hex(8), **passwords},
        acl=(admin.folder / "broker" / "acl").read_text(),  # what `bridge add` wrote
        tls_listener=(tls.ca_cert, tls.cert, tls.key),
    ).start()  # fmt: skip
    try:
        run(tmp_path, admin, communes, province_broker, relay_port, procs, capsys, backup)
    finally:
        province_broker.kill()
        for c in communes:
            c.fleet.broker.kill()


def run(tmp_path, admin, communes, province_broker, relay_port, procs, capsys, backup) -> None:
    province_config = collector_toml(tmp_path / "province", province_broker, backup.url,
                                     keys_dir=str(admin.folder / "keys"), **BATCH)  # fmt: skip
    province = open_database(backup.url)

    def start_province():
        start = procs.log("ingest-province").count("connected to")
        child = procs.start("ingest-province", "hailong.server.cli", "--config", province_config,
                            "ingest")  # fmt: skip
        wait_for(lambda: procs.log("ingest-province").count("connected to") > start, 30,
                 "the province collector to connect")  # fmt: skip
        return child

    def start_relay():
        before = procs.log("relay").count("relaying")
        child = procs.start("relay", "tests.integration.tcp_proxy", relay_port,
                            province_broker.tls_port)  # fmt: skip
        wait_for(lambda: procs.log("relay").count("relaying") > before, 10, "the relay")
        return child

    province_ingest, relay = start_province(), start_relay()
    for c in communes:
        c.fleet.broker.start()
        c.fleet.start_collector()
        procs.start(f"forward-{c.name}", "hailong.server.cli", "--config", c.fleet.config,
                    "bridge", "forward", "--bundle", c.bundle, "--timeout", 3)  # fmt: skip
    for c in communes:
        wait_bridge_up(c)
        for device in c.fleet.names:
            c.fleet.start_kiosk(device, RATE, PER_KIOSK)
    total = PER_KIOSK * sum(len(c.fleet.names) for c in communes)
    made = lambda: sum(c.made() for c in communes)  # noqa: E731
    wait_for(lambda: count(province) >= 100, 60, "presses at the province")

    # The WAN goes down; the province keeps a backup from this moment.
    relay.kill()
    relay.wait(10)
    at_cut = made()
    backup.take()
    a = communes[0]
    a_at_cut = a.made()
    wait_for(lambda: a.made() >= a_at_cut + 200, 60, "xa-a's kiosks to press during the cut")
    a.fleet.kill_collector()  # presses in flight at the commune
    wait_for(lambda: made() >= at_cut + 600, 60, "presses while xa-a's collector is down")
    assert a.fleet.stored() < a.made(), "xa-a's kiosks must hold presses its collector lacks"
    a.fleet.start_collector()
    wait_for(lambda: made() >= at_cut + CUT_PRESSES, 90, f"{CUT_PRESSES} presses during the cut")
    assert count(province) <= at_cut, "a press made during the cut crossed the cut link"
    assert made() < total, "the kiosks must still be pressing when the link returns"

    # The WAN returns: the bridges' queues drain; the province collector dies in mid-drain.
    relay = start_relay()
    wait_for(lambda: count(province) > at_cut + 100, 60, "the queued presses at the province")
    province_ingest.kill()
    province_ingest.wait(10)
    assert count(province) < total, "the kill must land mid-stream"
    province_ingest = start_province()
    for c in communes:
        c.fleet.wait_generated({d: PER_KIOSK for d in c.fleet.names}, timeout=90)
        c.fleet.wait_delivered(timeout=90)
    wait_for(lambda: province_complete(province, communes), 90, "the province to hold everything")
    assert_province_holds_the_journals(province, communes)

    # The province is restored from the backup taken at the cut: only the communes can help.
    assert procs.stop(province_ingest) == 0
    reforwards = lambda: [procs.log(f"forward-{c.name}").count("re-forwarding") for c in communes]  # noqa: E731
    before = reforwards()
    province.dispose()
    backup.restore()
    assert count(province) <= at_cut
    province_ingest = start_province()
    wait_for(lambda: province_complete(province, communes), 90,
             "the re-forwarded presses at the restored province")  # fmt: skip
    assert_province_holds_the_journals(province, communes)
    assert all(n > b for n, b in zip(reforwards(), before, strict=True)), "only they could"

    capsys.readouterr()
    assert cli(a.fleet.config, "bridge", "status", "--bundle", a.bundle) == 0
    shown = capsys.readouterr().out
    assert "bridge of commune xa-a" in shown and ": up" in shown
    table = {line.split()[0]: line.split()[1:] for line in shown.splitlines()[2:]}
    assert table == {d: [str(PER_KIOSK), str(PER_KIOSK), "0"] for d in a.fleet.names}
    for c in communes:
        log = procs.log(f"ingest-{c.name}") + procs.log(f"forward-{c.name}")
        assert "Traceback" not in log
    assert "Traceback" not in procs.log("ingest-province")
