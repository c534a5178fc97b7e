import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "network.settings")
application = get_wsgi_application()

from network.warmup import warm  # noqa: E402 - needs the settings and apps loaded above

warm()
