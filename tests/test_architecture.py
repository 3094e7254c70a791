"""The one-way dependency rule of ARCHITECTURE.md holds for relay/, and the checker catches a breach."""
import shutil
from pathlib import Path

from tests import architecture

ROOT = Path(__file__).resolve().parent.parent


def test_relay_keeps_the_import_rule():
    assert architecture.violations(ROOT) == []


def _copy(tmp_path):
    shutil.copytree(ROOT / "relay", tmp_path / "relay", ignore=shutil.ignore_patterns("__pycache__"))
    assert architecture.violations(tmp_path) == []
    return tmp_path / "relay"


def _plant(path, line):
    path.write_text(line + "\n" + path.read_text(encoding="utf-8"), encoding="utf-8")


def test_an_upward_import_is_caught(tmp_path):
    relay = _copy(tmp_path)
    _plant(relay / "store" / "queries.py", "from relay.web import app  # planted")
    found = architecture.violations(tmp_path)
    assert any("relay.store.queries imports relay.web.app, a higher layer (store -> web)" in v for v in found)


def test_a_lazy_import_that_closes_a_cycle_is_caught(tmp_path):
    relay = _copy(tmp_path)
    with (relay / "models.py").open("a", encoding="utf-8") as fh:
        fh.write("\n\ndef _planted():\n    from relay.store import queries\n    return queries\n")
    found = architecture.violations(tmp_path)
    assert any(v.startswith("module cycle:") and "relay.models" in v for v in found)
    assert any("inside a function" in v and "relay.models imports relay.store.queries" in v for v in found)
    assert any("relay.models imports relay.store.queries, a higher layer (models -> store)" in v for v in found)


def test_siblings_of_one_layer_stay_independent(tmp_path):
    relay = _copy(tmp_path)
    _plant(relay / "mcp" / "tools.py", "from relay.web import pages  # planted")
    found = architecture.violations(tmp_path)
    assert any("mcp and web share a layer" in v for v in found)


def test_a_package_outside_every_layer_is_named(tmp_path):
    relay = _copy(tmp_path)
    (relay / "extras.py").write_text('"""planted"""\n', encoding="utf-8")
    assert any("relay.extras is in no layer" in v for v in architecture.violations(tmp_path))
