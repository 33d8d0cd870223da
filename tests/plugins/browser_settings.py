"""Settings of the gunicorn server the browser tests drive: the project's own settings
as a deployment runs them (DEBUG off, whitenoise serving static files), on the test
database, sending tasks to the test session's worker queue."""

import os

from marketplace.settings import *  # noqa: F403

DEBUG = False
# Static files straight from the finders, so the tests need no collectstatic run.
WHITENOISE_USE_FINDERS = True
# The personas' passwords are hashed by the test process with this hasher.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_TASK_DEFAULT_QUEUE = os.environ["TEST_CELERY_QUEUE"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
