"""PostgreSQL: the hold function plans its statements once per connection (booking/sql/)."""

from pathlib import Path

from django.db import migrations

SQL = Path(__file__).resolve().parent.parent / "sql" / "decide_holds.sql"
GENERIC = "SET plan_cache_mode = force_generic_plan\n"


def install(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(SQL.read_text())


def uninstall(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(SQL.read_text().replace(GENERIC, ""))


class Migration(migrations.Migration):
    dependencies = [("booking", "0021_hold_function_on_sale")]
    operations = [migrations.RunPython(install, uninstall)]
