"""PostgreSQL: the hold function refuses holds before the show's on-sale time, and holds on a
show with a waiting room that the room did not let in (booking/sql/, booking.passes)."""

from pathlib import Path

from django.db import migrations

SQL = Path(__file__).resolve().parent.parent / "sql" / "decide_holds.sql"


def install(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(SQL.read_text())


def uninstall(apps, schema_editor) -> None:
    """Going back: the function without the show's new columns, before they are dropped."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            SQL.read_text().replace("s.on_sale_at AS on_sale_at", "NULL::timestamptz AS on_sale_at")
            .replace("s.waiting_room AS waiting_room", "false AS waiting_room"))


class Migration(migrations.Migration):
    dependencies = [("booking", "0020_room_passes"), ("catalog", "0007_on_sale_and_waiting_room")]
    operations = [migrations.RunPython(install, uninstall)]
