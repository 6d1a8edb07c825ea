"""A deterministic office year: a few thousand presses, stored through the real batch writer.

Presses fall on weekdays from 01/12/2024 to 31/01/2026 (Asia/Ho_Chi_Minh) on five kiosks, with
the cases a report can get wrong placed on purpose (cases.py): presses at 23:59:59.999 and
00:00:00.000 on every calendar and cut-off border, the same instants written with +07:00 and Z,
test-mode presses, unsynced presses re-dated by a Health anchor (some stored before it, some
after), a kiosk that delivers a week late, dossier repeats (one late and earlier), collisions,
a duty handover to the millisecond, presses staff mark as tests (corrections.exclude), presses
at every edge of office hours, on Saturday, Sunday and holidays, bursts and near-bursts, and
presses delivered after their period was published (late arrivals, bổ sung).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path

from hailong.protocol import Topics
from hailong.protocol.messages import Anchor, Health
from hailong.server.ingest.intake import Message, classify
from hailong.server.reference import corrections
from hailong.server.reporting.publish import publish
from hailong.server.storage.batch import store_batch
from tests.reference.office import (
    ACTOR,
    FIELDS,
    HCM,
    OFFICIALS,
    PUBLICATIONS,
    build_office,
    report_settings,
)
from tests.support import press_bytes

T = Topics()
FIRST, LAST = date(2024, 12, 1), date(2026, 1, 31)
DEVICES = {"k1": "Q1", "k2": "Q2", "k3": "Q3", "k4": "Q1", "k5": "Q2"}
COUNTER_FIELD = {"Q1": "ho-tich", "Q2": "chung-thuc", "Q3": "dat-dai"}
LATE_DEVICE = "k4"  # delivers its presses a week after they are pressed
BATCH = 40
WRONG_CLOCK = "2000-01-01T07:00:00.000+07:00"  # what an unsynced kiosk believes


@dataclass(frozen=True)
class Event:
    """One press as the kiosk made it: its true instant and what it sent."""

    device: str
    when: datetime  # the true instant (what a synced clock or a re-dating gives)
    rating: int
    field: str | None = None
    official: str | None = None
    dossier: str | None = None
    mode: str = "live"
    utc: bool = False  # written with Z instead of +07:00
    boot: str | None = None  # an unsynced boot: ts is wrong, mono counts
    tag: str = ""  # names a case so that marking can find its seq
    delay: timedelta = timedelta(seconds=2)  # from pressing to delivery


def daily_events(rng: random.Random) -> list[Event]:
    """Return ordinary office-hour presses on every weekday, each kiosk a few a day."""
    found, day, codes = [], FIRST, []
    while day <= LAST:
        if day.weekday() < 5:
            for device in DEVICES:
                found += [_ordinary(rng, device, day, codes) for _ in range(rng.randint(0, 4))]
        day += timedelta(days=1)
    return found


def _ordinary(rng: random.Random, device: str, day: date, codes: list[str]) -> Event:
    """Return one press at a random office-hour instant with a random attribution."""
    seconds = rng.randint(7 * 3600 + 1800, 17 * 3600 - 1)
    when = datetime(day.year, day.month, day.day, tzinfo=HCM) + timedelta(
        seconds=seconds, milliseconds=rng.randint(0, 999)
    )
    field = rng.choices([COUNTER_FIELD[DEVICES[device]], rng.choice(FIELDS)[0], None], [7, 2, 1])[0]
    sent = "cb-05" if device == "k5" else rng.choice([None, None, None, *[c for c, _ in OFFICIALS]])
    dossier = None
    if rng.random() < 0.25:
        codes.append(f"HS-{len(codes) + 1:05d}")
        dossier = codes[-1]
    elif codes and rng.random() < 0.06:
        dossier = rng.choice(codes[-30:])  # a receipt rated again
    mode = "test" if rng.random() < 0.02 else "live"
    rating = rng.choices([4, 3, 2, 1], [50, 30, 12, 8])[0]
    late = timedelta(days=7) if device == LATE_DEVICE else timedelta(seconds=rng.randint(1, 90))
    return Event(device, when, rating, field, sent, dossier, mode, rng.random() < 0.1, delay=late)


def with_seqs(events: list[Event]) -> list[tuple[int, Event]]:
    """Number each kiosk's presses in the order it made them."""
    seqs: dict[str, int] = {}
    out = []
    for event in sorted(events, key=lambda e: (e.when, e.device)):
        seqs[event.device] = seqs.get(event.device, 0) + 1
        out.append((seqs[event.device], event))
    return out


def press_item(seq: int, event: Event, anchors: dict[str, tuple[float, datetime]]):
    """Return the classified press message, as ingest hands it to the writer."""
    ts = _ts(event.when, event.utc)
    fields = {"rating": event.rating, "ts": ts, "synced": True, "boot": f"{event.device}-b1",
              "mono": 100.0 + seq, "counter": DEVICES[event.device], "official": event.official,
              "field": event.field, "dossier": event.dossier, "mode": event.mode}  # fmt: skip
    if event.boot is not None:
        # Monotonic seconds since the anchor; a boot never anchored keeps an arbitrary one.
        anchor_mono, anchor_at = anchors.get(event.boot, (50.0, event.when))
        mono = round(anchor_mono - (anchor_at - event.when).total_seconds(), 6)
        fields |= {"ts": WRONG_CLOCK, "synced": False, "boot": event.boot, "mono": mono}
    received = int((event.when + event.delay).timestamp() * 1000)
    message = Message(
        T.press(event.device), press_bytes(event.device, seq, **fields), None, received
    )
    return classify(message, T, {})


def health_item(device: str, boot: str, mono: float, at: datetime, received: datetime):
    """Return a Health message carrying a boot's first synced clock reading (the anchor)."""
    health = Health(session=1, synced=True, anchor=Anchor(boot, mono, _ts(at, False)))
    message = Message(T.health(device), health.to_bytes(), None, int(received.timestamp() * 1000))
    return classify(message, T, {})


def _ts(moment: datetime, utc: bool) -> str:
    """Write an instant as a kiosk does: local +07:00, or UTC with Z."""
    if utc:
        return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return moment.astimezone(HCM).isoformat(timespec="milliseconds")


def store_stream(engine, stream: list[tuple[datetime, object]], folder: Path) -> None:
    """Store messages in delivery order, publishing each of PUBLICATIONS when its moment comes."""
    ordered = sorted(stream, key=lambda pair: pair[0])
    done = 0
    for convention, moment in PUBLICATIONS:
        before = [item for at, item in ordered[done:] if at < moment]
        store_items(engine, before)
        done += len(before)
        clock = partial(int, moment.timestamp() * 1000)  # the publication's moment, not today
        publish(engine, moment.date(), folder, report_settings(), convention, clock=clock)
    store_items(engine, [item for _at, item in ordered[done:]])


def store_items(engine, ordered: list) -> None:
    """Store messages in the order given, BATCH at a time, each batch in its own transaction."""
    for start in range(0, len(ordered), BATCH):
        chunk = ordered[start : start + BATCH]
        now = max(item.message.received_ms for item in chunk)
        with engine.begin() as conn:
            store_batch(conn, chunk, now)


def mark_tests(engine, seqs_by_tag: dict[str, tuple[str, list[int]]], marks) -> None:
    """Mark the tagged presses as tests through the corrections service, as staff do."""
    with engine.begin() as conn:
        for tag, reason in marks:
            device, seqs = seqs_by_tag[tag]
            assert len(seqs) == max(seqs) - min(seqs) + 1, f"{tag}: seqs not contiguous"
            corrections.exclude(conn, device, range(min(seqs), max(seqs) + 1), reason, ACTOR)


def build_dataset(engine, folder: Path, seed: int = 12) -> None:
    """Fill an empty, migrated database with the reference office and its presses.

    Two reports are published into `folder` on the way (office.PUBLICATIONS), so that the
    presses delivered after them are late arrivals.
    """
    from tests.reference import cases

    build_office(engine)
    rng = random.Random(seed)
    events = daily_events(rng) + cases.special_events()
    numbered = with_seqs(events)
    stream, tags = [], {}
    for seq, event in numbered:
        item = press_item(seq, event, cases.ANCHORS)
        stream.append((event.when + event.delay, item))
        if event.tag:
            tags.setdefault(event.tag, (event.device, []))[1].append(seq)
    stream += cases.health_messages()
    store_stream(engine, stream, folder)
    mark_tests(engine, tags, cases.MARKS)
