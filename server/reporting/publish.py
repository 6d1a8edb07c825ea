"""Publish on the 28th: write every report due into the publication folder, record it, update the board.

Layout: <folder>/<label>/bao-cao-hai-long-<label>.{xlsx,pdf,csv} and <folder>/board.json; the
calendar convention's reports go to <label>-duong-lich/ so the two never share a file. The
cut-off convention is the default: its periods close on the 14th, so the 28th publishes them
(28/12 the year, 28/03 Quarter I, 28/06 the half, 28/09 Quarter III and 9 months).

A published report is a record: each file's SHA-256, size and the figures shown are stored in
the `published` table and the audit log (published.py). Publishing a period again is
idempotent while its report comes out byte for byte the same; when it would differ (presses
arrived late, a correction, a dossier count) it is refused and the published files and
records stay as they are: the late presses are reported in the next report (reporting/late.py).
With several offices each office publishes into <folder>/<office code>/ (publish_offices), and
the root office's folder also gets the province's consolidated report (upward.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy.engine import Engine

from hailong.protocol.files import write_atomic
from hailong.server.epoch import now_ms
from hailong.server.reference import offices, scope
from hailong.server.reporting import published as records
from hailong.server.reporting.data import ReportData, ReportSettings
from hailong.server.reporting.formats import FORMATS, REPORT_MODE, render
from hailong.server.reporting.frozen import SNAPSHOT, snapshot
from hailong.server.reporting.metrics import BEST_FIRST, fmt_pct
from hailong.server.reporting.periods import Period, due_on, format_dmy
from hailong.server.reporting.reading import read_report

BOARD = "board.json"
STEM = "bao-cao-hai-long"
DEFAULT_CONVENTION = "cutoff"
ACTOR = "publish"


@dataclass
class Publication:
    """What one run did: the files that now hold the reports, and the periods it refused."""

    written: list[Path] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # labels already published, unchanged
    refused: list[str] = field(default_factory=list)  # one message per refused period


def publish(
    engine: Engine,
    day: date,
    folder: Path,
    settings: ReportSettings,
    convention: str = DEFAULT_CONVENTION,
    actor: str = ACTOR,
    clock: Callable[[], int] = now_ms,
) -> Publication:
    """Write and record the reports due on `day` and the board; refuse changing a published one.

    `clock` tells the publication's moment in UTC ms (tests replay a past 28th).
    """
    done = Publication()
    entries = []
    for period in due_on(day, convention):
        data = read_report(engine, period, settings, issued=day)
        contents = {fmt: render(data, fmt) for fmt in FORMATS}
        with engine.connect() as conn:
            shown = records.of_period(conn, period.label, convention)
        if shown:
            entries.append(_again(folder, period, contents, shown, done))
            continue
        paths = [write_if_changed(report_path(folder, period, f), contents[f]) for f in FORMATS]
        entry = board_entry(data, [p.relative_to(folder) for p in paths])
        figures = {**entry, SNAPSHOT: snapshot(data)}  # the board's and poster's, frozen
        # Taken after the report was read: a press received from now on is a late arrival.
        _record(engine, actor, (day, clock()), period, figures, paths, folder)
        done.written += paths
        entries.append(entry)
    if entries:
        done.written.append(update_board(folder / BOARD, day, settings, entries))
    return done


def publish_offices(engine: Engine, day: date, folder: Path, settings: ReportSettings,
                    convention: str = DEFAULT_CONVENTION, office: str | None = None,
                    actor: str = ACTOR) -> Publication:  # fmt: skip
    """Publish every office's reports (or those of the one named and the offices under it) due on `day`.

    A database of one office publishes into `folder` itself, as before offices existed; of
    several, each office into `folder/<office code>/` with its own board.json and header. A
    commune's report counts its sites' kiosks (its subtree, as its pages do); its sites each
    publish their own too. The root's publication adds the province's report upward.
    """
    with engine.connect() as conn:
        every = offices.every_office(conn)
        below = offices.subtree(conn, offices.require(conn, office).id) if office else ()
        chosen = [o for o in every if o.id in below] if office else every
    if len(every) == 1:
        with engine.connect() as conn, scope.acting_for(conn, every[0]):
            conn.rollback()
            return publish(engine, day, folder, offices.header_settings(settings, every[0]),
                           convention, actor)  # fmt: skip
    done = Publication()
    for one in chosen:
        with engine.connect() as conn, scope.acting_for(conn, one):
            conn.rollback()
            part = publish(engine, day, folder / one.code,
                           offices.header_settings(settings, one, alone=False), convention,
                           actor)  # fmt: skip
        done.written += part.written
        done.kept += [f"{one.code}/{label}" for label in part.kept]
        done.refused += [f"{one.code}: {message}" for message in part.refused]
    if office is None or chosen[0].parent_id is None:  # the root's publication adds the province's
        from hailong.server.reporting.upward import publish_upward

        written, kept, refused = publish_upward(engine, due_on(day, convention), folder,
                                                settings, day, actor)  # fmt: skip
        done.written += written
        done.kept += kept
        done.refused += refused
    return done


def _again(folder: Path, period: Period, contents: dict, shown: dict, done: Publication) -> dict:
    """Handle a period already published: keep it when unchanged, refuse it otherwise."""
    first = next(iter(shown.values()))
    same = set(shown) == set(contents) and all(
        shown[fmt].sha256 == records.digest(content) for fmt, content in contents.items()
    )
    if not same:
        done.refused.append(
            f"{period.label} was published on {format_dmy(date.fromisoformat(first.published_on))}"
            f" ({first.figures['ratings']} ratings) and its report would now differ: the published"
            " report stays as it is; presses that arrived since are reported as late arrivals"
            " (bổ sung) in the next report"
        )
        return _entry(first.figures)
    # The same bytes: restore a file that went missing, exactly as recorded.
    done.written += [write_if_changed(report_path(folder, period, f), contents[f]) for f in FORMATS]
    done.kept.append(period.label)
    return _entry(first.figures)


def _entry(figures: dict) -> dict:
    """Return a record's board.json entry (its figures without the frozen snapshot)."""
    return {key: value for key, value in figures.items() if key != SNAPSHOT}


def _record(engine, actor, when: tuple[date, int], period, entry, paths, folder) -> None:
    """Store each file's hash, size and the figures, with an audit row each, in one transaction."""
    day, at = when
    rows = []
    for path in paths:
        sha, size = records.file_digest(path)
        rows.append(records.Record(
            period.label, period.kind, period.convention, path.suffix[1:],
            path.relative_to(folder).as_posix(), sha, size, day.isoformat(), at, entry))  # fmt: skip
    with engine.begin() as conn:
        records.store(conn, actor, rows)


def report_path(folder: Path, period: Period, fmt: str) -> Path:
    """Return the stable name of a period's report in one format."""
    name = period.label if period.convention == DEFAULT_CONVENTION else f"{period.label}-duong-lich"
    return folder / name / f"{STEM}-{name}.{fmt}"


def write_if_changed(path: Path, content: bytes) -> Path:
    """Write `content` atomically unless the file already holds exactly that."""
    if path.exists() and path.read_bytes() == content:
        return path
    return write_atomic(path, content, mode=REPORT_MODE)


def board_entry(data: ReportData, files: list[Path]) -> dict:
    """Return what the public board shows of one report: totals, shares, rate, coverage."""
    totals, cov = data.totals, data.field_total
    return {
        "period": data.period.label,
        "kind": data.period.kind,
        "convention": data.period.convention,
        "title": data.period.title_vi,
        "from": data.period.start.isoformat(),
        "to": data.period.end.isoformat(),
        "ratings": totals.total,
        "counts": {str(level): totals.counts[level] for level in BEST_FIRST},
        "shares_pct": {str(level): _pct(totals.shares[level]) for level in BEST_FIRST},
        "rate_pct": _pct(totals.rate),
        "previous": {"period": data.previous.label, "rate_pct": _pct(data.trend.previous.rate)},
        "coverage_pct": _pct(cov.percent),
        "coverage_target_pct": _pct(data.settings.coverage_target * 100),
        "files": {path.suffix[1:]: path.as_posix() for path in files},
    }


def update_board(path: Path, day: date, settings: ReportSettings, entries: list[dict]) -> Path:
    """Write board.json for the publication of `day`, unless a later one is already shown."""
    if path.exists():
        try:
            shown = date.fromisoformat(json.loads(path.read_text(encoding="utf-8"))["published"])
        except (ValueError, KeyError, TypeError):
            shown = None  # unreadable: replace it
        if shown is not None and shown > day:
            return path  # a rerun for an earlier 28th must not take the newer figures down
    board = {"published": day.isoformat(), "unit": settings.unit_name, "reports": entries}
    text = json.dumps(board, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    return write_if_changed(path, text.encode("utf-8"))


def _pct(value: float | None) -> float | None:
    """Round a percentage as the printed report does (half up, one decimal)."""
    return None if value is None else float(fmt_pct(value, "en").removesuffix("%"))
