"""What a doctor check looks at (Context) and what it returns (Check)."""
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

STATUSES = ("pass", "warn", "fail")


@dataclass
class Check:
    name: str
    status: str
    message: str
    fix: str | None = None
    apply: Callable | None = field(default=None, repr=False)   # the safe fix: () -> list of actions

    def to_dict(self):
        return {"name": self.name, "status": self.status, "message": self.message, "fix": self.fix,
                "fixable": self.apply is not None}


@dataclass
class Context:
    """What the checks look at; tests build their own."""
    settings: dict
    environ: dict
    cwd: Path
    timeout: float = 1.0
    disk_usage: Callable = shutil.disk_usage

    @property
    def home(self):
        return Path(self.environ.get("HOME") or Path.home())

    running_port: int | None = None     # where the relay of relay.pid answers, when not at settings.port

    @property
    def port(self):
        return self.running_port or self.settings["port"]

    @property
    def relay_url(self):
        host = self.settings["host"]
        host = "127.0.0.1" if host in ("", "0.0.0.0", "::") else host
        return f"http://[{host}]:{self.port}" if ":" in host else f"http://{host}:{self.port}"
