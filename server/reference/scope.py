"""The office a command or a request acts for: what it reads (the subtree) and writes (the office).

Set once where work enters (a CLI command's --office, a page's signed-in account or chosen
office, a publication's loop over offices) with `acting_for`, and read by the one home of each
rule: reference lookups and writes (`owned`, `owner`), the audit log, and the counting predicate
of the reports (reporting/queries.in_range: the presses of the subtree's kiosks). A context
variable rather than a parameter threaded through every query: the predicates stay where they
were; a database of one office reads its one office's presses (the report index leads with it).

Outside `acting_for` nothing is scoped: every row is read and a write gets the only office
(storage/owner.py), refused when there are several.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select, true
from sqlalchemy.engine import Connection

from hailong.server.storage.schema import devices, presses
from hailong.server.storage.schema import offices as offices_table

if TYPE_CHECKING:  # offices writes the audit log, which reads the scope: imported when acting
    from hailong.server.reference.offices import Office


@dataclass(frozen=True)
class Scope:
    """The office acted for, the ids of its subtree, and whether the database has other offices."""

    office: Office
    ids: tuple[int, ...]
    alone: bool  # the database's only office: nothing to filter
    own: bool = False  # the office without the offices under it (the province's own kiosks)
    every: tuple[int, ...] = ()  # every office's id (presses name theirs: scoped_presses)

    @property
    def everything(self) -> bool:
        """Tell whether the subtree is every office (the root's): a subtree filter is moot."""
        return self.alone or (self.office.parent_id is None and not self.own)


_current: ContextVar[Scope | None] = ContextVar("hailong_office_scope", default=None)
# Offices whose presses count at once, for a pass that counts several offices grouped.
_several: ContextVar[tuple[int, ...] | None] = ContextVar("hailong_press_offices", default=None)


@contextmanager
def acting_for(conn: Connection, office: Office | int | str | None,
               own: bool = False) -> Iterator[Scope]:  # fmt: skip
    """Act for an office (an Office, an id, a code, or None: the only one) inside the block.

    `own`: its own rows and kiosks only, not its subtree's (the root office's own row upward).
    """
    from hailong.server.reference import offices

    if isinstance(office, int):
        office = offices.by_id(conn, office)
    elif not isinstance(office, offices.Office):
        office = offices.resolve(conn, office)
    ids = (office.id,) if own else offices.subtree(conn, office.id)
    every = tuple(conn.execute(select(offices_table.c.id)).scalars())
    scope = Scope(office, ids, len(every) == 1, own, every)
    token = _current.set(scope)
    try:
        yield scope
    finally:
        _current.reset(token)


def current() -> Scope | None:
    """Return the scope in force, None outside any."""
    return _current.get()


def office_id() -> int | None:
    """Return the id of the office acted for, None outside any scope."""
    found = _current.get()
    return None if found is None else found.office.id


def owner() -> dict:
    """Return the office_id values a new row takes ({} outside a scope: the column's default)."""
    found = _current.get()
    return {} if found is None else {"office_id": found.office.id}


def owned(table):
    """Return the condition "a row of the office acted for" (by code lookups, writes)."""
    found = _current.get()
    if found is None or found.alone:
        return true()
    return table.c.office_id == found.office.id


def visible(table):
    """Return the condition "a row of the subtree acted for" (listings, reports)."""
    found = _current.get()
    if found is None or found.everything:
        return true()
    return table.c.office_id.in_(found.ids)


def contains(office_id: int | None) -> bool:
    """Tell whether a row of this office is in the subtree acted for (always, outside a scope)."""
    found = _current.get()
    return found is None or found.everything or office_id in found.ids


def scoped_presses():
    """Return the condition "a press of a kiosk of the subtree", naming the offices.

    Always a list of offices, also for the only office and the root (every office): the report
    index leads with office_id, and a range of at_ms is one range of it only under an office.
    Outside a scope, every office (a subquery of a table of a few rows).
    """
    found = _current.get()
    if found is None and _several.get() is None:
        return presses.c.office_id.in_(select(offices_table.c.id))
    return presses.c.office_id.in_(press_offices())


def of_kiosks(device):
    """Return the condition "this device column names a kiosk of the subtree" (true at the root).

    What belongs to no office of its own — a refused message naming no known kiosk, or none —
    is the root's only: no commune's kiosks match it.
    """
    found = _current.get()
    if found is None or found.everything:
        return true()
    kiosks = select(devices.c.device).where(devices.c.office_id.in_(found.ids))
    return device.in_(kiosks)


def device_office(device):
    """Return the scalar query "the office of this kiosk" (a value or a correlated column)."""
    return (
        select(devices.c.office_id)
        .where(devices.c.device == device)
        .correlate_except(devices)
        .scalar_subquery()
    )


def own_only() -> bool:
    """Tell whether the scope in force is an office without its subtree (see acting_for)."""
    found = _current.get()
    return found is not None and found.own and not found.alone


def several() -> bool:
    """Tell whether the scope in force is in a database of several offices."""
    found = _current.get()
    return found is not None and not found.alone


def press_offices() -> tuple[int, ...] | None:
    """Return the offices whose presses count for the scope (None outside one: every office)."""
    several, found = _several.get(), _current.get()
    if several is not None:
        return several
    if found is None:
        return None
    return found.every if found.everything else found.ids


@contextmanager
def counting_presses_of(ids) -> Iterator[None]:
    """Count the presses of these offices in the block, whatever the scope (a grouped pass).

    For passes that count several offices in one query and split the rows by office after:
    only the presses' predicate changes, never what is read or written by code.
    """
    token = _several.set(tuple(sorted(ids)))
    try:
        yield
    finally:
        _several.reset(token)
