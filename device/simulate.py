"""Simulated citizens: a thread that presses buttons at a random, realistic rate."""

from __future__ import annotations

import random
import threading
import time

from hailong.device.events import ButtonPressed

# Shares seen in public satisfaction surveys: most people are satisfied, a few are not.
BUTTON_WEIGHTS = {1: 0.55, 2: 0.30, 3: 0.10, 4: 0.05}


class Citizens(threading.Thread):
    """Post ButtonPressed events at `rate` per second (Poisson) until count or stop."""

    def __init__(self, post, rate: float, count: int | None = None, seed: int | None = None):
        super().__init__(name="citizens", daemon=True)
        if rate <= 0:
            raise ValueError(f"rate must be positive, got {rate}")
        self.post, self.rate, self.count = post, rate, count
        self.random = random.Random(seed)
        self.stopping = threading.Event()
        self.pressed = 0

    def run(self) -> None:
        """Press until the count is reached or stop() is called."""
        buttons, weights = zip(*BUTTON_WEIGHTS.items(), strict=True)
        while self.count is None or self.pressed < self.count:
            if self.stopping.wait(self.random.expovariate(self.rate)):
                return
            button = self.random.choices(buttons, weights)[0]
            self.post(ButtonPressed(button, time.monotonic()))
            self.pressed += 1

    def stop(self) -> None:
        """Stop pressing."""
        self.stopping.set()
