import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

# Build the template engine (it imports every app's tag libraries) and load the error page
# now, while the worker starts: otherwise a worker whose first template is the error page
# pays about a second of CPU for it in the middle of a database outage, when every worker
# fails at once and requests queue behind them (bench/pg_restart.py).
from django.template import loader  # noqa: E402 (needs the settings configured above)

loader.get_template("500.html")
