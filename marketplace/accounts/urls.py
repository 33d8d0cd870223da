from django.urls import include, path

from marketplace.exchange.urls._interim import interim

app_name = "accounts"

auth_patterns = [path("", include("django.contrib.auth.urls"))]

urlpatterns = [
    path("team/", interim, name="team"),
    path("switch/", interim, name="switch"),
]
