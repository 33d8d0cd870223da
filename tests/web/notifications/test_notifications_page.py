"""The notifications page: the signed-in person's notifications, newest first; opening
it reads the ones it shows, so the header's unread count drops."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from marketplace.exchange.models import Notification

pytestmark = pytest.mark.django_db

PAGE = reverse("notifications")


def notify(user, organisation, title: str, *, url: str = "", read: bool = False, age: int = 0):
    notification = Notification.objects.create(
        recipient=user,
        organisation=organisation,
        kind="test",
        title=title,
        body=f"About {title}.",
        url=url,
        read_at=timezone.now() if read else None,
    )
    # created_at is set on insert; age it so "newest first" has something to order.
    Notification.objects.filter(pk=notification.pk).update(
        created_at=timezone.now() - timedelta(minutes=age)
    )
    return notification


def unread_count(user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def test_an_anonymous_visitor_is_sent_to_sign_in(client):
    response = client.get(PAGE)

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_the_page_lists_the_users_notifications_newest_first(client, acme):
    org = acme.lab.organisation
    notify(acme.owner, org, "Oldest news", age=30, read=True)
    notify(acme.owner, org, "Newest news", age=1)
    notify(acme.owner, org, "Middle news", age=10)
    client.force_login(acme.owner)

    response = client.get(PAGE)

    assert response.status_code == 200
    html = response.text
    assert "<h1>Notifications</h1>" in html
    assert html.index("Newest news") < html.index("Middle news") < html.index("Oldest news")
    assert "About Middle news." in html
    assert 'aria-current="page"' in html.split("notifications-link")[1].split(">")[0]


def test_another_users_notifications_never_appear(client, acme, rival, medix):
    notify(acme.owner, acme.lab.organisation, "For the owner")
    notify(acme.procurement, acme.lab.organisation, "For procurement at Acme")
    notify(rival.owner, rival.lab.organisation, "For the rival")
    notify(medix.owner, medix.vendor.organisation, "For Medix")
    client.force_login(acme.owner)

    html = client.get(PAGE).text

    assert "For the owner" in html
    for hidden in ("For procurement at Acme", "For the rival", "For Medix"):
        assert hidden not in html
    assert unread_count(acme.procurement) == 1


def test_unread_ones_are_marked_new_once_and_read_after_the_visit(client, acme):
    org = acme.lab.organisation
    notify(acme.owner, org, "Already read", read=True, age=5)
    notify(acme.owner, org, "Fresh", age=1)
    client.force_login(acme.owner)
    before = client.get(reverse("accounts:team")).text
    assert 'aria-label="1 unread"' in before

    first = client.get(PAGE).text
    second = client.get(PAGE).text

    assert first.count('<span class="status new">New</span>') == 1
    assert first.index("status new") < first.index("Fresh") < first.index("Already read")
    assert "1 new since your last visit" in first
    # The header is drawn after the visit has read them: no badge any more.
    assert 'class="badge"' not in first
    assert unread_count(acme.owner) == 0
    assert "status new" not in second
    assert "No new notifications since your last visit." in second


def test_a_notification_links_to_its_page_when_it_has_one(client, acme):
    org = acme.lab.organisation
    notify(acme.owner, org, "With a link", url="/lab/jobs/7/")
    notify(acme.owner, org, "Elsewhere", url="javascript:alert(1)")
    notify(acme.owner, org, "Without a link")
    client.force_login(acme.owner)

    html = client.get(PAGE).text

    assert '<a href="/lab/jobs/7/">With a link</a>' in html
    assert "javascript:" not in html
    assert "<a href" not in html.split("Without a link")[0].rsplit("<h2", 1)[1]


def test_the_page_shows_25_at_a_time_and_reads_only_those_shown(client, acme):
    org = acme.lab.organisation
    for n in range(30):
        notify(acme.owner, org, f"Notice number {n:02d}", age=n)
    client.force_login(acme.owner)

    first = client.get(PAGE).text

    assert "Notice number 00" in first and "Notice number 24" in first
    assert "Notice number 25" not in first
    assert "Page 1 of 2" in first
    assert 'href="?page=2"' in first and ">Older</a>" in first
    assert unread_count(acme.owner) == 5
    second = client.get(PAGE, {"page": 2}).text
    assert "Notice number 29" in second and "Notice number 24" not in second
    assert second.count("status new") == 5
    assert unread_count(acme.owner) == 0


def test_a_page_past_the_end_is_404(client, acme):
    client.force_login(acme.owner)

    assert client.get(PAGE, {"page": 5}).status_code == 404


def test_someone_with_no_notifications_is_told_so(client, medix):
    client.force_login(medix.bid_manager)

    assert "You have no notifications yet." in client.get(PAGE).text


def test_the_page_keeps_to_a_query_budget_whatever_the_number_shown(
    client, acme, django_assert_max_num_queries
):
    org = acme.lab.organisation
    notify(acme.owner, org, "Just one")
    client.force_login(acme.owner)
    with django_assert_max_num_queries(10):
        client.get(PAGE)
    for n in range(40):
        notify(acme.owner, org, f"Many {n}")

    with django_assert_max_num_queries(10):
        response = client.get(PAGE)

    assert response.text.count("status new") == 25
