"""Journal presses until killed, printing each after `add` returns (child of the power-cut test).

Usage: python journal_writer.py FOLDER SEGMENT_SIZE SEED

Lines on stdout, each flushed once the journal call returned:
  ready LAST_SEQ ACKED SESSION    after open
  press SEQ TOKEN RATING          a durable press (then the seq's guard copy is saved)
  ack ACKED                       after mark_delivered
  session S                       after next_session
"""

import random
import sys
import time

from hailong.device.journal import Journal

RUN_LIMIT_S = 10  # the parent kills us long before; this only stops an orphan


def main(folder: str, segment_size: int, seed: int) -> None:
    """Journal random presses, with occasional acks and sessions, until killed or out of time."""
    rng = random.Random(seed)
    journal = Journal.open(folder, segment_size=segment_size)
    print(f"ready {journal.last_seq} {journal.acked} {journal.session}", flush=True)
    deadline = time.monotonic() + RUN_LIMIT_S
    while time.monotonic() < deadline:
        roll = rng.random()
        if roll < 0.04:
            journal.mark_delivered(rng.randint(0, journal.last_seq + 2))
            print(f"ack {journal.acked}", flush=True)
        elif roll < 0.06:
            print(f"session {journal.next_session()}", flush=True)
        else:
            token, rating = f"{rng.getrandbits(64):016x}", rng.randint(1, 4)
            record = journal.add({"v": 1, "device": "kiosk-1", "rating": rating, "token": token})
            print(f"press {record['seq']} {token} {rating}", flush=True)
            journal.save_guard()  # after the thanks frame, as the kiosk's loop does
    journal.close()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
