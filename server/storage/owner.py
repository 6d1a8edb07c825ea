"""Which office a row belongs to when its writer names none: the one office, never a guess.

A one-office install (every database upgraded from before revision 0009, every fresh one)
has exactly one office, and code written before offices existed keeps working unchanged.
With several offices a writer must name the office: a row without one is refused, except a
kiosk's first press (ingest, storage/batch.py), whose device was never registered here — only
an anonymous broker lets one in — which goes to the root office rather than stop ingest.
"""

from __future__ import annotations

from sqlalchemy import text

from hailong.server.errors import InputError
from hailong.server.storage import press_lock

_FIRST_TWO = text("SELECT id FROM offices ORDER BY id LIMIT 2")
_ROOT = text("SELECT min(id) FROM offices WHERE parent_id IS NULL")


def the_one_office(context) -> int:
    """Return the id of the only office; refuse when there are several (name one)."""
    found = context.connection.execute(_FIRST_TWO).scalars().all()
    if len(found) != 1:
        if found:
            raise InputError("Cơ sở dữ liệu có nhiều đơn vị: hãy chọn đơn vị (--office MÃ)")
        raise InputError(
            "Cơ sở dữ liệu chưa có đơn vị nào: hãy chạy `hailong-collector db upgrade`"
        )
    return found[0]


def office_of_new_device(context) -> int:
    """Return the office of a kiosk first seen by ingest: the only office, else the root."""
    return context.connection.execute(_ROOT).scalar_one()


_DEVICE = text("SELECT office_id FROM devices WHERE device = :device")


def office_of_press(context) -> int:
    """Return the office of a press inserted without one: its kiosk's, else the root office.

    Ingest names it (storage/batch.py); this serves the other writers (tools, tests). A kiosk
    not registered counts with the root office, as its presses always have.
    """
    press_lock.share(context.connection)  # before the insert takes its id
    device = context.get_current_parameters().get("device")
    found = context.connection.execute(_DEVICE, {"device": device}).scalar()
    return office_of_new_device(context) if found is None else found
