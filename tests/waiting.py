"""Waiting for what another process does, bounded: tests poll a condition instead of sleeping a
fixed time, so they pass as soon as the condition holds and fail with what was awaited."""
import time


def eventually(predicate, what="condition", timeout=20, every=0.05):
    """predicate()'s first truthy value within `timeout` seconds; AssertionError naming `what` after."""
    deadline = time.time() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.time() >= deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(every)
