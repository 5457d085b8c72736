"""On PostgreSQL the event store's tables live in the app database (embedded: a separate SQLite
file, created by the store itself). Created here so the test database and `kosmmos migrate` have
them; IF NOT EXISTS keeps it idempotent."""

from django.db import migrations


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from kosmmos.links.events import postgres_schema

    for statement in postgres_schema():
        schema_editor.execute(statement)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in ("links_click", "links_click_hourly", "links_click_dirty", "links_spool_offset"):
        schema_editor.execute(f"DROP TABLE IF EXISTS {table}")


class Migration(migrations.Migration):
    dependencies = [("links", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
