"""The demo agency: two clients from the seed's portfolio and a few leads in every state."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from kosmmos.accounts.models import Membership, Organisation, Role, User, Workspace
from kosmmos.briefs import actions as brief_actions
from kosmmos.briefs.models import Brief, Lead, LeadEvent, LeadStatus
from kosmmos.core.demo_login import DEMO_EMAIL, DEMO_PASSWORD

DEMO_ORG = "Космос SMM (демо)"

CLIENTS = [
    {
        "name": "Сеул Бьюти — интернет-магазин корейской косметики",
        "website": "https://seoul-beauty.example",
        "description": "Корейская уходовая косметика, доставка по России. Цель — продажи с сайта "
        "и рост сообщества ВКонтакте; отзывы клиенток — главный контент.",
    },
    {
        "name": "Сон и Спина — ортопедические матрасы",
        "website": "https://son-i-spina.example",
        "description": "Производитель ортопедических матрасов, Москва и область. Долгий цикл "
        "покупки: прогрев аудитории, работа с отзывами, заявки на консультацию.",
    },
]

LEADS = [
    ("Мария Крылова", "Студия макияжа «Лайт»", ["vk", "telegram"], ["reach", "promotions"],
     "limited", "60000", 3, "+200 подписчиков в месяц, 30 записей", LeadStatus.NEW),
    ("Артём Соколов", "Фитнес-клуб «Пульс»", ["vk", "ok", "telegram"], ["traffic", "reputation"],
     "permanent", "150000", 6, "заявки с сайта, CPL до 800 ₽", LeadStatus.IN_WORK),
    ("Елена Павлова", "Турагентство «Горячие туры»", ["vk", "telegram", "instagram"],
     ["promotions", "traffic"], "seasonal", "90000", 4, "продажи туров, охват 300 тыс.",
     LeadStatus.PROPOSAL_SENT),
    ("Игорь Лебедев", "Пекарня «Хлебный дом»", ["vk", "ok"], ["negative", "reputation"],
     "permanent", "40000", 12, "рейтинг отзывов, ответы на негатив за 1 час", LeadStatus.LOST),
]


@transaction.atomic
def load_demo() -> bool:
    """Create the demo once; later calls only make sure the demo login works. True if created."""
    user = User.objects.filter(email=DEMO_EMAIL).first()
    if user is not None and Organisation.objects.filter(memberships__user=user).exists():
        user.set_password(DEMO_PASSWORD)
        user.is_active = True
        user.save(update_fields=["password", "is_active"])
        return False
    if user is None:
        user = User.objects.create_user(DEMO_EMAIL, DEMO_PASSWORD, first_name="Анна Демидова")
    org = Organisation.objects.create(
        name=DEMO_ORG, website="https://kosmmos.example", phone="+7 (977) 301-47-47",
        contact_email=DEMO_EMAIL, policy_url="https://kosmmos.example/privacy",
    )
    Membership.objects.create(organisation=org, user=user, role=Role.OWNER)
    manager = User.objects.create_user(
        "manager@kosmmos.local", DEMO_PASSWORD, first_name="Павел Менеджеров"
    )
    Membership.objects.create(organisation=org, user=manager, role=Role.MANAGER)
    workspaces = [Workspace.objects.create(organisation=org, **c) for c in CLIENTS]
    client = User.objects.create_user(
        "client@kosmmos.local", DEMO_PASSWORD, first_name="Лариса (Сеул Бьюти)"
    )
    m = Membership.objects.create(organisation=org, user=client, role=Role.CLIENT)
    m.workspaces.add(workspaces[0])
    for row in LEADS:
        _demo_lead(org, manager, *row)
    return True


def _demo_lead(
    org: Organisation, manager: User, name: str, company: str, networks: list[str],
    goals: list[str], product: str, budget: str, months: int, kpis: str, status: str,
) -> Lead:
    brief = Brief.objects.create(
        organisation=org, networks=networks, goals=goals, product_type=product,
        budget_rub=Decimal(budget), period_months=months, kpis=kpis, contact_name=name,
        company=company, email="pending@example.ru",
        phone="+7 900 123-45-67", consent=True, cities="Москва",
        regions="Московская область", consent_policy_url=org.policy_url,
    )
    # Transliterate-free ASCII address: demo addresses must be valid for SMTP.
    brief.email = f"client{brief.pk.hex[:6]}@example.ru"
    brief.save(update_fields=["email"])
    lead = Lead.objects.create(organisation=org, brief=brief, title=company)
    LeadEvent.objects.create(lead=lead, kind=LeadEvent.Kind.CREATED)
    if status != LeadStatus.NEW:
        brief_actions.assign_lead(lead, manager, by=manager)
        brief_actions.change_lead_status(lead, status, by=manager)
    return lead
