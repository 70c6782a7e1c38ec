"""PostgreSQL: the function that decides a batch of holds in one call (booking/sql/)."""

from pathlib import Path

from django.db import migrations

SQL = Path(__file__).resolve().parent.parent / "sql" / "decide_holds.sql"


def install(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(SQL.read_text())


def uninstall(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS booking_decide_holds("
                              "bigint, jsonb, integer, integer, integer, bigint)")


class Migration(migrations.Migration):
    dependencies = [("booking", "0009_idempotent_request_moves_to_ticketing")]
    operations = [migrations.RunPython(install, uninstall)]
