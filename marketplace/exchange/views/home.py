from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from marketplace.core.web import current_membership


def home(request: HttpRequest) -> HttpResponse:
    """Where "/" and sign-in lead: the dashboard of the user's current organisation."""
    if not request.user.is_authenticated:
        return redirect("login")
    membership = current_membership(request)
    if membership is None:
        if request.user.is_staff:
            return redirect("admin:index")
        return render(request, "exchange/no_organisation.html", status=403)
    return redirect(f"{membership.organisation.kind}:dashboard")
