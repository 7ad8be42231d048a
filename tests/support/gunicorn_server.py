"""Gunicorn for the benchmarks: companion_app.serving.production's, without the app and access logs.

Those logs cost CPU on every request, which would change the benchmark's figures.
"""

from companion_app.serving import production


class Gunicorn(production.Gunicorn):
    """production.Gunicorn(app_spec, ...) with logs=False."""

    def __init__(self, app_spec, **options):
        super().__init__(app_spec, logs=False, **options)
