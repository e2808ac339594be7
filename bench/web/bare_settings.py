"""Settings for the web benchmarks: Panelwave's own, plus one bare view (bench/web/bare_urls.py).

The real respondent pages and the bare baseline are then served by the same gunicorn, with
the same middleware, database server and connection settings.
"""

from config.settings import *  # noqa: F403 (the point is to change nothing else)

ROOT_URLCONF = "bench.web.bare_urls"
