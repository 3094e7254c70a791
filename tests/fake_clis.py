"""Real child processes that look like running claude / codex / gemini to psutil: a symlink to
this Python named after the CLI, started with a chosen cwd and env, waiting on stdin until
the test ends."""
import os
import subprocess
import sys
import time

import psutil

WAIT = "import sys; sys.stdin.read()"
_TERMINAL_ENV = ("SSH_CONNECTION", "SSH_CLIENT", "TMUX", "STY")


class FakeCLIs:
    def __init__(self, bindir):
        self.bindir = bindir
        self.children = []

    def exe(self, name):
        path = self.bindir / name
        if not path.exists():
            self.bindir.mkdir(parents=True, exist_ok=True)
            path.symlink_to(sys.executable)
        return path

    def start(self, name, cwd, env=None, code=WAIT):
        """A psutil.Process of the child, once exec has finished (the kernel renames a process
        before it lays out argv and env, so we wait for argv)."""
        exe = self.exe(name)
        full_env = {k: v for k, v in os.environ.items() if k not in _TERMINAL_ENV}
        full_env.update(env or {})
        child = subprocess.Popen([str(exe), "-c", code], cwd=str(cwd), env=full_env, stdin=subprocess.PIPE)
        self.children.append(child)
        proc = psutil.Process(child.pid)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and proc.cmdline()[:1] != [str(exe)]:
            time.sleep(0.02)
        return proc

    def stop(self):
        for child in self.children:
            child.stdin.close()
            child.wait(timeout=10)
