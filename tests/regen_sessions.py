"""Golden facts of the session fixtures: `python -m tests.regen_sessions` rewrites every
`tests/data/sessions/<provider>/<case>.expected.json` from what the parsers say now.

Run it only after a deliberate parser change, then read the diff: the goldens are the record of
what each real file means (message counts, token sums, tool call pairs, compactions, resumes,
unknown-type counts).
"""
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data" / "sessions"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def cases():
    """(provider, path) of every session file under tests/data/sessions, in a stable order."""
    found = []
    for directory in sorted(p for p in DATA.iterdir() if p.is_dir()):
        for path in sorted(directory.iterdir()):
            if path.suffix in (".jsonl", ".json") and not path.name.endswith(".expected.json"):
                found.append((directory.name, path))
    return found


def expected_path(path):
    return path.with_name(path.name.rsplit(".", 1)[0] + ".expected.json")


def _count(values):
    out = {}
    for value in values:
        out[str(value)] = out.get(str(value), 0) + 1
    return dict(sorted(out.items()))


def facts(session):
    """The key facts of a parsed session, as plain JSON."""
    st = session.stats
    return {
        "session_id": session.session_id,
        "started": session.started,
        "ended": session.ended,
        "cwd": session.cwd,
        "models": session.models,
        "messages": len(session.messages),
        "roles": _count(m.role for m in session.messages),
        "synthetic": _count(m.synthetic for m in session.messages if m.synthetic),
        "assistant_turns": sum(1 for t in session.turns() if t.messages and t.messages[-1].role == "assistant"),
        "usage": session.usage.to_dict(),
        "usage_total": session.usage.total,
        "tool_calls": [[c.id, c.name, c.line, c.result_line, c.is_error] for c in session.tool_calls],
        "compactions": [[c.line, c.trigger, c.pre_tokens, c.post_tokens] for c in session.compactions],
        "resumes": session.resumes,
        "stats": {"lines": st.lines, "bytes": st.bytes, "bad_lines": st.bad_lines, "truncated_tail": st.truncated_tail,
                  "non_utf8_lines": st.non_utf8_lines, "duplicate_lines": st.duplicate_lines,
                  "unknown_types": dict(sorted(st.unknown_types.items()))},
    }


def main():
    from relay.sessions.parsers import parse_file
    for provider, path in cases():
        target = expected_path(path)
        target.write_text(json.dumps(facts(parse_file(provider, path)), indent=2, ensure_ascii=False) + "\n")
        print(f"wrote {target.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
