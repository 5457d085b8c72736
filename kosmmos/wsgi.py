import os

from django.core.wsgi import get_wsgi_application

from kosmmos.lib.wsgi import FinishBody

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kosmmos.settings")
application = FinishBody(get_wsgi_application())
