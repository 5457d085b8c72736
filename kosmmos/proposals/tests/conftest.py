from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from kosmmos.briefs.actions import submit_brief
from kosmmos.briefs.models import Lead
from kosmmos.conftest import World


def brief_data(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "networks": ["vk", "telegram"], "goals": ["traffic", "reach"],
        "product_type": "permanent", "budget_rub": Decimal("150000"), "period_months": 3,
        "country": "Россия", "regions": "", "cities": "Москва", "kpis": "200 заявок в месяц",
        "contact_name": "Ольга Клиентова", "company": "Пекарня «Булка»",
        "email": "olga@bulka.test", "phone": "", "website": "", "messenger": "",
        "messenger_handle": "", "consent": True,
    }
    data.update(changes)
    return data


@pytest.fixture
def new_lead(world: World) -> Lead:
    """A brief submitted through the real action: a lead and a pending draft job."""
    return submit_brief(world.alpha.org, brief_data(), ip="127.0.0.1", user_agent="pytest",
                        language="ru")
