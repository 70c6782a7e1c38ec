"""One UPDATE that gives many rows a value each."""

from collections.abc import Mapping, Sequence
from typing import Any

from django.db import connection, models


def update_each(model: type[models.Model], field: str, values: Mapping[Any, Any], *,
                also: Mapping[str, Any] | None = None, where: str = "",
                where_params: Sequence[Any] = ()) -> int:
    """``UPDATE`` the rows whose primary keys are ``values``' keys, setting ``field`` of each
    to its value (and the ``also`` fields to one value for all), as one statement joined to a
    list of (key, value); ``where`` adds a guard in SQL on the table's columns. The number
    of rows changed.

    Django's ``bulk_update`` writes a ``CASE`` with a branch per row: for the hundreds of rows
    a bulk expiry moves, building and running it took longer than the rest of the change."""
    if not values:
        return 0
    meta = model._meta
    table, key = meta.db_table, meta.pk.column
    target = meta.get_field(field)
    prep = (target.target_field if target.is_relation else target).get_db_prep_value
    assignments = [f"{target.column} = v.value"]
    params: list[Any] = []
    for name, value in (also or {}).items():
        other = meta.get_field(name)
        assignments.append(f"{other.column} = %s")
        params.append(other.get_db_prep_value(value, connection))
    guard = f" AND ({where})" if where else ""
    keys = [meta.pk.get_db_prep_value(pk, connection) for pk in values]
    column_values = [prep(value, connection) for value in values.values()]
    if connection.vendor == "postgresql":
        # Two arrays, not a pair of parameters per row: with thousands of rows (a draw of
        # 10,000 places) building and planning the VALUES list took longer than the update.
        source = (f"unnest(%s::{meta.pk.db_type(connection)}[], "
                  f"%s::{target.db_type(connection)}[]) AS v(row_key, value)")
        params += [keys, column_values]
    else:
        pairs = ", ".join(["(%s, %s)"] * len(values))
        source = (f"(SELECT column1 AS row_key, column2 AS value FROM (VALUES {pairs}) "  # noqa: S608
                  "AS pairs) AS v")
        params += [item for pair in zip(keys, column_values, strict=True) for item in pair]
    params += list(where_params)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {', '.join(assignments)} "  # noqa: S608 - names from models
            f"FROM {source} WHERE {table}.{key} = v.row_key{guard}", params)
        return cursor.rowcount
