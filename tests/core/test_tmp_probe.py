import pytest
from marketplace.celery import app

def test_failing_shows_worker_log(celery_worker_process, wait_for):
    assert app.send_task("celery.ping").get(timeout=20) == "pong"
    wait_for(lambda: False, timeout=0.5, message="never true")

@pytest.mark.django_db
def test_wrong_db_mark(celery_worker_process):
    pass
