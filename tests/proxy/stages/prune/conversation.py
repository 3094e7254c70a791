"""A generated Claude Code-shaped conversation: REQUESTS requests of one session, each re-sending
the whole history with the cache_control breakpoint moved to the newest message (as Claude Code
does), built from builders.py. Tool outputs cycle through what the strategies look for: a file
read again unchanged and changed, long build logs, progress bars, access-log spam, repeated
system reminders, failures, and a screenshot; a new prompt from the person every eighth request.
Used by test_sticky.py and bench/prune_speed.py.
"""
import copy

from tests.proxy.stages.prune.builders import (
    BILLING,
    asst,
    body,
    image,
    png,
    text,
    thinking,
    tool_result,
    tool_use,
    user,
)

REQUESTS = 33
SESSION = "0f6c2a3e-5b1d-4c8e-9a7f-3d2b1c0e9f8a"
CC = {"type": "ephemeral"}
REMINDER = "<system-reminder>\nThe task list is empty; keep working.\n" + "Note. " * 40 + "</system-reminder>"


def _output(n):
    kind = n % 6
    if kind == 0:
        return "Read", {"file_path": "/w/app.py"}, "".join(f"{k:6}\tdef f{k}(x): return x  # app\n"
                                                           for k in range(300))
    if kind == 1:
        return "Bash", {"command": "make"}, "".join(f"[{k:5}] compiling module_{k % 97}.c ... ok\n"
                                                    for k in range(1500))
    if kind == 2:
        return "Read", {"file_path": "/w/lib.py"}, "".join(f"{k:6}\tv{n} = {k}  # lib\n" for k in range(400))
    if kind == 3:
        return "Bash", {"command": "pip install ."}, "\n".join(f"Downloading pkg: {p}% |{'#' * (p // 5)}|"
                                                               for p in range(0, 101, 2))
    if kind == 4:
        return "Bash", {"command": "tail -n 300 server.log"}, "\n".join(
            f'127.0.0.1 - - [01/Jan/2026 10:{s // 60:02}:{s % 60:02}] "GET /api/x/{s} HTTP/1.1" 200 91'
            for s in range(300))
    return "Bash", {"command": "pytest -x"}, "E   AssertionError: expected 3, got 4\n" * 3


def _step(n):
    """What request n adds to the history of request n - 1."""
    if n == 0:
        return [user(text("Fix the failing build, please."))]
    if n % 8 == 0:
        return [asst(thinking("The step went through. " * 30), text("Done with that step.")),
                user(text(REMINDER), text(f"Now part {n // 8 + 1}."))]
    name, args, out = _output(n)
    uid = f"toolu_{n:04}"
    result = [tool_result(uid, out, is_error=n % 6 == 5)]
    if n % 3 == 0:
        result.append(text(REMINDER))
    if n == 13:
        result.append(image(png(1200, 800, 40_000)))
    return [asst(thinking("Let me look at the next thing. " * 20), text("Checking."), tool_use(uid, name, **args)),
            user(*result)]


def _marked(messages):
    """A copy with the breakpoint on the last block of the last message only."""
    messages = copy.deepcopy(messages)
    last = messages[-1]
    if isinstance(last["content"], str):
        last["content"] = [text(last["content"])]
    last["content"][-1]["cache_control"] = CC
    return messages


def requests(count=REQUESTS, session=SESSION):
    """The bodies (dicts) of the conversation's requests, in order."""
    history: list = []
    out = []
    for n in range(count):
        history += _step(n)
        b = body(_marked(history), system=[text(BILLING), text("You are a Claude agent.", CC)])
        b["metadata"] = {"user_id": '{"session_id": "%s"}' % session}
        out.append(b)
    return out
