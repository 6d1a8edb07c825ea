"""Tests for device.buttons: debounce, chords, the service chord and stuck buttons on a fake clock."""

import pytest

from hailong.device.buttons import ButtonLogic
from hailong.device.events import Edge, Pressed, ServiceChord, StuckCleared, StuckFault


def run(logic, *steps):
    """Feed (button, pressed, at) edges or poll at a bare float; collect every event."""
    events = []
    for step in steps:
        events += logic.poll(step) if isinstance(step, float) else logic.feed(Edge(*step))
    return events


def test_clean_press_is_accepted_once_its_release_has_settled():
    logic = ButtonLogic()
    assert run(logic, (2, True, 1.0), (2, False, 1.2)) == []
    assert logic.next_deadline() == pytest.approx(1.23)
    assert logic.poll(1.229) == []
    assert logic.poll(1.23) == [Pressed(2, 1.2)]
    assert logic.next_deadline() is None


def test_chatter_on_press_and_release_gives_one_press_and_counts_bounces():
    logic = ButtonLogic()
    events = run(
        logic,
        (3, True, 0.000),
        (3, False, 0.004),
        (3, True, 0.009),
        (3, False, 0.012),
        (3, True, 0.015),
        (3, False, 0.800),
        (3, True, 0.805),
        (3, False, 0.811),
        1.0,
    )
    assert events == [Pressed(3, 0.811)]
    assert logic.bounces == 3


def test_a_blip_shorter_than_debounce_is_not_a_press():
    logic = ButtonLogic()
    assert run(logic, (1, True, 0.0), (1, False, 0.02), 1.0) == []
    assert logic.bounces == 1


def test_a_short_dropout_while_held_does_not_split_the_press():
    logic = ButtonLogic()
    events = run(logic, (1, True, 0.0), (1, False, 0.2), (1, True, 0.205), (1, False, 0.6), 1.0)
    assert events == [Pressed(1, 0.6)]


def test_quick_presses_of_two_buttons_in_turn_are_both_accepted():
    logic = ButtonLogic()
    events = run(logic, (2, True, 0.0), (2, False, 0.1), (3, True, 0.11), (3, False, 0.3), 1.0)
    assert events == [Pressed(2, 0.1), Pressed(3, 0.3)]
    assert logic.chords == 0


def test_overlapping_buttons_are_ignored_and_counted_as_one_chord():
    logic = ButtonLogic()
    events = run(
        logic,
        (2, True, 0.0),
        (3, True, 0.5),
        (2, False, 0.7),
        (4, True, 0.8),
        (3, False, 1.0),
        (4, False, 1.2),
        2.0,
    )
    assert events == []
    assert logic.chords == 1


def test_press_after_a_chord_is_accepted_again():
    logic = ButtonLogic()
    run(logic, (2, True, 0.0), (3, True, 0.1), (2, False, 0.2), (3, False, 0.3), 1.0)
    assert run(logic, (4, True, 2.0), (4, False, 2.1), 3.0) == [Pressed(4, 2.1)]
    assert logic.chords == 1


def test_service_chord_fires_at_five_seconds_not_before():
    logic = ButtonLogic()
    run(logic, (1, True, 0.0), (4, True, 0.0))
    assert logic.poll(4.9) == []
    assert logic.next_deadline() == pytest.approx(5.0)
    assert logic.poll(5.0) == [ServiceChord(5.0)]
    assert logic.poll(7.0) == []
    assert run(logic, (1, False, 8.0), (4, False, 8.0), 9.0) == []
    assert logic.chords == 0


def test_service_chord_hold_is_configurable():
    logic = ButtonLogic(service_hold_s=2.0)
    run(logic, (1, True, 0.0), (4, True, 0.5))
    assert logic.poll(2.4) == []
    assert logic.poll(2.5) == [ServiceChord(2.5)]


def test_release_just_before_the_service_hold_wins_even_when_learnt_late():
    logic = ButtonLogic()
    run(logic, (1, True, 0.0), (4, True, 0.0), (4, False, 4.99))
    assert logic.poll(5.0) == []  # the release is not settled yet, so nothing is decided
    assert logic.poll(5.1) == []
    run(logic, (1, False, 6.0), 7.0)
    assert logic.chords == 1


def test_buttons_one_and_four_with_a_third_are_no_service_chord():
    logic = ButtonLogic(stuck_s=20.0)
    assert run(logic, (1, True, 0.0), (4, True, 0.0), (2, True, 1.0), 5.5) == []
    # The third comes up: exactly 1 and 4 again, so the 5 s start over.
    assert run(logic, (2, False, 6.0), 10.9) == []
    assert run(logic, 11.0) == [ServiceChord(11.0)]


def test_stuck_button_faults_at_ten_seconds_and_clears_on_release():
    logic = ButtonLogic()
    run(logic, (2, True, 0.0))
    assert logic.poll(9.99) == []
    assert logic.poll(10.0) == [StuckFault(2, 10.0)]
    assert logic.faults == ["button-2-stuck"]
    assert logic.poll(30.0) == []  # once only
    assert run(logic, (2, False, 31.0), 32.0) == [StuckCleared(2, 31.0)]
    assert logic.faults == []
    assert run(logic, (2, True, 40.0), (2, False, 40.2), 41.0) == [Pressed(2, 40.2)]


def test_stuck_fault_names_the_button():
    assert StuckFault(3, 0.0).code == "button-3-stuck"


def test_a_hold_of_exactly_the_stuck_threshold_is_no_press():
    logic = ButtonLogic()
    events = run(logic, (1, True, 0.0), (1, False, 10.0), 11.0)
    assert events == [StuckFault(1, 10.0), StuckCleared(1, 10.0)]


def test_other_buttons_keep_working_while_one_is_stuck():
    logic = ButtonLogic()
    run(logic, (4, True, 0.0), 10.0)
    assert run(logic, (2, True, 12.0), (2, False, 12.2), 13.0) == [Pressed(2, 12.2)]
    assert logic.chords == 0


def test_an_edge_stamped_before_the_last_poll_is_taken_as_of_that_poll():
    logic = ButtonLogic()
    run(logic, (3, True, 1.0), 2.0)
    # Callbacks race to the queue: time must not run backwards inside the logic.
    assert run(logic, (3, False, 1.5), 3.0) == [Pressed(3, 2.0)]


def test_repeated_level_is_ignored_and_unknown_button_refused():
    logic = ButtonLogic()
    assert run(logic, (1, True, 0.0), (1, True, 0.01), (1, False, 0.1), 1.0) == [Pressed(1, 0.1)]
    with pytest.raises(ValueError):
        logic.feed(Edge(5, True, 2.0))


def test_nonsensical_thresholds_are_refused():
    with pytest.raises(ValueError):
        ButtonLogic(service_hold_s=12.0, stuck_s=10.0)
