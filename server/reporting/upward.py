"""The report upward from the collector's own database, and its publication on the 28th.

Each commune under the root office is one row: its report is read acting for it (its sites'
kiosks count with it, as its own pages count them), from its own snapshot. Kiosks registered at
the root office itself make it a row too, its own kiosks only (report_rows). An office with no
link adds its signed, imported file (imports.py); when an imported file names an office the
database also holds, the file wins: an office with no link has no presses here to count.

Published like an office's report (publish.py): the files go into the root office's folder,
<folder>/<root code>/<label>/tong-hop-<label>.{xlsx,pdf,csv}, and are recorded in `published`
under the root office with the format prefixed UPWARD ("pv-xlsx" …), so they never mix with the
root office's own report of the same period. Unchanged figures are kept; changed ones refused.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import Engine

from hailong.server.epoch import now_ms
from hailong.server.reference import offices, scope
from hailong.server.reporting import marks
from hailong.server.reporting import published as records
from hailong.server.reporting import queries as q
from hailong.server.reporting.office_counts import office_row
from hailong.server.reporting.open_halves import Kept, read_open
from hailong.server.reporting.periods import Period, format_dmy
from hailong.server.reporting.province import (
    OfficeFigures,
    ProvinceReport,
    consolidate,
)
from hailong.server.reporting.rollup import (
    checked_ranges,
    counted_ahead,
    known_arrivals,
    known_halves,
    parts_of,
    stored_halves,
)
from hailong.server.reporting.rollup_batch import (
    oldest_mark,
    read_stored,
    recount,
    stale_halves,
)
from hailong.server.reporting.rollup_store import remark_all
from hailong.server.reporting.settings import ReportSettings
from hailong.server.storage.schema import devices, presses
from hailong.server.storage.snapshot import snapshot

STEM = "tong-hop"
OWN_ROW = "{name} (cấp tỉnh)"  # the root office's own kiosks, a row beside its communes'
FORMATS = ("xlsx", "pdf", "csv")
UPWARD = records.UPWARD


def communes(engine: Engine) -> tuple[offices.Office, list[offices.Office]]:
    """Return the root office and the offices directly under it."""
    with engine.connect() as conn:
        every = offices.every_office(conn)
    root = every[0]
    return root, [o for o in every if o.parent_id == root.id]


def report_rows(engine: Engine, period: Period,
                tz: str) -> tuple[offices.Office, list[offices.Office]]:  # fmt: skip
    """Return the root office and the report's rows of `period`: the communes, after the root's own.

    Kiosks registered at the root office itself (the province's own reception, the kiosks of
    a one-office database made the province, a kiosk ingest met before it was registered)
    belong to no commune. When they pressed in the period or the previous one, the root is a
    row of its own (OWN_ROW), its own kiosks only, counted in the totals like any office; a
    retired kiosk of the root does not keep an empty row in every report.
    """
    root, rows = communes(engine)
    if not rows:
        return root, rows
    start_ms, end_ms = period.previous().bounds_ms(tz)[0], period.bounds_ms(tz)[1]
    with engine.connect() as conn:
        own = conn.execute(select(devices.c.device).where(devices.c.office_id == root.id))
        for kiosk in own.scalars().all():  # few; each looked up by its own key (device, seq)
            pressed = select(presses.c.seq).where(presses.c.device == kiosk,
                                                  presses.c.at_ms >= start_ms,
                                                  presses.c.at_ms < end_ms).limit(1)  # fmt: skip
            if conn.execute(pressed).first() is not None:
                return root, [root, *rows]
    return root, rows


def own_row(office: offices.Office) -> bool:
    """Tell whether a row of the report is the root office's own (not its subtree)."""
    return office.parent_id is None


def database_figures(engine: Engine, period: Period, settings: ReportSettings, issued: date,
                     skip: Iterable[str] = (), mark: marks.Mark | None = None,
                     kept: Kept | None = None) -> list[OfficeFigures]:  # fmt: skip
    """Read each commune's figures of `period`, acting for it in turn (sites included).

    What a hundred offices would each ask on their own is asked once for all: the stored
    half-months (one query) and the presses stored since the oldest one's mark (rollup.py: a
    range of the primary key), fingerprints only for the rollups that have no mark or predate
    an anchor. When every rollup is stored and valid (the usual case) the rows are read in that
    same snapshot and the rollups take the newer mark; otherwise the stale ones are counted and
    stored first, one grouped pass a half-month for every office that needs it (rollup_batch),
    and a new snapshot is read. Either way every row is of the same moment, and each reads only
    what it shows (office_counts). `mark`: an exact mark (marks.take) the caller took before;
    `kept`: the open half-months of every commune kept from the caller's last read (open_halves),
    only the presses stored since then added.
    """
    skipped = set(skip)
    with engine.connect() as conn:
        every = offices.every_office(conn)
    each = report_rows(engine, period, settings.zone)[1]  # the root first when its own is a row
    rows = [o for o in each if o.code not in skipped]
    if not rows:
        return []
    # The root's own row counts from presses: rollups are keyed by office, its are the province's.
    rolled = [o for o in rows if not own_row(o)]
    home = {office: commune.id for office, commune in homes(every, each).items()}
    subtrees = {o.id: tuple(k for k, v in home.items() if v == o.id) for o in rolled}
    chosen = {o.id: offices.header_settings(settings, o, False) for o in rows}
    checked = [r for shown in (period.previous(), period)
               for r in checked_ranges(shown.start, shown.end, settings.flag_rules)]  # fmt: skip
    tz, every_half = settings.zone, [(o.id, day) for o in rolled for day, _a, _b in checked]
    if mark is None:  # else the caller's, taken before this is called
        with engine.connect() as conn:
            mark = marks.take(conn)  # before every read below: what they find valid takes it
    opened = (kept, mark, {o.id: tuple(k for k, v in home.items() if v == o.id)
                           for o in (each if kept is not None else rows)})  # fmt: skip
    with snapshot(engine) as conn:
        found, seen = _validation(conn, tz, subtrees, checked)
        stale, prints = stale_halves(conn, found, checked, subtrees, settings.flag_rules, seen)
        if not stale:  # every rollup stored and valid: the usual case, one snapshot
            read = _read_rows(conn, rows, period, chosen, (found, seen, prints, settings, opened))
    if not stale:
        with engine.connect() as conn:
            remark_all(conn, tz, found, every_half, mark)
        return read
    with engine.connect() as conn:
        recount(conn, stale, checked, subtrees, settings.flag_rules, mark)
        remark_all(conn, tz, found, [k for k in every_half if k not in stale], mark)
    with snapshot(engine) as conn:
        found, seen = _validation(conn, tz, subtrees, checked)
        _stale, prints = stale_halves(conn, found, checked, subtrees, settings.flag_rules, seen)
        return _read_rows(conn, rows, period, chosen, (found, seen, prints, settings, opened))


def _validation(conn, tz: str, subtrees: dict, checked) -> tuple[dict, marks.Arrivals | None]:
    """Read the rows' stored half-months and the presses stored since the oldest one's mark."""
    found = stored_halves(conn, tz, subtrees, {day for day, _a, _b in checked})
    oldest = oldest_mark(found)
    return found, None if oldest is None else marks.arrivals(conn, oldest)


def _read_rows(conn, rows, period: Period, chosen: dict, read: tuple) -> list[OfficeFigures]:
    """Read every office's row in the snapshot `conn`, its rollups validated once for all.

    What each row's gather reads is read first for every row at once: the runs of days counted
    from presses (the open half-month: kept ones with the presses since, or one grouped pass a
    run; open_halves.read_open) and the stored half-months (read_stored); a row takes them
    where it finds the same days valid.
    """
    found, seen, prints, settings, (kept, mark, subtrees) = read
    tz, rules, ahead, ranges = settings.zone, settings.flag_rules, {}, []
    for shown, flags in ((period.previous(), False), (period, True)):
        days, open_days = parts_of(shown.start, shown.end, tz)
        ranges += open_days
        if days:
            ahead |= read_stored(conn, tz, [o.id for o in rows if not own_row(o)], days, flags)
    ahead |= read_open(conn, kept, ranges, subtrees, rules, mark)
    rows_read = []
    with (
        q.known_fingerprints(prints),
        known_halves(tz, found),
        known_arrivals(seen),
        counted_ahead(rules, ahead),
    ):
        for office in rows:
            name = office.print_name or office.name
            with scope.acting_for(conn, office, own=own_row(office)):
                rows_read.append(office_row(conn, office.code,
                                            OWN_ROW.format(name=name) if own_row(office) else name,
                                            period, chosen[office.id]))  # fmt: skip
    return rows_read


def homes(every: list[offices.Office],
          rows: list[offices.Office]) -> dict[int, offices.Office]:  # fmt: skip
    """Map every office under one of `rows` (the row itself, its sites) to that row's office."""
    parent = {o.id: o.parent_id for o in every}
    by_id = {o.id: o for o in rows}
    found = {}
    for office in every:
        at = office.id
        while at is not None and at not in by_id:
            at = parent.get(at)
        if at is not None:
            found[office.id] = by_id[at]
    return found


def province_settings(settings: ReportSettings, root: offices.Office) -> ReportSettings:
    """Return settings whose [province] frame takes the root office's own header values."""
    frame = settings.province
    values = {
        "unit_name": root.print_name or frame.unit_name or root.name,
        "parent_name": root.parent_name or frame.parent_name,
        "place": root.place or frame.place or settings.place,  # the same địa danh, most often
        "signer_title": root.signer_title or frame.signer_title,
        "signer_name": root.signer_name or frame.signer_name,
    }
    if root.recipients:
        values["recipients"] = tuple(root.recipients.splitlines())
    return replace(settings, province=replace(frame, **values))


def consolidated(engine: Engine, period: Period, settings: ReportSettings, issued: date,
                 imported: Iterable[OfficeFigures] = (),
                 rows: list[OfficeFigures] | None = None) -> ProvinceReport:  # fmt: skip
    """Build the report upward of `period` from the database's communes and imported files.

    `rows`: the communes' figures when the caller has them (the province page keeps them).
    """
    files = list(imported)
    root, _rows = communes(engine)
    if rows is None:
        rows = database_figures(engine, period, settings, issued, skip=(f.code for f in files))
    return consolidate(period, rows + files, province_settings(settings, root), issued)


def several(engine: Engine) -> bool:
    """Tell whether the database holds offices under its root (a report upward is due)."""
    return bool(communes(engine)[1])


def upward_path(folder: Path, period: Period) -> Path:
    """Return the folder of a period's report upward (as report_path names an office's)."""
    name = period.label if period.convention == "cutoff" else f"{period.label}-duong-lich"
    return folder / name


def publish_upward(engine: Engine, periods: Iterable[Period], folder: Path,
                   settings: ReportSettings, day: date, actor: str,
                   clock=now_ms) -> tuple[list[Path], list[str], list[str]]:  # fmt: skip
    """Write and record the report upward of each period; return (written, kept, refused).

    `folder` is the publication folder; the files go into the root office's folder in it.
    """
    from hailong.server.reporting.formats.province_docs import render_province
    from hailong.server.reporting.publish import write_if_changed

    written, kept, refused = [], [], []
    root, _rows = communes(engine)
    home = folder / root.code
    for period in periods:
        try:
            report = consolidated(engine, period, settings, day)
            contents = {fmt: render_province(report, fmt) for fmt in FORMATS}
        except ValueError as exc:  # e.g. no sender in [province]: the offices' reports stand
            refused.append(f"{root.code}/{period.label}: the report upward: {exc}")
            continue
        base = upward_path(home, period)
        paths = {fmt: base / f"{STEM}-{base.name}.{fmt}" for fmt in FORMATS}
        with engine.connect() as conn, scope.acting_for(conn, root):
            shown = records.of_period(conn, period.label, period.convention, upward=True)
        if shown:
            first = next(iter(shown.values()))
            same = set(shown) == {UPWARD + f for f in FORMATS} and all(
                shown[UPWARD + f].sha256 == records.digest(contents[f]) for f in FORMATS
            )
            if not same:
                refused.append(
                    f"{root.code}/{period.label}: the report upward was published on "
                    f"{format_dmy(date.fromisoformat(first.published_on))} and would now differ:"
                    " the published report stays as it is"
                )
                continue
            written += [write_if_changed(paths[f], contents[f]) for f in FORMATS]
            kept.append(f"{root.code}/{period.label}/{STEM}")
            continue
        done = [write_if_changed(paths[f], contents[f]) for f in FORMATS]
        figures = _figures(report)
        at = clock()
        rows = []
        for fmt, path in zip(FORMATS, done, strict=True):
            sha, size = records.file_digest(path)
            rows.append(records.Record(period.label, period.kind, period.convention,
                                       UPWARD + fmt, path.relative_to(home).as_posix(), sha,
                                       size, day.isoformat(), at, figures))  # fmt: skip
        with engine.begin() as conn, scope.acting_for(conn, root):
            records.store(conn, actor, rows)
        written += done
    return written, kept, refused


def _figures(report: ProvinceReport) -> dict:
    """Return what a record keeps of the report upward: the sums and each office's counts."""
    return {
        "period": report.period.label,
        "upward": True,
        "ratings": report.totals.total,
        "offices": {
            row.code: {str(k): v for k, v in row.stats.counts.items()} for row in report.offices
        },  # fmt: skip
    }
