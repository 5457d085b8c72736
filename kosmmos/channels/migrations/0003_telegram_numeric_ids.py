"""Telegram channels saved by @username: updates name chats by numeric id only, so these are
marked ``resolve_id`` (the username kept for display). A migration cannot ask the network; the
ticker's channel check (kosmmos/channels/dispatch.py ``resolve_ids``) calls getChat for each
marked channel and stores the numeric id. Until then the inbox also matches the channel by its
username."""

from django.db import migrations


def mark(apps, schema_editor):
    Channel = apps.get_model("channels", "Channel")
    for channel in Channel.objects.filter(network="telegram", external_id__startswith="@"):
        channel.config = {**(channel.config or {}), "username": channel.external_id[1:],
                          "resolve_id": True}
        channel.save(update_fields=["config"])


def unmark(apps, schema_editor):
    Channel = apps.get_model("channels", "Channel")
    for channel in Channel.objects.filter(network="telegram"):
        if (channel.config or {}).pop("resolve_id", None) is not None:
            channel.save(update_fields=["config"])


class Migration(migrations.Migration):
    dependencies = [("channels", "0002_channelalert")]

    operations = [migrations.RunPython(mark, unmark)]
