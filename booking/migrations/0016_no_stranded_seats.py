"""PostgreSQL: the hold function refuses holds that strand a seat (booking/sql/)."""

from pathlib import Path

from django.db import migrations

SQL = Path(__file__).resolve().parent.parent / "sql" / "decide_holds.sql"


def install(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(SQL.read_text())


def uninstall(apps, schema_editor) -> None:
    """Going back: the function without the rule, before the cinema's column is dropped."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(without_stranding(SQL.read_text()))


def without_stranding(sql: str) -> str:
    # and without the companion-seat setting, which comes later (0018)
    return (sql.replace("c.no_stranded_seats", "false AS no_stranded_seats")
            .replace("c.companion_seats_open_minutes", "NULL::integer")
            .replace("s.on_sale_at AS on_sale_at", "NULL::timestamptz AS on_sale_at")
            .replace("s.waiting_room AS waiting_room", "false AS waiting_room"))


class Migration(migrations.Migration):
    dependencies = [("booking", "0015_review_of_staff_tools"),
                    ("catalog", "0004_no_stranded_seats")]
    operations = [migrations.RunPython(install, uninstall)]
