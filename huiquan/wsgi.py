import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "huiquan.settings")
application = get_wsgi_application()

from huiquan.core.warmup import warm_up  # noqa: E402 - needs the configured Django above

warm_up()
