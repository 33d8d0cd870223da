from django.contrib import admin
from django.http import HttpRequest, JsonResponse
from django.urls import URLPattern, URLResolver, include, path

from labs import urls as labs_urls
from marketplace.accounts import urls as accounts_urls
from marketplace.exchange import urls as exchange_urls
from marketplace.exchange.views.home import home
from vendors import urls as vendors_urls


def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


admin.site.site_header = "Expert Data Exchange administration"
admin.site.site_title = "Expert Data Exchange"

# Browser pages live under lab/ and vendor/ by the kind of organisation they serve; each
# namespace gathers the pages of several apps (labs + exchange, vendors + exchange).
lab_patterns: list[URLPattern | URLResolver] = [
    *labs_urls.lab_patterns,
    *exchange_urls.lab_patterns,
]
vendor_patterns: list[URLPattern | URLResolver] = [
    *vendors_urls.vendor_patterns,
    *exchange_urls.vendor_patterns,
]

urlpatterns = [
    path("", home, name="home"),
    path("accounts/", include(accounts_urls.auth_patterns)),
    path("accounts/", include(accounts_urls)),
    path("lab/", include((lab_patterns, "lab"))),
    path("vendor/", include((vendor_patterns, "vendor"))),
    path("", include(exchange_urls.site_patterns)),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("api/", include("marketplace.api_urls", namespace="api")),
]

handler500 = "marketplace.core.api_fallback.server_error"
