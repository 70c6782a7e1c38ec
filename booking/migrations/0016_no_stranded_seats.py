"""PostgreSQL: the hold function refuses holds that strand a seat (booking/sql/)."""

from pathlib import Path

from django.db import migrations

SQL = Path(__file__).resolve().parent.parent / "sql" / "decide_holds.sql"


def install(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(SQL.read_text())


def uninstall(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS booking_better_choice(integer[], integer[])")
        schema_editor.execute("DROP FUNCTION IF EXISTS booking_stranded(integer[], integer[])")


class Migration(migrations.Migration):
    dependencies = [("booking", "0015_review_of_staff_tools"),
                    ("catalog", "0004_no_stranded_seats")]
    operations = [migrations.RunPython(install, uninstall)]
