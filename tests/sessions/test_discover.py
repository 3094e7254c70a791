"""Discovery of session files in the three CLI layouts, against homes built from the fixtures."""
import os

from relay.sessions.discover import discover
from tests.session_homes import populate


def _by_key(sources):
    return {s.key: s for s in sources}


def test_nothing_installed_finds_nothing():
    assert discover() == []


def test_each_cli_layout_is_found_and_grouped_per_session():
    files = populate()
    sources = _by_key(discover())
    assert sorted(s.provider for s in sources.values()) == ["claude"] * 3 + ["codex"] * 2 + ["gemini"] * 3
    parent = sources["claude:9043e173-9b6d-4aca-8263-f7dc88d302fe"]
    assert [(f.role, f.path) for f in parent.files] == [("main", str(files["session-agent-parent"])),
                                                        ("subagent", str(files["subagent"]))]
    assert parent.project == "-scratch-work10"
    resumed = sources["gemini:work5/d8aecb06"]
    assert [(f.role, f.path) for f in resumed.files] == [("main", str(files["session-text-then-resume"])),
                                                         ("alt", str(files["session-resume-stub"]))]
    assert resumed.project == "/scratch/work5"                      # from projects.json
    assert sources["gemini:0f1e2d3c/fe5694d2"].files[0].path.endswith(".json")
    assert {k for k in sources if k.startswith("codex:")} == {
        "codex:2026/11/22/" + os.path.basename(files[n])
        for n in ("rollout-text-then-resume", "rollout-tool-exec_command")}


def test_stat_is_taken_during_discovery():
    files = populate()
    main = _by_key(discover(["claude"]))["claude:c6591387-3c88-4bda-9ab0-808028906ae9"].files[0]
    st = os.stat(files["session-tool-bash"])
    assert (main.size, main.mtime_ns, main.inode) == (st.st_size, st.st_mtime_ns, st.st_ino)


def test_provider_filter_and_unrelated_files():
    files = populate()
    (files["session-tool-bash"].parent / "notes.txt").write_text("x")
    (files["session-tool-bash"].parent / "memory").mkdir()
    assert {s.provider for s in discover(["codex"])} == {"codex"}
    assert len(discover(["claude"])) == 3
