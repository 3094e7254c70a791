"""Reads for a database several relays share: who wrote the rows (machine and OS user, from
migration m010_i21_origin) and with which CLI, so costs can be split per person."""
from relay.store.metrics_queries import QUOTA_LIKE
from relay.store.queries import decode_ratelimit

# A scope narrowed to one origin; NULL (rows from before m010, or a CLI relay could not name) reads as ''.
ORIGIN_SQL = "COALESCE(machine, '') = ? AND COALESCE(os_user, '') = ? AND COALESCE(cli, '') = ?"


def person_filter(person):
    """(SQL, args) narrowing rows to one person: `user@machine` is that OS user on that machine,
    a bare `user` that OS user on every machine; '?' (as `relay users` prints an unknown part)
    matches rows that have no value there."""
    user, at, machine = person.partition("@")
    parts = [("COALESCE(os_user, '') = ?", "" if user == "?" else user)]
    if at:
        parts.append(("COALESCE(machine, '') = ?", "" if machine == "?" else machine))
    return " AND ".join(sql for sql, _ in parts), tuple(arg for _, arg in parts)


def origins(conn, scope):
    """[(machine, os_user, cli)] of the rows of a relay.store.totals_queries scope, '' for NULL."""
    rows = conn.execute(f"""
        SELECT DISTINCT COALESCE(machine, ''), COALESCE(os_user, ''), COALESCE(cli, '') FROM exchanges
        WHERE {scope.sql} ORDER BY 1, 2, 3""", scope.args)
    return [tuple(r) for r in rows]


def quota_rows(conn, since, person=None, per_person=50):
    """The newest `per_person` finished rows since `since` of each (machine, os_user) that carry a
    quota measurement, newest first, as metrics_queries.ratelimit_rows has them plus machine,
    os_user ('' for NULL) and cli: one person's windows are parsed from their own rows only."""
    likes = " OR ".join("ratelimit LIKE ?" for _ in QUOTA_LIKE)
    narrow, narrow_args = person_filter(person) if person else ("1 = 1", ())
    rows = conn.execute(f"""
        SELECT machine, os_user, cli, ts, provider, status, ratelimit FROM (
            SELECT COALESCE(machine, '') AS machine, COALESCE(os_user, '') AS os_user, cli, ts, provider,
                   status, ratelimit, ROW_NUMBER() OVER (
                       PARTITION BY COALESCE(machine, ''), COALESCE(os_user, '') ORDER BY ts DESC, rowid DESC) AS nth
            FROM exchanges WHERE outcome IS NOT NULL AND ts >= ? AND ({likes}) AND {narrow}) AS newest
        WHERE nth <= ? ORDER BY machine, os_user, ts DESC""", (since, *QUOTA_LIKE, *narrow_args, int(per_person)))
    return [{"machine": r["machine"], "os_user": r["os_user"], "cli": r["cli"], "ts": r["ts"],
             "provider": r["provider"], "status": r["status"], "ratelimit": decode_ratelimit(r["ratelimit"])}
            for r in rows]
