"""ts_ms: a press's ts as UTC epoch ms, the same integer as the long way for every valid ts."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hailong.protocol import ProtocolError
from hailong.protocol.fields import check_timestamp
from hailong.server.epoch import to_ms, ts_ms

OFFSETS = st.integers(-(23 * 60 + 59), 23 * 60 + 59).map(lambda m: timedelta(minutes=m))


def _contract_ts(moment: datetime, offset: timedelta, zulu: bool) -> str:
    text = moment.replace(tzinfo=timezone(offset)).isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z") if zulu else text


@given(
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)),
    OFFSETS,
    st.booleans(),
)
def test_ts_ms_matches_to_ms_of_the_parsed_moment(moment, offset, zulu):
    ts = _contract_ts(moment, offset, zulu)
    check_timestamp(ts, "press.ts")  # a ts a Press can hold
    assert ts_ms(ts) == to_ms(datetime.fromisoformat(ts))


def test_ts_ms_at_the_edges_of_minutes_days_and_years():
    for ts, expected in [
        ("1970-01-01T00:00:00.000Z", 0),
        ("1970-01-01T07:00:00.000+07:00", 0),
        ("1969-12-31T23:59:59.999Z", -1),
        ("2024-02-29T23:59:59.999-00:30", to_ms(datetime(2024, 3, 1, 0, 29, 59, 999000, UTC))),
        ("2024-12-31T23:59:59.999+23:59", to_ms(datetime(2024, 12, 31, 0, 0, 59, 999000, UTC))),
        ("2026-12-05T08:30:00.123+07:00", 1_796_434_200_123),
    ]:
        assert ts_ms(ts) == expected, ts


def test_ts_ms_shares_the_minute_between_presses_of_differing_seconds():
    first = ts_ms("2026-12-05T08:30:00.000+07:00")
    assert ts_ms("2026-12-05T08:30:59.999+07:00") == first + 59_999
    assert ts_ms("2026-12-05T08:31:00.000+07:00") == first + 60_000
    assert ts_ms("2026-12-05T08:30:00.000+06:00") == first + 3_600_000


@pytest.mark.parametrize(
    "bad", ["2026-12-05T08:30:60.000Z", "2026-02-30T08:30:00.000Z", "2026-12-05T08:30:00Z"]
)
def test_a_ts_outside_the_shape_ts_ms_trusts_never_reaches_it(bad):
    # A Press holds only a ts check_timestamp took: no leap second, no impossible day.
    with pytest.raises(ProtocolError):
        check_timestamp(bad, "press.ts")
