"""The incremental session index: decide what changed, refresh only that, keep the rows.

`update()` compares every discovered file's stat (size, mtime_ns, inode, role) with its
`session_files` row: a session whose files all match is not touched at all (a warm re-scan is
one directory walk and two SELECTs), the others go to `worker.refresh`, in-process when the
work is small and otherwise on a process pool over all cores, in chunks of about equal bytes,
largest sessions first so no core idles at the end. Rows of files and sessions that are gone
from disk are deleted with their parser states. The parent process alone writes SQLite, one
transaction per finished chunk.
"""
import os
import time
from dataclasses import dataclass, field

from relay.sessions import state
from relay.sessions.worker import Counters, Task, preload, refresh_many
from relay.store import session_index

POOL_MIN_BYTES = 32 << 20      # below this a pool's start-up costs more than it saves
# The usage-first pass reads Claude Code files about six times faster than the full parser: a
# byte of it weighs a quarter towards POOL_MIN_BYTES, so that pass goes to a pool from ~128 MB.
# Measured on 76 MB (2 cores): in process 0.30-0.56 s, pool 0.50-0.68 s (and a third more CPU).
USAGE_PASS_WEIGHT = 4
CHUNK_MAX_TASKS = 64
SERIAL_BATCH_BYTES = 4 << 20   # in-process updates commit about this much of the sessions' files at once


@dataclass
class Report:
    """What one update did. `counters` are summed over the sessions that were refreshed."""
    sessions: int = 0
    files: int = 0
    unchanged: int = 0            # sessions skipped on stat alone
    removed: int = 0              # sessions and files dropped because they left the disk
    workers: int = 1
    bytes_total: int = 0          # size of the sessions that were refreshed
    counters: Counters = field(default_factory=Counters)
    elapsed_ms: float = 0.0


def _same(sf, row, usage_only):
    if row is None or (row["size"], row["mtime_ns"], row["inode"], row["role"]) != (
            sf.size, sf.mtime_ns, sf.inode, sf.role):
        return False
    # A fully indexed file serves a report too; a usage-only one (no state, no analysis) does not serve a scan.
    return row["parser_version"] == state.VERSION or (usage_only and row["parser_version"] == state.USAGE_ONLY)


def _usage_task(src, prior, usage_only):
    """A report's session gets message rows only (no analysis) unless a full state could be resumed."""
    return usage_only and all(
        row is None or row["parser_version"] != state.VERSION for row in prior.values())


def _plan(sources, rows, indexed, wanted, usage_only=False):
    by_key = {}
    for path, row in rows.items():
        by_key.setdefault(row["session_key"], set()).add(path)
    todo, unchanged = [], 0
    for src in sources:
        if wanted is not None and src.key not in wanted:
            continue
        paths = {sf.path for sf in src.files}
        if (src.key in indexed and by_key.get(src.key) == paths
                and all(_same(sf, rows.get(sf.path), usage_only) for sf in src.files)):
            unchanged += 1
            continue
        todo.append(src)
    return todo, unchanged


def _prune(store, sources, rows, indexed, directory):
    paths = {sf.path for src in sources for sf in src.files}
    keys = {src.key for src in sources}
    gone_paths = [p for p in rows if p not in paths]
    gone_keys = [k for k in indexed if k not in keys]
    if gone_paths or gone_keys:
        def drop(conn):
            session_index.delete_files(conn, gone_paths)
            session_index.delete_sessions(conn, gone_keys)
        store.write(drop)
        for path in gone_paths:
            state.remove(directory, path)
    return len(gone_keys)


def _chunks(tasks, workers):
    tasks = sorted(tasks, key=lambda t: t.source.size, reverse=True)
    target = max(sum(t.source.size for t in tasks) // (workers * 16), 1 << 20)
    chunks, current, size = [], [], 0
    for task in tasks:
        current.append(task)
        size += task.source.size
        if size >= target or len(current) >= CHUNK_MAX_TASKS:
            chunks.append(current)
            current, size = [], 0
    if current:
        chunks.append(current)
    return chunks


def _save(store, results):
    def write(conn):
        for result in results:
            if result.usage_only and result.files:
                session_index.save_usage(conn, result.key, result.files, result.messages)
            elif result.session is None:
                session_index.delete_sessions(conn, [result.key])
            else:
                session_index.save_group(conn, result.files, result.session, result.messages)
    store.write(write)


def _work(task):
    light = task.usage_only and task.source.provider == "claude"
    return task.source.size // USAGE_PASS_WEIGHT if light else task.source.size


def _run(store, tasks, workers, report, progress):
    total = report.bytes_total
    done = 0

    def finished(results, size):
        nonlocal done
        _save(store, results)
        for result in results:
            report.counters.add(result.counters)
        done += size
        if progress is not None:
            progress(done, total)

    if workers <= 1 or len(tasks) < 2 or sum(_work(t) for t in tasks) < POOL_MIN_BYTES:
        report.workers = 1
        # In process, saved a few sessions per transaction (as a pool's chunks are): one per session
        # cost a cold report a fifth of its SQLite time in commits.
        batch, size = [], 0
        for task in tasks:
            batch += refresh_many([task])
            size += task.source.size
            if size >= SERIAL_BATCH_BYTES or task is tasks[-1]:
                finished(batch, size)
                batch, size = [], 0
        return
    report.workers = workers
    from concurrent.futures import as_completed
    pool = _pool(workers, any(t.usage_only for t in tasks) and all(t.usage_only for t in tasks))
    try:
        futures = {pool.submit(refresh_many, chunk): sum(t.source.size for t in chunk)
                   for chunk in _chunks(tasks, workers)}
        for future in as_completed(futures):
            finished(future.result(), futures[future])
    except BaseException:
        _stop(pool)
        raise
    finally:
        import gc
        gc.unfreeze()
    pool.shutdown(wait=True)


def _pool(workers, usage_only=False):
    import gc
    import multiprocessing
    import sys
    import threading
    from concurrent.futures import ProcessPoolExecutor
    # fork starts a worker in milliseconds where spawn re-imports relay in each (about a second on a
    # loaded machine, before the first file is read); but fork with threads can deadlock, so a
    # threaded caller (the server) and platforms where fork is unsafe (macOS) spawn.
    method = "fork" if sys.platform.startswith("linux") and threading.active_count() == 1 else "spawn"
    if method == "fork":
        preload(usage_only)
        # The parent's objects move to a generation the collector never scans: a worker's
        # collections would otherwise touch (and so copy) every page of the parent's heap.
        gc.freeze()
    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context(method),
                               initializer=_worker_init)


def _worker_init():
    # Ctrl-C reaches the whole process group: the parent alone handles it (and stops the workers,
    # see _stop), rather than every worker printing a KeyboardInterrupt traceback of its own.
    import signal
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _stop(pool):
    """Shut the pool down with no worker left behind, also when the caller stops early (an error,
    Ctrl-C): queued chunks are cancelled and workers still busy are terminated, then reaped."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(5)
        if process.is_alive():
            process.kill()
            process.join()
    pool.shutdown(wait=True)


def update(store, sources, providers=None, wanted=None, progress=None, workers=None, usage_only=False):
    """Bring the index up to date with `sources` (everything discovered for `providers`).

    `wanted`: the keys to refresh (None: all); the others are still pruned when gone.
    `usage_only` (reports): new sessions get their message rows only, with no analysis until a
    scan (or a page) reads them in full: Claude Code's through the usage-first pass, Codex's and
    Gemini's through their full parser (the analysis was most of their cost).
    `progress(done_bytes, total_bytes)` is called as sessions finish."""
    started = time.perf_counter()
    directory = state.state_dir(store.path)
    rows = store.read(lambda conn: session_index.file_rows(conn, providers))
    indexed = store.read(lambda conn: session_index.indexed_keys(conn, providers))
    usage_keys = {row["session_key"] for row in rows.values() if row["parser_version"] == state.USAGE_ONLY}
    if usage_only:
        indexed |= usage_keys
    else:
        indexed -= usage_keys
    report = Report(sessions=len(sources), files=sum(len(s.files) for s in sources))
    report.removed = _prune(store, sources, rows, indexed, directory)
    if any(row["parser_version"] not in (state.VERSION, state.USAGE_ONLY) for row in rows.values()):
        state.remove_legacy(directory)     # rows of an older relay: its states are re-made, never read
    todo, report.unchanged = _plan(sources, rows, indexed, wanted, usage_only)
    tasks = []
    for src in todo:
        prior = {sf.path: rows.get(sf.path) for sf in src.files}
        tasks.append(Task(source=src, prior=prior, state_dir=directory,
                          usage_only=_usage_task(src, prior, usage_only)))
    report.bytes_total = sum(src.size for src in todo)
    _run(store, tasks, workers or os.cpu_count() or 1, report, progress)
    report.elapsed_ms = (time.perf_counter() - started) * 1000
    return report
