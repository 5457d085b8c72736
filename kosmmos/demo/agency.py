"""The demo agency: two clients from the seed's portfolio and a few leads in every state."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.db import transaction

from kosmmos.accounts.models import Membership, Organisation, Role, User, Workspace
from kosmmos.briefs import actions as brief_actions
from kosmmos.briefs.models import Brief, Lead, LeadEvent, LeadStatus
from kosmmos.channels.models import Channel
from kosmmos.demo import ads as ads_demo
from kosmmos.demo.competitors import seed_competitors
from kosmmos.demo.giveaways import seed_giveaways
from kosmmos.demo.login import DEMO_EMAIL, DEMO_PASSWORD
from kosmmos.demo.notifications import seed_notifications
from kosmmos.demo.ord import seed_ord
from kosmmos.demo.reports import seed_reports
from kosmmos.demo.results import load_results

DEMO_ORG = "Космос SMM (демо)"

CLIENTS = [
    {
        "name": "Сеул Бьюти — интернет-магазин корейской косметики",
        "brand": "Сеул Бьюти",
        "website": "https://seoul-beauty.example",
        "description": "Корейская уходовая косметика, доставка по России. Цель — продажи с сайта "
        "и рост сообщества ВКонтакте; отзывы клиенток — главный контент.",
    },
    {
        "name": "Сон и Спина — ортопедические матрасы",
        "brand": "Сон и Спина",
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
    """Create the demo once; True if created. A later call changes nothing: resetting the
    password would sign out every open session (``make run`` calls this on every start) and undo
    a password the owner chose."""
    user = User.objects.filter(email=DEMO_EMAIL).first()
    if user is not None and Organisation.objects.filter(memberships__user=user).exists():
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
    channels = _demo_content(manager, workspaces)
    _demo_history(manager, workspaces, channels)
    load_results(manager, workspaces, channels)
    ads_demo.load(manager, workspaces[0])
    seed_competitors(org, workspaces)
    seed_reports(org, manager, workspaces[0])
    seed_ord(org, workspaces)
    seed_notifications(org, manager, workspaces[0])
    seed_giveaways(manager, workspaces[0], workspaces[1])
    return True


# (workspace index, minutes from now, title, text, hashtags, stage, ad)
POSTS = [
    (0, 3, "Новинка недели", "Новинка: увлажняющая эссенция с муцином улитки. Лёгкая текстура, "
     "подходит для чувствительной кожи. Подробнее: https://seoul-beauty.example/snail", "#уход #новинка",
     "scheduled", False),
    (0, 10, "Отзыв недели", "«Кожа стала мягкой уже через неделю» — Марина из Казани о тонере с "
     "центеллой. Спасибо за отзыв!", "#отзывы", "scheduled", False),
    (0, 60 * 24, "Чёрная пятница", "Чёрная пятница: −30% на весь уход до воскресенья. "
     "https://seoul-beauty.example/black-friday", "#скидки", "in_review", True),
    (0, 60 * 24 * 6, "Рутина ухода", "Как собрать уходовую рутину из пяти шагов — разбираем "
     "по порядку.", "#советы", "draft", False),
    (1, 6, "Как выбрать матрас", "Жёсткий или мягкий? Три вопроса, которые помогут выбрать "
     "ортопедический матрас. https://son-i-spina.example/guide", "#здоровыйсон", "scheduled", False),
    (1, 60 * 24 * 3, "Акция на топперы", "Топпер в подарок к каждому матрасу до конца месяца.",
     "#акция", "draft", False),
]


def _demo_content(manager: User, workspaces: list[Workspace]) -> list[Channel]:
    """A sandbox channel per client and a content plan whose first posts publish minutes after
    `make run`, so the engine, the sandbox and the inbox have something to show at once."""
    from datetime import timedelta

    from django.utils import timezone

    from kosmmos.channels.actions import sandbox_id, save_channel
    from kosmmos.content import actions as content
    from kosmmos.content.models import Rubric

    channels = [
        save_channel(workspace=ws, network="sandbox", external_id=sandbox_id(),
                     credentials={"token": sandbox_id()}, name=f"{ws.brand_name} · песочница")
        for ws in workspaces
    ]
    for ws in workspaces:
        for name, colour in (("Новинки", "#6366f1"), ("Отзывы", "#10b981"), ("Акции", "#f59e0b")):
            Rubric.objects.create(organisation=ws.organisation, workspace=ws, name=name, color=colour)
    now = timezone.now()
    for index, minutes, title, text, tags, stage, is_ad in POSTS:
        ws = workspaces[index]
        data = content.PostData(
            title=title, text=text, hashtags=tags, publish_at=now + timedelta(minutes=minutes),
            channels=[channels[index]], is_ad=is_ad,
            advertiser="ООО «Сеул Бьюти», ИНН 7700000000" if is_ad else "",
            erid="2VtzqwDEMO" if is_ad else "",
            rubric=Rubric.objects.filter(workspace=ws).order_by("name").first(),
        )
        post = content.save_post(ws, data, by=manager)
        if stage == "in_review":
            content.send_for_review(post, by=manager)
        elif stage == "scheduled":
            content.approve_post(post, by=manager)
            content.schedule(post, by=manager)
    return channels


# Posts the clients published in the past days and what their customers wrote under them:
# (workspace index, hours ago, title, text, hashtags, [(minutes after the post, author, comment)]).
# A comment whose time is still to come arrives on the sandbox then, as a new one would.
# The inbox polls posts of the last 14 days, so the oldest is 12 days old.
HISTORY = [
    (0, 290, "Гид по двойному очищению", "Гидрофильное масло, потом пенка: как умываться, "
     "чтобы снимать SPF и макияж и не пересушивать кожу.", "#советы #уход", [
        (30, "Полина", "Спасибо, очень понятно расписали!"),
        (95, "Ирина Соколова", "Масло из вашего набора забивает поры, вся в высыпаниях. Верните "
         "деньги."),
        (180, "Марина", "А пенку можно для комбинированной кожи?"),
        (420, "Евгения", "Давно пользуюсь этой схемой, кожа отличная, спасибо!"),
    ]),
    (0, 218, "Скидка 20% на маски", "Неделя тканевых масок: −20% на все маски до воскресенья. "
     "Промокод MASK20.", "#акции", [
        (15, "Алёна", "Промокод не применяется, пишет «недействителен»."),
        (40, "Кристина", "Взяла десять штук, спасибо за акцию!"),
        (110, "Ольга В.", "Когда будет доставка в Екатеринбург?"),
        (300, "Наталья", "Третий день не могу дозвониться в поддержку, заказ так и не "
         "подтвердили."),
    ]),
    (0, 146, "Новинка: крем с муцином улитки", "В наличии крем с муцином улитки 92%: "
     "восстанавливает и увлажняет. Подходит для чувствительной кожи.", "#новинки", [
        (25, "Дарья", "Ура, ждала его! Уже заказала 😍"),
        (60, "Светлана", "Какой объём и срок годности?"),
        (200, "Татьяна Р.", "Пришёл крем с вскрытой упаковкой, как так?"),
    ]),
    (1, 266, "Как выбрать жёсткость матраса", "Жёсткий, средний или мягкий? Рассказываем, "
     "как выбрать матрас по весу и позе сна.", "#советы", [
        (45, "Игорь", "Полезно, спасибо! Выбрали средний."),
        (130, "Елена М.", "Мне 60 кг, сплю на боку, какой посоветуете?"),
        (260, "Роман", "Заказывали жёсткий, привезли мягкий. Ждём обмен уже вторую неделю."),
    ]),
    (1, 170, "Доставка за 1 день по Москве", "Теперь привозим матрасы по Москве на следующий "
     "день после заказа, подъём на этаж бесплатно.", "#доставка", [
        (20, "Анна К.", "Отлично, как раз собирались заказывать!"),
        (75, "Виктор", "Подскажите, а в Подмосковье тоже за день?"),
        (150, "Людмила С.", "Курьер опоздал на четыре часа и даже не предупредил."),
        (400, "Максим", "Привезли вчера, всё чётко, спасибо!"),
    ]),
    (1, 98, "Подушки в подарок", "При покупке матраса от 160 см — две ортопедические подушки в "
     "подарок до конца месяца.", "#акции", [
        (35, "Ксения Л.", "Подушки тоже можно вернуть, если не подойдут?"),
        (90, "Олег", "Купил, подушки не положили. Обещали довезти — тишина."),
        (210, "Вера", "Спасибо, очень щедрая акция!"),
    ]),

    (0, 52, "Солнцезащитные кремы", "Новая поставка корейских солнцезащитных кремов SPF 50+: "
     "лёгкие флюиды без белых следов. Уже на сайте.", "#уход #spf", [
        (35, "Марина Кузнецова", "Ура, наконец-то! Сколько стоит флюид на 50 мл?"),
        (90, "Ольга Смирнова", "Заказала в понедельник, до сих пор не отправили. Вы вообще работаете?"),
        (240, "Катя Белова", "Брала этот крем прошлым летом — лучший, что пробовала. Спасибо!"),
        (600, "Алина", "А для жирной кожи какой посоветуете?"),
        (1500, "Светлана П.", "Курьер привёз коробку мятой, один тюбик протёк. Ужасная упаковка, "
         "разочарована."),
    ]),
    (0, 26, "Розыгрыш", "Разыгрываем набор «Базовый уход»: тонер, эссенция и крем. Условия — в "
     "закреплённом посте, итоги в пятницу.", "#розыгрыш", [
        (12, "Дарья Лис", "Участвую! Спасибо за розыгрыш 😍"),
        (45, "Юлия М.", "А доставка в Новосибирск для победителя бесплатная?"),
        (180, "Ксения", "Третий раз участвую и ни разу не выиграла, всё подкручено"),
        (400, "Наталья Орлова", "Спасибо за пробники к прошлому заказу, очень приятно!"),
    ]),
    # The freshest post: comments still inside the hour's response target at `make run`
    # (posted 30 and 10 minutes before), and two more arriving in the first hour, beside the
    # older posts' overdue ones.
    (0, 3, "Тонер с центеллой", "Тонер с центеллой успокаивает раздражение после умывания. "
     "Наносите ладонями на влажную кожу утром и вечером.", "#советы", [
        (20, "Елена", "Подскажите, он подойдёт для чувствительной кожи?"),
        (70, "Вика Соколова", "Пользуюсь месяц — покраснения ушли. Спасибо за совет!"),
        (150, "Ирина Н.", "Заказ потерялся где-то между складом и пунктом выдачи, поддержка "
         "молчит третий день"),
        (170, "Анна Т.", "Сколько идёт доставка в Казань?"),
        (200, "Марго", "А есть тонер побольше, на 300 мл?"),
        (235, "Нина", "Спасибо, заказала тонер и эссенцию!"),
    ]),
    (1, 74, "100 ночей на пробу", "Спите на новом матрасе 100 ночей: не подошёл — заберём и "
     "вернём деньги.", "#здоровыйсон", [
        (25, "Сергей Волков", "А какие размеры есть? Нужен 160×200."),
        (80, "Татьяна", "Матрас привезли на неделю позже обещанного, и никто даже не позвонил."),
        (200, "Дмитрий К.", "Купили в прошлом месяце — спим отлично, спина благодарит. Спасибо!"),
        (720, "Людмила", "Сколько стоит доставка в Подольск?"),
    ]),
    (1, 20, "Отзыв покупателя", "«Сплю как на облаке» — Андрей из Химок о матрасе «Ортопед "
     "Плюс». Спасибо, что делитесь!", "#отзывы", [
        (40, "Андрей Н.", "Рад, что пригодилось! Матрас правда отличный."),
        (130, "Павел", "Грузчики отказались заносить на пятый этаж без лифта, пришлось "
         "доплачивать. Обман, об этом нигде не написано."),
        (260, "Оксана", "Есть ли рассрочка на матрасы?"),
    ]),
]


# The channel's answers to those comments, typed on the network: title → [(minutes after the
# post, index of the comment answered, text)]. They stop the comments' SLA clocks, so the demo's
# response-time chart has days to show; the newest comments are left for the manager.
ANSWERS = {
    "Гид по двойному очищению": [
        (70, 0, "Полина, спасибо, что читаете!"),
        (125, 1, "Ирина, простите! Напишите нам номер заказа в сообщения сообщества — оформим "
         "возврат и подберём замену."),
        (215, 2, "Марина, да, для комбинированной подойдёт."),
    ],
    "Скидка 20% на маски": [
        (35, 0, "Алёна, проверили: промокод работает с корзины от 1000 ₽. Напишите нам, если "
         "сумма больше."),
        (290, 2, "Ольга, 3–5 дней после оплаты."),
        (380, 3, "Наталья, извините за ожидание! Ваш заказ подтверждён, трек пришлём сегодня."),
    ],
    "Новинка: крем с муцином улитки": [
        (80, 1, "Светлана, 50 мл, срок годности 3 года."),
        (330, 2, "Татьяна, простите! Заменим бесплатно — напишите номер заказа в сообщения."),
    ],
    "Как выбрать жёсткость матраса": [
        (160, 1, "Елена, при вашем весе и сне на боку — средне-мягкий «Ортопед Лайт»."),
        (290, 2, "Роман, приносим извинения. Обмен назначен на завтра, курьер позвонит "
         "заранее."),
    ],
    "Доставка за 1 день по Москве": [
        (95, 1, "Виктор, до 30 км от МКАД — тоже на следующий день."),
        (185, 2, "Людмила, извините! Вернём стоимость доставки, напишите номер заказа."),
    ],
    "Подушки в подарок": [
        (140, 1, "Олег, простите! Подушки довезём завтра до 14:00."),
    ],
    "Солнцезащитные кремы": [
        (75, 0, "Марина, 1 290 ₽ за 50 мл."),
        (140, 1, "Ольга, простите за задержку! Заказ отправлен сегодня, трек уже в письме."),
    ],
}


# (workspace index, hours ago, text, [(minutes after the post, author, comment)])
OUTSIDE = (0, 30, "Сегодня до 20:00 в нашем магазине на Петровке — бесплатная диагностика "
           "кожи. Приходите без записи!", [
               (20, "Вера", "А в субботу тоже будет?"),
               (65, "Людмила К.", "Была сегодня, очень внимательный косметолог, спасибо!"),
           ])


def _demo_history(manager: User, workspaces: list[Workspace], channels: list[Channel]) -> None:
    """Posts published hours and days ago, on the sandbox with their comments, so the inbox shows
    a real day's work as soon as `make run` serves (the sandbox's comments otherwise come about
    three hours after a post). Each item comes in through the usual poll of the sandbox and
    belongs to a post that is there."""
    from datetime import timedelta

    from django.utils import timezone

    from kosmmos.connectors.text import compose_text
    from kosmmos.content import actions as content
    from kosmmos.content.models import Post, PostEvent, PostStatus, PostTarget, TargetStatus
    from kosmmos.publishing.models import PublishAttempt
    from kosmmos.publishing.tries import build_request

    put = _sandbox_writer()
    now = timezone.now()
    for index, hours, title, text, tags, comments in HISTORY:
        ws, channel = workspaces[index], channels[index]
        published_at = now - timedelta(hours=hours)
        post = content.save_post(ws, content.PostData(
            title=title, text=text, hashtags=tags, publish_at=published_at, channels=[channel],
        ), by=manager)
        target = post.targets.select_related("post", "channel").get()
        sent = compose_text(build_request(target))
        found = put(channel.external_id, {
            "key": target.key, "text": sent, "accepted_at": published_at.timestamp(),
            "comments": [{"author": author, "text": body,
                          "at": (published_at + timedelta(minutes=minutes)).timestamp()}
                         for minutes, author, body in comments] + [
                {"from_channel": True, "text": body, "reply_to": index,
                 "at": (published_at + timedelta(minutes=minutes)).timestamp()}
                for minutes, index, body in ANSWERS.get(title, ())],
        })
        PostTarget.objects.filter(pk=target.pk).update(
            status=TargetStatus.PUBLISHED, external_id=str(found["id"]), url=found.get("url", ""),
            published_at=published_at, sent_text=sent, attempts=1, next_stats_at=now)
        PublishAttempt.objects.create(target=target, number=1, started_at=published_at,
                                      duration_ms=140, outcome=PublishAttempt.Outcome.PUBLISHED,
                                      worker="demo")
        PostEvent.objects.create(post=post, kind=PostEvent.Kind.PUBLISHED,
                                 text=f"{channel.name}: {found.get('url', '')}")
        Post.objects.filter(pk=post.pk).update(status=PostStatus.PUBLISHED)
    # A post the client typed in the network's own app: no target of ours, so the inbox's poll
    # finds it on the sandbox and keeps it as published outside Kosmmos, with its comments.
    index, hours, text, comments = OUTSIDE
    published_at = now - timedelta(hours=hours)
    put(channels[index].external_id, {
        "key": "typed-in-the-app", "text": text, "accepted_at": published_at.timestamp(),
        "comments": [{"author": author, "text": body,
                      "at": (published_at + timedelta(minutes=minutes)).timestamp()}
                     for minutes, author, body in comments]})


def _sandbox_writer() -> Callable[[str, dict[str, Any]], dict[str, Any]]:
    """How the demo puts a post with its history on the sandbox: through the admin API when the
    sandbox answers (it runs already), else straight into the state file it loads when it
    starts (`make run` loads the demo before `kosmmos serve` starts the sandbox)."""
    import httpx
    from django.conf import settings

    from kosmmos.connectors.sandbox.server import Network, Reply, history_fields
    from kosmmos.lib import http

    base = settings.SANDBOX_URL
    try:
        running = http.get(f"{base}/healthz", timeout=httpx.Timeout(2.0, connect=0.5))
    except http.HttpError:
        running = None
    if running is not None and running.status_code == 200:
        def over_http(channel: str, history: dict[str, Any]) -> dict[str, Any]:
            # POST /_admin/channels/{id}/posts (connectors/sandbox/README.md)
            answer = http.post(f"{base}/_admin/channels/{channel}/posts", json=history,
                               timeout=httpx.Timeout(5.0, connect=0.5))
            if answer.status_code != 201:
                raise RuntimeError(f"sandbox: HTTP {answer.status_code} {answer.text[:300]}")
            return dict(answer.json())
        return over_http

    state = Network(path=str(settings.VAR_DIR / "sandbox.sqlite3"), public_url=base)

    def into_state(channel: str, history: dict[str, Any]) -> dict[str, Any]:
        try:
            post = state.add_post(channel, **history_fields(history))
        except Reply as exc:
            raise RuntimeError(f"sandbox: {exc.body}") from exc
        state.flush()
        return state.public(post)
    return into_state


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
