"""The import rule of ARCHITECTURE.md, checked on the source (every import, inside functions too).

    python3 -m tests.architecture [ROOT]     prints each violation; exit 1 when there is one

Three checks over the `relay` package under ROOT:
- no import cycle between modules, nor between the top-level packages of relay/;
- a package imports only packages of lower layers (LAYERS, low to high); packages sharing a layer
  are independent of each other;
- relay modules are imported at the top of a file; an import inside a function is allowed only
  where LAZY names the importing module, with the reason.
"""
import ast
import os
import sys
from pathlib import Path

# Low to high. A tuple is one layer of packages that must not import each other.
LAYERS = [
    "errors", ("datadir", "jsonlite"), "paths", "times", "models", "config", "runtime", "userfiles", "remote",
    "store", "bus", "clients",
    "sessions", "proxy", "costs", "guard", "diagnostics", "orch", "setup",
    "present",
    ("web", "tui", "mcp"),
    "statusline",
    "cli",
    "__main__",
    "statusline_entry",    # Claude Code's status line command, run as a script (see the module)
]
# module -> why its in-function imports of relay modules stay there
LAZY = {
    "relay.__main__": "gevent must patch the standard library before relay's modules import socket and threading",
    "relay.sessions.worker": "parsers and analysis load only when a file changed; a warm `relay report` skips ~40 ms",
    "relay.runtime": "relay._build exists only in a built artifact",
    "relay.store": ("Store and open_user_store load on first use (PEP 562), so a leaf of relay.store (the "
                    "status line's readers) costs no writer, migrations, PostgreSQL adapter or settings"),
    "relay.store.queries": ("the models' dataclasses (~15 ms) load when a reader builds an Exchange, not for "
                            "the SQL-only readers of `relay statusline`"),
    "relay.statusline": ("the database readers (sqlite3, the queries, the price table) load only when the "
                         "line's cached state is out of date; a line drawn from it skips them"),
    "relay.cli.mcp": "the MCP SDK is optional (a zipapp has no pydantic-core): relay.mcp.server loads once it can",
}
OPTIONAL = {"relay._build"}     # written by build/build.sh; absent from a source checkout


def _layer_of():
    table = {}
    for rank, layer in enumerate(LAYERS):
        for name in (layer,) if isinstance(layer, str) else layer:
            table[name] = rank
    return table


def modules(root):
    """{dotted name: path} of every module of the relay package under root."""
    found = {}
    base = Path(root)
    for dirpath, _, names in os.walk(base / "relay"):
        for name in names:
            if name.endswith(".py"):
                path = Path(dirpath) / name
                dotted = ".".join(path.relative_to(base).with_suffix("").parts)
                found[dotted.removesuffix(".__init__")] = path
    return found


def _resolve(name, known):
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name or None


def imports(root):
    """[(importer, imported module, line, at top level)] for every import of a relay module."""
    known = modules(root)
    out = []
    for mod, path in known.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        top = {id(node) for node in tree.body}
        is_pkg = path.name == "__init__.py"
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = mod if is_pkg else mod.rpartition(".")[0]
                    for _ in range(node.level - 1):
                        base = base.rpartition(".")[0]
                    name = base + ("." + node.module if node.module else "")
                else:
                    name = node.module or ""
                targets = [name + "." + a.name for a in node.names] + [name]
            else:
                continue
            seen = set()
            for target in targets:
                if target.split(".")[0] != "relay" or target in OPTIONAL:
                    continue
                resolved = _resolve(target, known)
                if resolved and resolved != mod and resolved not in seen and not mod.startswith(resolved + "."):
                    seen.add(resolved)
                    out.append((mod, resolved, node.lineno, id(node) in top))
    return out


def package(mod):
    """relay.web.api.live -> "web"; relay.errors -> "errors"; the package root "relay" -> None."""
    parts = mod.split(".")
    return parts[1] if len(parts) > 1 else None


def cycles(edges):
    """Strongly connected components of more than one node (Tarjan, iterative)."""
    graph = {}
    for a, b in edges:
        graph.setdefault(a, set()).add(b)
        graph.setdefault(b, set())
    index, low, stack, on, found, counter = {}, {}, [], set(), [], [0]
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter[0]
        counter[0] += 1
        stack.append(start)
        on.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter[0]
                    counter[0] += 1
                    stack.append(child)
                    on.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def violations(root="."):
    """Every breach of the rule, as one readable line each."""
    found = []
    edges = imports(root)
    rank = _layer_of()
    for component in cycles((a, b) for a, b, _, _ in edges):
        found.append("module cycle: " + " <-> ".join(component))
    package_edges = {(package(a), package(b)) for a, b, _, _ in edges
                     if package(a) and package(b) and package(a) != package(b)}
    for component in cycles(package_edges):
        found.append("package cycle: " + " <-> ".join(component))
    known = modules(root)
    for mod in sorted(known):
        name = package(mod)
        if name and name not in rank:
            found.append(f"{known[mod]}: relay.{name} is in no layer of tests/architecture.py LAYERS")
    for a, b, line, at_top in edges:
        pa, pb = package(a), package(b)
        where = f"{known[a]}:{line}"
        if pa and pb and pa != pb and pa in rank and pb in rank:
            if rank[pb] > rank[pa]:
                found.append(f"{where}: {a} imports {b}, a higher layer ({pa} -> {pb})")
            elif rank[pb] == rank[pa]:
                found.append(f"{where}: {a} imports {b}; {pa} and {pb} share a layer and must stay independent")
        if not at_top and a not in LAZY:
            found.append(f"{where}: {a} imports {b} inside a function; imports of relay modules go at the top")
    return found


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    found = violations(argv[0] if argv else ".")
    for line in found:
        print(line)
    print(f"import rule: {len(found)} violation(s)")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
