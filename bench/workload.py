"""The ingest benchmarks' shared workload: the raw broker baseline, one timed run.

bench_ingest.py and bench_scale.py measure the same thing at different scales: simulated kiosks
(bench/signed_kiosks.py: each with a registered key, one bench/mqtt_pub.py each sending its
signed presses, QoS 1) publish presses → mosquitto (persistence on) → ingest instance(s), which
check every press's HMAC → commit → retained ack per device; timed from the first publish until
every device's ack reaches its last seq, with the CPU seconds of each process group read from
/proc. After the timed window each run shows that the HMACs were checked (check_verified).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import paho.mqtt.client as paho

from bench.signed_kiosks import check_verified, connect_publishers, finish, go, signed_fleet
from hailong.protocol import Topics, parse_ack
from hailong.server.broker.private import Mosquitto
from hailong.server.storage.db import open_database
from tests.postgres import PostgresCluster
from tests.support import collector_toml, wait_collector_online

ROOT = Path(__file__).resolve().parent.parent
T = Topics()
TICK = os.sysconf("SC_CLK_TCK")


def baseline(broker: Mosquitto, devices: int, per_device: int, folder: Path) -> float:
    """Return presses/s through the simulated kiosks → mosquitto → mosquitto_sub on one broker.

    The publishers are the ingest runs' own (one bench/mqtt_pub.py per simulated kiosk, the
    same signed packets on the same topics); one MQTT 5 mosquitto_sub -q 1 takes them all, so
    the broker hands on the `sig` property too, in place of ingest.
    """
    n = devices * per_device
    sub = subprocess.Popen(["mosquitto_sub", "-h", broker.host, "-p", str(broker.port), "-q", "1",
                            "-V", "mqttv5", "-t", T.all_of("press"), "-C", str(n)],
                           stdout=subprocess.DEVNULL)  # fmt: skip
    fleet = signed_fleet([f"raw-{i:03d}" for i in range(devices)], per_device, folder)
    pubs = connect_publishers(broker, fleet.files)
    time.sleep(0.5)  # let the subscription land before the clock starts
    start = time.perf_counter()
    go(pubs)
    finish(pubs, 300)
    sub.wait(300)
    return n / (time.perf_counter() - start)


@dataclass
class Result:
    """One run's figures."""

    label: str
    rate: float  # presses per second, end to end
    cpu: dict[str, float]  # CPU seconds per process group over the timed window
    elapsed: float
    batches: int = 0  # transactions the ingest instances committed (from their last log line)
    checked: str = ""  # what check_verified found

    @property
    def cores(self) -> float:
        """Return how many cores the whole run kept busy on average."""
        return sum(self.cpu.values()) / self.elapsed


def committed(log: Path) -> int:
    """Return how many batches an ingest process said it committed when it stopped."""
    found = re.findall(rb"batches=(\d+)", log.read_bytes())
    return int(found[-1]) if found else 0


def cpu_seconds(pid: int, children: bool = False) -> float:
    """Return a process's user+system CPU seconds (with its reaped children's when asked)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    ticks = int(fields[11]) + int(fields[12])  # utime, stime
    if children:
        ticks += int(fields[13]) + int(fields[14])  # cutime, cstime: backends that exited
    return ticks / TICK


def postgres_cpu(cluster: PostgresCluster | None) -> float:
    """Return the CPU seconds of the postmaster, its live backends and those that exited."""
    if cluster is None:
        return 0.0
    root = cluster.process.pid
    total = cpu_seconds(root, children=True)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (FileNotFoundError, ProcessLookupError):
                continue
            if parent == root:
                total += cpu_seconds(int(entry.name))
    return total


def start_instances(config: Path, n: int, folder: Path, broker: Mosquitto) -> list:
    """Start n ingest processes and wait until each has connected."""
    children = []
    for i in range(n):
        log = folder / f"ingest-{i}.log"
        children.append(subprocess.Popen(
            [sys.executable, "-m", "hailong.server.cli", "--config", str(config), "ingest",
             "--instance", str(i)], cwd=ROOT, stdout=open(log, "wb"), stderr=subprocess.STDOUT,
        ))  # fmt: skip
    deadline = time.monotonic() + 60
    for i in range(n):
        while b"connected to" not in (folder / f"ingest-{i}.log").read_bytes():
            if time.monotonic() > deadline:
                raise SystemExit(f"ingest instance {i} did not connect; see {folder}")
            time.sleep(0.05)
    wait_collector_online(broker)
    time.sleep(0.5)  # the last SUBSCRIBE lands after "connected to" is logged
    return children


def watch_acks(broker: Mosquitto, names: list[str], per_device: int) -> threading.Event:
    """Subscribe to the acks; return an event set once every device is acked to the end."""
    done, acked = threading.Event(), {}
    watcher = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id="watcher",
                          protocol=paho.MQTTv5)  # fmt: skip

    def on_ack(_c, _u, msg):
        acked[msg.topic.split("/")[-2]] = parse_ack(msg.payload).upto
        if len(acked) == len(names) and min(acked.values()) >= per_device:
            done.set()

    watcher.on_message = on_ack
    watcher.connect(broker.host, broker.port)
    watcher.subscribe(T.all_of("ack"), 1)
    watcher.loop_start()
    done.watcher = watcher
    return done


def run(label: str, url: str, n: int, args, folder: Path, cluster) -> Result:
    """Time one configuration end to end; return its rate and CPU use."""
    folder.mkdir(parents=True)
    broker = Mosquitto(folder / "broker", users=None, persistence=True).start()
    try:
        open_database(url).dispose()  # migrate once before the instances start
        group = "bench" if n > 1 else ""
        fleet = signed_fleet([f"sim-{i:03d}" for i in range(args.devices)], args.per_device,
                             folder)  # fmt: skip
        config = collector_toml(folder, broker, url, batch_size=1000, batch_ms=20,
                                share_group=group, keys_dir=str(fleet.keys_dir))  # fmt: skip
        children = start_instances(config, n, folder, broker)
        done = watch_acks(broker, fleet.names, args.per_device)
        pubs = connect_publishers(broker, fleet.files)
        time.sleep(0.3)
        before = cpu_of(children, cluster, broker, pubs)
        start = time.perf_counter()
        go(pubs)
        if not done.wait(600):
            raise SystemExit(f"{label} did not finish in 600 s; see {folder}")
        elapsed = time.perf_counter() - start
        after = cpu_of(children, cluster, broker, pubs)  # publishers not reaped yet: readable
        finish(pubs)
        done.watcher.loop_stop()
        logs = [folder / f"ingest-{i}.log" for i in range(n)]
        checked = check_verified(url, fleet, broker, logs)
        for child in children:
            child.terminate()
            child.wait(30)
        cpu = {k: after[k] - before[k] for k in after}
        batches = sum(committed(folder / f"ingest-{i}.log") for i in range(n))
        return Result(label, args.devices * args.per_device / elapsed, cpu, elapsed, batches,
                      checked)  # fmt: skip
    finally:
        broker.stop()


def cpu_of(children: list, cluster, broker: Mosquitto, pubs: list) -> dict[str, float]:
    return {
        "ingest": sum(cpu_seconds(c.pid) for c in children),
        "postgres": postgres_cpu(cluster),
        "mosquitto": cpu_seconds(broker.process.pid),
        "publishers": sum(cpu_seconds(p.pid) for p in pubs),
    }
