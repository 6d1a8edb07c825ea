"""A whole system on loopback for fault tests: real mosquitto, ingest and kiosk processes."""

from __future__ import annotations

import json
import secrets
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select

from hailong.device.segments import list_segments, read_segment
from hailong.protocol import Topics, parse_ack
from hailong.server.storage.db import devices, open_database, presses, quarantine
from tests.support import (
    collector_toml,
    journal_acked,
    kiosk_toml,
    mqtt_client,
    start_ingest,
    wait_collector_online,
    wait_for,
)


def journal_last_seq(state_dir: Path) -> int:
    """Peek at a kiosk's last seq without its lock: its newest segment's last press, or the guard."""
    folder, seqs = state_dir / "journal", [0]
    # The guard copy is written after the press is shown: it may lag or be missing.
    with suppress(FileNotFoundError, json.JSONDecodeError, KeyError):
        seqs.append(json.loads((folder / "meta.json").read_text())["seq"])
    with suppress(OSError, ValueError):  # no folder or segment yet (CorruptFile is a ValueError)
        first, path = max(list_segments(folder).items())
        seqs.append(read_segment(path, first)[-1]["seq"])
    return max(seqs)


@dataclass
class Fleet:
    """Start, kill and restart the parts; check the database against the journals."""

    folder: Path
    broker: object
    procs: object
    names: tuple[str, ...] = ("k1", "k2", "k3")
    ingest_options: dict = field(default_factory=dict)
    database_url: str | None = None  # a SQLite file in folder unless told
    mqtt_options: dict = field(default_factory=dict)
    kiosk_options: dict = field(
        default_factory=lambda: {"retransmit_after_s": 2, "reconnect_max_s": 2}
    )
    kiosk_top: dict = field(default_factory=dict)  # name -> top-level kiosk settings (a key)
    kiosk_own: dict = field(default_factory=dict)  # name -> its file's [kiosk] keys (a counter)
    name: str = "ingest"  # the ingest's log name, when several fleets share a test
    collector: object = None
    kiosks: dict = field(default_factory=dict)
    instances: dict = field(default_factory=dict)  # name -> ingest process sharing the presses

    def __post_init__(self):
        self.database_url = self.database_url or f"sqlite:///{self.folder / 'collector.db'}"
        self.config = collector_toml(self.folder, self.broker, self.database_url,
                                     self.mqtt_options, **self.ingest_options)  # fmt: skip
        self.engine = open_database(self.database_url)

    def start_collector(self) -> None:
        """Start ingest and wait until it has subscribed (its online status is retained)."""
        self.collector = start_ingest(self.procs, self.config, self.broker, self.name)

    def start_instances(self, *names: str) -> None:
        """Start ingest instances side by side (`--instance name`) and wait until all listen."""
        for name in names:
            self.instances[name] = self.procs.start(f"ingest-{name}", "hailong.server.cli", "--config",
                                                    self.config, "ingest", "--instance", name)  # fmt: skip
        for name in names:
            wait_for(lambda n=name: "connected to" in self.procs.log(f"ingest-{n}"), 30,
                     f"ingest instance {name} to connect")  # fmt: skip
        wait_collector_online(self.broker)

    def kill_instance(self, name: str) -> None:
        """SIGKILL one ingest instance."""
        self.instances[name].kill()
        self.instances[name].wait(10)

    def stop_collector(self) -> None:
        """Stop ingest with SIGTERM and wait for it to exit."""
        assert self.procs.stop(self.collector) == 0

    def kill_collector(self) -> None:
        """SIGKILL the ingest process, as a power cut would."""
        self.collector.kill()
        self.collector.wait(10)

    def start_kiosk(self, name: str, rate: float, count: int) -> None:
        """Start a kiosk pressing count times at rate per second."""
        path = kiosk_toml(self.folder, self.broker, name, self.kiosk_top.get(name),
                          self.kiosk_own.get(name), **self.kiosk_options)  # fmt: skip
        self.kiosks[name] = self.procs.start(name, "hailong.device.cli", "--config", path, "run",
                                             "--headless", "--simulate", rate, "--count", count)  # fmt: skip

    def kill_kiosk(self, name: str) -> None:
        """SIGKILL one kiosk."""
        self.kiosks[name].kill()
        self.kiosks[name].wait(10)

    def last_seq(self, name: str) -> int:
        """Return how many presses a kiosk has journaled."""
        return journal_last_seq(self.folder / name)

    def acked(self, name: str) -> int:
        """Return the kiosk's own delivery watermark."""
        return journal_acked(self.folder / name)

    def stored(self, name: str | None = None) -> int:
        """Count stored presses (of one device)."""
        q = select(func.count()).select_from(presses)
        if name:
            q = q.where(presses.c.device == name)
        with self.engine.connect() as conn:
            return conn.execute(q).scalar_one()

    def wait_generated(self, counts: dict[str, int], timeout: float = 60) -> None:
        """Wait until each kiosk has journaled at least its count."""
        wait_for(lambda: all(self.last_seq(n) >= c for n, c in counts.items()), timeout,
                 f"kiosks to journal {counts}")  # fmt: skip

    def wait_delivered(self, timeout: float = 90) -> None:
        """Wait until every kiosk's journal is fully acked end to end."""

        def done():
            return all(self.acked(n) == self.last_seq(n) > 0 for n in self.kiosks)

        wait_for(done, timeout, "every kiosk to be acked up to its last seq", interval=0.2)

    def assert_exact(self) -> dict[str, int]:
        """Assert the database holds exactly seqs 1..last_seq of every kiosk, once each."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(presses.c.device, presses.c.seq)).all()
            acks = dict(conn.execute(select(devices.c.device, devices.c.acked_upto)).all())
            conflicts = conn.execute(
                select(func.count()).where(quarantine.c.kind == "conflict")
            ).scalar_one()
        expected = {(n, s) for n in self.kiosks for s in range(1, self.last_seq(n) + 1)}
        got = [tuple(r) for r in rows]
        assert len(got) == len(set(got)), "a press was stored twice"
        missing, extra = expected - set(got), set(got) - expected
        assert not missing, f"lost {len(missing)} presses, e.g. {sorted(missing)[:5]}"
        assert not extra, f"stored presses nobody made: {sorted(extra)[:5]}"
        assert conflicts == 0
        for name in self.kiosks:
            assert acks[name] == self.last_seq(name)
        return {n: self.last_seq(n) for n in self.kiosks}

    def retained_acks(self) -> dict[str, int]:
        """Return the acks the broker retains for the kiosks, as a reconnecting kiosk reads them."""
        client = mqtt_client(self.broker, client_id=f"acks-{secrets.token_hex(3)}")
        found: dict[str, int] = {}

        def on_message(_c, _u, msg):
            if msg.retain:
                found[msg.topic.split("/")[-2]] = parse_ack(msg.payload).upto

        client.on_message = on_message
        client.subscribe(Topics().all_of("ack"), 1)
        try:
            wait_for(lambda: set(found) >= set(self.kiosks), 10, "the retained acks")
        finally:
            client.loop_stop()
            client.disconnect()
        return found
