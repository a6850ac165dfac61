"""Webhooks, for the administrator: endpoints (add, change, switch off; audited, the secret never in the
trail) and the delivery log with each attempt (chainboard/webhooks.py)."""

from __future__ import annotations

import secrets

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from chainboard import actions, scope, webhooks
from chainboard.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint


class EndpointForm(forms.ModelForm):
    url = forms.URLField(
        label=gettext_lazy("URL"),
        max_length=500,
        assume_scheme="https",
        widget=forms.URLInput(attrs={"class": "form-control"}),
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["url", "secret", "events", "active"]
        widgets = {
            "secret": forms.TextInput(attrs={"class": "form-control font-monospace", "autocomplete": "off"}),
            "events": forms.TextInput(attrs={"class": "form-control"}),
            "active": forms.CheckboxInput(attrs={"class": "form-check-input"}),
        }


def _require(user, action: str, model=WebhookEndpoint) -> None:
    if not scope.has_permission(user, action, model):
        raise PermissionDenied


@login_required
def endpoint_list(request):
    _require(request.user, "view")
    endpoints = WebhookEndpoint.objects.all()
    return render(
        request,
        "chainboard/webhooks/endpoints.html",
        {"endpoints": endpoints, "can_add": scope.has_permission(request.user, "add", WebhookEndpoint)},
    )


def _form_page(request, form, endpoint=None):
    return render(request, "chainboard/webhooks/endpoint_form.html", {"form": form, "endpoint": endpoint})


@login_required
def endpoint_add(request):
    _require(request.user, "add")
    if request.method == "POST":
        try:
            actions.create(request.user, EndpointForm, request.POST)
        except actions.InvalidData as exc:
            return _form_page(request, exc.form)
        messages.success(request, _("The endpoint is saved."))
        return HttpResponseRedirect(reverse("webhooks:endpoint_list"))
    return _form_page(request, EndpointForm(initial={"secret": secrets.token_hex(24), "active": True}))


@login_required
def endpoint_edit(request, pk: int):
    _require(request.user, "change")
    endpoint = get_object_or_404(WebhookEndpoint, pk=pk)
    if request.method == "POST":
        try:
            actions.update(
                request.user, endpoint, EndpointForm, request.POST, version=request.POST.get("_version")
            )
        except actions.InvalidData as exc:
            return _form_page(request, exc.form or EndpointForm(request.POST, instance=endpoint), endpoint)
        except actions.Conflict:
            messages.error(request, _("Someone else saved this record while you were editing it."))
            return HttpResponseRedirect(reverse("webhooks:endpoint_edit", args=[pk]))
        messages.success(request, _("The endpoint is saved."))
        return HttpResponseRedirect(reverse("webhooks:endpoint_list"))
    return _form_page(request, EndpointForm(instance=endpoint), endpoint)


@login_required
def delivery_list(request):
    _require(request.user, "view", WebhookDelivery)
    deliveries = WebhookDelivery.objects.select_related("endpoint")
    status = request.GET.get("status")
    if status in DeliveryStatus.values:
        deliveries = deliveries.filter(status=status)
    page = Paginator(deliveries, 50).get_page(request.GET.get("page"))
    context = {"page": page, "status": status, "statuses": DeliveryStatus.choices}
    return render(request, "chainboard/webhooks/deliveries.html", context)


@login_required
def delivery_detail(request, pk: int):
    _require(request.user, "view", WebhookDelivery)
    delivery = get_object_or_404(WebhookDelivery.objects.select_related("endpoint"), pk=pk)
    context = {
        "delivery": delivery,
        "attempts": delivery.attempt_log.all(),
        "body": webhooks.body_of(delivery).decode(),
        "can_retry": scope.has_permission(request.user, "change", WebhookDelivery)
        and delivery.status != DeliveryStatus.DELIVERED,
    }
    return render(request, "chainboard/webhooks/delivery.html", context)


@login_required
@require_POST
def delivery_retry(request, pk: int):
    _require(request.user, "change", WebhookDelivery)
    delivery = get_object_or_404(WebhookDelivery, pk=pk)
    webhooks.retry_now(request.user, delivery)
    messages.success(request, _("The delivery was tried again."))
    return HttpResponseRedirect(reverse("webhooks:delivery_detail", args=[pk]))
