"""PostgreSQL: the hold function holds a companion seat only with a wheelchair space
(booking/sql/, booking.companions)."""

from pathlib import Path

from django.db import migrations

SQL = Path(__file__).resolve().parent.parent / "sql" / "decide_holds.sql"


def install(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(SQL.read_text())


def uninstall(apps, schema_editor) -> None:
    """Going back: the function without the setting, before the cinema's column is dropped."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            SQL.read_text().replace("c.companion_seats_open_minutes", "NULL::integer")
            .replace("s.on_sale_at AS on_sale_at", "NULL::timestamptz AS on_sale_at")
            .replace("s.waiting_room AS waiting_room", "false AS waiting_room"))


class Migration(migrations.Migration):
    dependencies = [("booking", "0017_ticket_types"), ("catalog", "0006_companion_seats")]
    operations = [migrations.RunPython(install, uninstall)]
