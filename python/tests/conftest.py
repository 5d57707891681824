"""Helpers shared by the Python module's tests."""

import threading
import time


def assert_gil_released(call):
    """Runs call() while another thread records a tick every millisecond, and asserts that the thread kept
    ticking during the call: with the GIL held for the whole call it could not record one (0 when the release
    is removed); released, it records hundreds even on a loaded machine. Returns call()'s result."""
    ticks = []
    stop = threading.Event()

    def count():
        while not stop.is_set():
            ticks.append(time.monotonic())
            time.sleep(0.001)

    thread = threading.Thread(target=count)
    thread.start()
    try:
        time.sleep(0.02)
        t0 = time.monotonic()
        result = call()
        t1 = time.monotonic()
    finally:
        stop.set()
        thread.join()
    assert t1 - t0 > 0.2, "the call was too short to tell"
    during = [t for t in ticks if t0 + 0.05 < t < t1 - 0.05]
    assert len(during) >= 10, f"{len(during)} ticks in {t1 - t0:.2f} s"
    return result
