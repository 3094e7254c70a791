"""pyproject.toml lists the dependencies once; requirements*.txt are generated from it."""
import subprocess
import sys

from tests.relay_process import ROOT


def test_requirements_files_match_pyproject():
    done = subprocess.run([sys.executable, str(ROOT / "build" / "sync_requirements.py"), "--check"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
