"""For `kosmmos bench redirect`: the product settings, the Django redirect view as the URLconf."""

from kosmmos.settings import *  # noqa: F403

ROOT_URLCONF = "benches.redirect_django"
