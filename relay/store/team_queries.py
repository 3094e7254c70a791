"""Reads for a database several relays share: who wrote the rows (machine and OS user, from
migration m010_i21_origin) and with which CLI, so costs can be split per person."""

# A scope narrowed to one origin; NULL (rows from before m010, or a CLI relay could not name) reads as ''.
ORIGIN_SQL = "COALESCE(machine, '') = ? AND COALESCE(os_user, '') = ? AND COALESCE(cli, '') = ?"


def origins(conn, scope):
    """[(machine, os_user, cli)] of the rows of a relay.store.totals_queries scope, '' for NULL."""
    rows = conn.execute(f"""
        SELECT DISTINCT COALESCE(machine, ''), COALESCE(os_user, ''), COALESCE(cli, '') FROM exchanges
        WHERE {scope.sql} ORDER BY 1, 2, 3""", scope.args)
    return [tuple(r) for r in rows]
