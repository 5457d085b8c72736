"""The brief's vocabulary: codes stored in the database and their human labels.

The codes are stable identifiers shared by the public brief form, the leads board and the
proposal planner; labels are translated. Order is the order shown on the form (Russian networks
first, as the seed page lists them).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

# Shown next to Instagram and Facebook wherever they are named: Russian law requires the note
# since Meta was recognised as extremist and banned in Russia (2022).
EXTREMIST_NOTE = _("* Recognised as an extremist organisation and banned in the Russian Federation")


class Network(models.TextChoices):
    VK = "vk", _("VK")
    OK = "ok", _("Odnoklassniki")
    TELEGRAM = "telegram", _("Telegram")
    DZEN = "dzen", _("Dzen")
    RUTUBE = "rutube", _("Rutube")
    VK_VIDEO = "vk_video", _("VK Video")
    YOUTUBE = "youtube", _("YouTube")
    TIKTOK = "tiktok", _("TikTok")
    INSTAGRAM = "instagram", _("Instagram*")
    FACEBOOK = "facebook", _("Facebook*")


# Networks whose name must carry EXTREMIST_NOTE.
FLAGGED_NETWORKS = frozenset({Network.INSTAGRAM, Network.FACEBOOK})


class Goal(models.TextChoices):
    # The seed's two overall aims come first: selling and making the brand known.
    SALES = "sales", _("Sales")
    TRAFFIC = "traffic", _("Traffic to the website")
    PROMOTIONS = "promotions", _("Promotion of discounts and new products")
    SEARCH = "search", _("Visibility in search engines")
    REACH = "reach", _("Brand popularity: reach and awareness")
    VALUES = "values", _("Company values")
    REPUTATION = "reputation", _("Image and reputation")
    NEGATIVE = "negative", _("Handling negative reviews")
    REVIEW_ANALYTICS = "review_analytics", _("Review analytics")
    CROSS_MARKETING = "cross_marketing", _("Cross-marketing with partners")
    COMPETITORS = "competitors", _("Competitor tracking")
    RECRUITING = "recruiting", _("Recruiting")


class ProductType(models.TextChoices):
    ONE_OFF = "one_off", _("One-off (tickets, events)")
    LIMITED = "limited", _("Limited in time")
    SEASONAL = "seasonal", _("Seasonal")
    PERMANENT = "permanent", _("Permanent (mass-market goods)")


class Niche(models.TextChoices):
    """What the client's business is: it moves prices, costs per subscriber and how many leads
    become sales."""

    ECOMMERCE = "ecommerce", _("E-commerce and retail")
    SERVICES = "services", _("Services")
    REAL_ESTATE = "real_estate", _("Real estate")
    MEDICINE = "medicine", _("Medicine")
    FINANCE = "finance", _("Finance")
    B2B = "b2b", _("B2B")
    EDUCATION = "education", _("Education")
    FOOD = "food", _("Food and HoReCa")
    OTHER = "other", _("Other")


class Messenger(models.TextChoices):
    TELEGRAM = "telegram", _("Telegram")
    WHATSAPP = "whatsapp", _("WhatsApp")
    VK = "vk", _("VK Messenger")
    MAX = "max", _("MAX")
    NONE = "", _("—")
