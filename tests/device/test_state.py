"""Tests for device.state: the kiosk's rules, driven by events with a fake clock."""

import pytest

from hailong.device.events import (
    ButtonPressed,
    DossierScanned,
    Pressed,
    ServiceChord,
    SkipReason,
    Tick,
)
from hailong.device.state import (
    ConfigChanged,
    Kiosk,
    KioskSettings,
    RecordPress,
    Rejected,
    ShowView,
    Suppressed,
)

REASONS = ("Thời gian chờ lâu", "Thái độ cán bộ", "Thủ tục, hồ sơ phức tạp", "Lý do khác")


def records(effects):
    return [e for e in effects if isinstance(e, RecordPress)]


def test_press_records_the_rating_then_thanks():
    kiosk = Kiosk()
    effects = kiosk.handle(ButtonPressed(1, 10.0))
    assert effects == [
        RecordPress(rating=4, reason=None, dossier=None, mode="live", at=10.0),
        ShowView("thanks", rating=4),
    ]
    assert kiosk.view == "thanks"
    assert kiosk.next_deadline() == 15.0


@pytest.mark.parametrize(("button", "rating"), [(1, 4), (2, 3), (3, 2), (4, 1)])
def test_button_n_is_rating_five_minus_n(button, rating):
    assert records(Kiosk().handle(ButtonPressed(button, 0.0)))[0].rating == rating


def test_a_debounced_press_from_the_buttons_is_taken_too():
    assert records(Kiosk().handle(Pressed(2, 0.0)))[0].rating == 3


def test_presses_during_cooldown_are_suppressed_and_counted():
    kiosk = Kiosk()
    kiosk.handle(ButtonPressed(2, 0.0))
    assert kiosk.handle(ButtonPressed(1, 1.0)) == [Suppressed(1.0, button=1)]
    assert kiosk.handle(ButtonPressed(4, 4.99)) == [Suppressed(4.99, button=4)]
    assert kiosk.suppressed == 2
    assert kiosk.handle(Tick(5.0)) == [ShowView("idle")]
    assert kiosk.view == "idle" and kiosk.next_deadline() is None
    assert records(kiosk.handle(ButtonPressed(4, 5.1)))[0].rating == 1
    assert kiosk.suppressed == 2


def test_a_zero_cooldown_takes_the_next_press_at_once():
    kiosk = Kiosk(KioskSettings(cooldown_s=0))
    kiosk.handle(ButtonPressed(1, 0.0))
    assert kiosk.next_deadline() == 0.0
    assert records(kiosk.handle(ButtonPressed(2, 0.0)))[0].rating == 3
    assert kiosk.suppressed == 0


def test_a_late_press_ends_the_cooldown_without_a_tick():
    kiosk = Kiosk()
    kiosk.handle(ButtonPressed(2, 0.0))
    effects = kiosk.handle(ButtonPressed(3, 7.0))
    assert effects[0] == ShowView("idle")
    assert records(effects) == [RecordPress(2, None, None, "live", 7.0)]


def test_low_rating_asks_why_and_records_once_with_the_reason():
    kiosk = Kiosk(KioskSettings(reasons=REASONS))
    assert kiosk.handle(ButtonPressed(4, 0.0)) == [ShowView("reason", rating=1, until=12.0)]
    assert kiosk.view == "reason"
    assert kiosk.next_deadline() == 12.0
    effects = kiosk.handle(ButtonPressed(2, 3.0))
    assert effects == [RecordPress(1, 2, None, "live", 0.0), ShowView("thanks", rating=1)]
    assert kiosk.next_deadline() == 8.0


def test_reason_timeout_records_the_rating_without_a_reason():
    kiosk = Kiosk(KioskSettings(reasons=REASONS))
    kiosk.handle(ButtonPressed(3, 0.0))
    assert kiosk.handle(Tick(11.9)) == []
    effects = kiosk.handle(Tick(12.0))
    assert effects == [RecordPress(2, None, None, "live", 0.0), ShowView("thanks", rating=2)]
    assert kiosk.next_deadline() == 17.0


def test_skip_records_the_rating_without_a_reason_at_once():
    kiosk = Kiosk(KioskSettings(reasons=REASONS))
    kiosk.handle(ButtonPressed(4, 0.0))
    effects = kiosk.handle(SkipReason(2.5))
    assert effects == [RecordPress(1, None, None, "live", 0.0), ShowView("thanks", rating=1)]
    assert kiosk.next_deadline() == 7.5, "the thanks runs from the skip, not from the time-out"
    assert kiosk.handle(Tick(12.0)) == [ShowView("idle")], "the time-out records nothing more"


def test_a_skip_outside_the_reason_view_does_nothing():
    kiosk = Kiosk(KioskSettings(reasons=REASONS))
    assert kiosk.handle(SkipReason(0.0)) == []
    kiosk.handle(ButtonPressed(1, 1.0))  # a good rating: thanks, no question
    assert kiosk.handle(SkipReason(2.0)) == []
    assert kiosk.view == "thanks"


def test_good_ratings_and_unconfigured_reasons_ask_nothing():
    assert Kiosk(KioskSettings(reasons=REASONS)).handle(ButtonPressed(2, 0.0))[1].view == "thanks"
    assert Kiosk().handle(ButtonPressed(4, 0.0))[1].view == "thanks"
    only_worst = KioskSettings(reasons=REASONS, low_ratings=(1,))
    assert Kiosk(only_worst).handle(ButtonPressed(3, 0.0))[1].view == "thanks"


def test_require_dossier_refuses_a_press_without_a_scan():
    kiosk = Kiosk(KioskSettings(require_dossier=True))
    effects = kiosk.handle(ButtonPressed(1, 0.0))
    assert effects == [Rejected("dossier-required", 0.0, button=1), ShowView("scan_needed")]
    assert kiosk.view == "scan_needed"
    assert kiosk.handle(Tick(4.0)) == [ShowView("idle")]


def test_require_dossier_scan_then_press_records_the_dossier():
    kiosk = Kiosk(KioskSettings(require_dossier=True))
    kiosk.handle(ButtonPressed(1, 0.0))
    assert kiosk.handle(DossierScanned("H12-0001", 1.0)) == [ShowView("idle", dossier="H12-0001")]
    assert records(kiosk.handle(ButtonPressed(1, 2.0))) == [
        RecordPress(4, None, "H12-0001", "live", 2.0)
    ]
    # The dossier went with that rating: the next citizen must scan again.
    assert kiosk.handle(ButtonPressed(1, 9.0))[1] == Rejected("dossier-required", 9.0, button=1)


def test_a_dossier_is_rated_at_most_once():
    kiosk = Kiosk()
    kiosk.mark_used(["OLD-1"])
    assert kiosk.handle(DossierScanned("OLD-1", 0.0)) == [Rejected("dossier-already-rated", 0.0)]
    kiosk.handle(DossierScanned("NEW-2", 1.0))
    kiosk.handle(ButtonPressed(2, 2.0))
    assert kiosk.handle(DossierScanned("NEW-2", 20.0))[-1] == Rejected(
        "dossier-already-rated", 20.0
    )


def test_a_dossier_waiting_for_its_reason_cannot_be_scanned_again():
    kiosk = Kiosk(KioskSettings(reasons=REASONS))
    kiosk.handle(DossierScanned("D-7", 0.0))
    kiosk.handle(ButtonPressed(4, 1.0))
    assert kiosk.handle(DossierScanned("D-7", 2.0)) == [Rejected("dossier-already-rated", 2.0)]
    assert records(kiosk.handle(ButtonPressed(1, 3.0))) == [RecordPress(1, 1, "D-7", "live", 1.0)]


def test_a_scan_attaches_to_the_next_press_only_within_the_scan_timeout():
    kiosk = Kiosk()
    kiosk.handle(DossierScanned("A-1", 0.0))
    assert kiosk.next_deadline() == 60.0
    assert kiosk.handle(Tick(60.0)) == [ShowView("idle")]
    assert records(kiosk.handle(ButtonPressed(1, 61.0)))[0].dossier is None


def test_a_scan_during_the_thanks_waits_for_the_next_citizen():
    kiosk = Kiosk()
    kiosk.handle(ButtonPressed(1, 0.0))
    assert kiosk.handle(DossierScanned("B-2", 2.0)) == []
    assert kiosk.handle(Tick(5.0)) == [ShowView("idle", dossier="B-2")]
    assert records(kiosk.handle(ButtonPressed(2, 6.0)))[0].dossier == "B-2"


def test_service_mode_records_test_presses_and_shows_the_button():
    kiosk = Kiosk()
    assert kiosk.handle(ServiceChord(0.0)) == [ShowView("service")]
    effects = kiosk.handle(ButtonPressed(3, 1.0))
    assert effects == [
        RecordPress(2, None, None, "test", 1.0),
        ShowView("service", rating=2, button=3),
    ]
    # No cooldown in service mode: every press is a test.
    assert records(kiosk.handle(ButtonPressed(3, 1.5)))[0].mode == "test"
    assert kiosk.suppressed == 0


def test_service_mode_ends_on_a_second_chord():
    kiosk = Kiosk()
    kiosk.handle(ServiceChord(0.0))
    assert kiosk.handle(ServiceChord(10.0)) == [ShowView("idle")]
    assert records(kiosk.handle(ButtonPressed(1, 11.0)))[0].mode == "live"


def test_service_mode_ends_after_inactivity_counted_from_the_last_press():
    kiosk = Kiosk()
    kiosk.handle(ServiceChord(0.0))
    kiosk.handle(ButtonPressed(1, 100.0))
    assert kiosk.handle(Tick(219.9)) == []
    assert kiosk.handle(Tick(220.0)) == [ShowView("idle")]


def test_service_chord_during_a_reason_keeps_the_citizen_rating():
    kiosk = Kiosk(KioskSettings(reasons=REASONS))
    kiosk.handle(ButtonPressed(4, 0.0))
    effects = kiosk.handle(ServiceChord(3.0))
    assert effects == [RecordPress(1, None, None, "live", 0.0), ShowView("service")]


def test_a_scan_in_service_mode_is_echoed_and_not_kept():
    kiosk = Kiosk()
    kiosk.handle(ServiceChord(0.0))
    assert kiosk.handle(DossierScanned("T-1", 1.0)) == [ShowView("service", dossier="T-1")]
    kiosk.handle(ServiceChord(2.0))
    assert records(kiosk.handle(ButtonPressed(1, 3.0)))[0].dossier is None


def test_config_change_applies_to_the_next_press():
    kiosk = Kiosk()
    kiosk.handle(ConfigChanged(KioskSettings(cooldown_s=2.0, reasons=REASONS)))
    assert kiosk.handle(ButtonPressed(4, 0.0)) == [ShowView("reason", rating=1, until=12.0)]
    kiosk.handle(ButtonPressed(1, 1.0))
    assert kiosk.next_deadline() == 3.0


def test_missed_deadlines_run_in_order_before_the_event():
    kiosk = Kiosk(KioskSettings(reasons=REASONS))
    kiosk.handle(ButtonPressed(4, 0.0))
    effects = kiosk.handle(ButtonPressed(1, 100.0))
    assert records(effects) == [
        RecordPress(1, None, None, "live", 0.0),
        RecordPress(4, None, None, "live", 100.0),
    ]


@pytest.mark.parametrize(
    "bad",
    [{"cooldown_s": -1}, {"reasons": ("a", "b")}, {"low_ratings": (0,)}, {"scan_timeout_s": -1}],
)
def test_invalid_settings_name_the_key(bad):
    with pytest.raises(ValueError, match=next(iter(bad))):
        KioskSettings(**bad)


def test_not_a_kiosk_event_is_refused():
    with pytest.raises(TypeError):
        Kiosk().handle(object())
    with pytest.raises(ValueError):
        ButtonPressed(5, 0.0)
