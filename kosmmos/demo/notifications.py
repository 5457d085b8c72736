"""Demo notifications: the agency's bot on the sandbox's fake Bot API, the manager's chat linked,
a webhook to the sandbox's receiver, and a few events in the bell."""

from __future__ import annotations

from django.conf import settings

from kosmmos.accounts.models import Organisation, User, Workspace
from kosmmos.lib import crypto
from kosmmos.lib.events import emit
from kosmmos.notifications.models import Subscriber, TelegramBot, Webhook

DEMO_CHAT_ID = 700001  # the manager's chat in the sandbox's Bot API
DEMO_HOOK_SECRET = "whsec_demo-sandbox-secret"  # noqa: S105 (a demo value, shown in the README)


def seed_notifications(org: Organisation, manager: User, workspace: Workspace) -> None:
    TelegramBot.objects.create(organisation=org, username="kosmmos_sandbox_bot",
                               token_encrypted=crypto.encrypt("777000:demo-sandbox"),
                               api_url=f"{settings.SANDBOX_URL}/botapi")
    Subscriber.objects.create(organisation=org, user=manager, telegram_chat_id=DEMO_CHAT_ID,
                              telegram_name="pavel_smm")
    Webhook.objects.create(organisation=org, url=f"{settings.SANDBOX_URL}/hooks/demo",
                           secret_encrypted=crypto.encrypt(DEMO_HOOK_SECRET))
    emit("channel.token_expiring", organisation=org, workspace=workspace,
         title="Токен канала «Сеул Бьюти ВК» истекает через 5 дней",
         body="Переподключите канал, иначе публикации остановятся.", url="/channels/alerts/",
         dedupe_key="demo:token")
    emit("lead.created", organisation=org, title="Новая заявка: Пекарня «Колосок»",
         url="/leads/", dedupe_key="demo:lead")
