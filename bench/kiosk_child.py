"""Run the real kiosk (`hailong-kiosk ... run`) with a feeder thread that presses and times the thanks.

Run by bench_kiosk.py: python bench/kiosk_child.py OUT.json PRESSES -- <hailong-kiosk arguments>

The kiosk starts through hailong.device.cli.main as in service (SDL dummy, gpiozero mock pins);
only KioskApp is wrapped: its screen's draw notes each frame, and a feeder thread puts
ButtonPressed events stamped with time.monotonic() in the inbox, once the kiosk is idle again. The
time is taken when Screen.draw has finished the thanks frame, so it includes the durable journal
write. Noted beside: how long each press waited for the loop to take it up, and whether the
previous press still awaited its ack (its ack write may hold the loop). Before the loop starts, the bare Screen.draw of the same frames is timed as the baseline.
When the presses are done the figures go to OUT.json and the kiosk stops on its own SIGTERM.
"""

import json
import os
import signal
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

from hailong.device import cli
from hailong.device.events import ButtonPressed

BASELINE_FRAMES = 200


class Feeder(threading.Thread):
    """Press once the kiosk is idle again; time each press until its thanks frame is drawn."""

    def __init__(self, app, presses: int, out: Path, baseline: list[float]):
        super().__init__(name="feeder", daemon=True)
        self.app, self.presses, self.out, self.baseline = app, presses, out, baseline
        self.drawn = threading.Condition()
        self.view, self.thanks_count, self.thanks_at = "", 0, 0.0
        self.latencies: list[float] = []
        self.journal_ms: list[float] = []  # of which the durable journal write (its fsync)
        self.picked_ms: list[float] = []  # of which waiting for the loop to take the press up
        self.unacked: list[bool] = []  # pressed while the previous press awaited its ack
        self.missed = 0

    def on_draw(self, frame) -> None:
        """Note a frame the loop has just drawn (called on the loop's thread)."""
        with self.drawn:
            self.view = frame.view
            if frame.view == "thanks":
                self.thanks_count, self.thanks_at = self.thanks_count + 1, time.monotonic()
            self.drawn.notify_all()

    def run(self) -> None:
        try:
            self._wait(lambda: self.app.uplink.connected, 60)
            for n in range(self.presses):
                if not self._wait(
                    lambda: self.view == "idle" and self.app.kiosk.view == "idle", 10
                ):
                    break
                before, at = self.thanks_count, time.monotonic()
                self.unacked.append(self.app.journal.acked < self.app.journal.last_seq)
                self.app.inbox.put(ButtonPressed(1 + n % 4, at))
                if self._wait(lambda b=before: self.thanks_count > b, 5):
                    self.latencies.append((self.thanks_at - at) * 1000)
                else:
                    self.missed += 1
        finally:
            figures = {
                "latencies": self.latencies,
                "missed": self.missed,
                "baseline": self.baseline,
                "journal": self.journal_ms,
                "picked": self.picked_ms,
                "unacked": self.unacked,
            }
            self.out.write_text(json.dumps(figures))
            os.kill(os.getpid(), signal.SIGTERM)  # the kiosk's own handler stops the loop

    def _wait(self, predicate, timeout: float) -> bool:
        with self.drawn:
            return self.drawn.wait_for(predicate, timeout)


def draw_baseline(screen, frames: int) -> list[float]:
    """Time the bare Screen.draw of a thanks frame, idle frames drawn in between as in use."""
    from hailong.device.frame import Frame

    now = datetime.now().replace(second=0, microsecond=0)
    latencies = []
    for n in range(frames):
        thanks = Frame(view="thanks", now=now, rating=4 - n % 4, clock_synced=False)
        start = time.monotonic()
        screen.draw(thanks)
        latencies.append((time.monotonic() - start) * 1000)
        screen.draw(Frame(view="idle", now=now, clock_synced=False))
    return latencies


def timed_app(out: Path, presses: int):
    """Return a KioskApp class whose instances are pressed and timed by a Feeder."""

    class TimedApp(cli.KioskApp):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            screen = self.display.screen
            feeder = Feeder(self, presses, out, draw_baseline(screen, BASELINE_FRAMES))
            draw = screen.draw

            def timed_draw(frame) -> None:
                draw(frame)
                feeder.on_draw(frame)

            screen.draw = timed_draw
            append = self.journal.append

            def timed_append(press):
                start = time.monotonic()
                try:
                    return append(press)
                finally:
                    feeder.journal_ms.append((time.monotonic() - start) * 1000)

            self.journal.append = timed_append
            handle = self.handle

            def timed_handle(event) -> None:
                if isinstance(event, ButtonPressed):
                    feeder.picked_ms.append((time.monotonic() - event.at) * 1000)
                handle(event)

            self.handle = timed_handle
            feeder.start()

    return TimedApp


def main() -> int:
    """Run the kiosk with the feeder; return its exit status."""
    out, presses, separator, *kiosk_args = sys.argv[1:]
    if separator != "--":
        raise SystemExit(__doc__)
    cli.KioskApp = timed_app(Path(out), int(presses))
    return cli.main(kiosk_args)


if __name__ == "__main__":
    sys.exit(main())
