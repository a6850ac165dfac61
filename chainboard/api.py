"""The JSON API under /api/v1/ (rules.md, API conventions), generated from each entity's ViewSet.

An entity joins by ``register(ViewSet)`` in its app's ``api.py``: collection ``/api/v1/<url_prefix>``
with list (``page``, ``page_size`` ≤ 500, ``q`` and the list page's filters), detail, create, update
(``PATCH`` with the ``version`` read) and delete. Reads go through ``restrict``; writes go through the
same actions as the web forms, so they are validated, scoped and audited. Errors are problem+json
listing every field error at once.
"""

import datetime as dt
import decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.db import models
from django.forms.models import model_to_dict
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Query, Router, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.orm import create_schema
from ninja.security import HttpBearer
from pydantic import Field, create_model

from chainboard import actions, audit, scope
from chainboard.models import ApiToken

PROBLEM = "application/problem+json"
MAX_PAGE_SIZE = 500


class BearerAuth(HttpBearer):
    def authenticate(self, request, token: str):
        user = ApiToken.user_for(token)
        if user is None:
            return None
        request.user = user
        audit.current_operation().user = user  # the request's audit rows name the token's user
        return user


api = NinjaAPI(
    title="chainboard API",
    version="1",
    description="链长制工作台 JSON API. Authenticate with `Authorization: Bearer <token>` "
    "(`chainboard token create USERNAME`).",
    urls_namespace="api",
    auth=BearerAuth(),
    docs_url="/docs",
    openapi_url="/openapi.json",
)
if not settings.CHAINBOARD_API_SCHEMA_PUBLIC:
    from django.contrib.auth.decorators import login_required

    api.docs_decorator = login_required


def problem(status: int, title: str, detail: str = "", **extra) -> JsonResponse:
    body = {
        "type": "about:blank",
        "title": title,
        "status": status,
        **({"detail": detail} if detail else {}),
        **extra,
    }
    return JsonResponse(body, status=status, content_type=PROBLEM, json_dumps_params={"ensure_ascii": False})


@api.exception_handler(actions.InvalidData)
def _invalid(request, exc: actions.InvalidData):
    errors = [
        {"field": None if f == "__all__" else f, "message": m} for f, ms in exc.errors.items() for m in ms
    ]
    return problem(422, _("The data is not valid."), errors=errors)


@api.exception_handler(NinjaValidationError)
def _schema_invalid(request, exc: NinjaValidationError):
    errors = []
    for e in exc.errors:
        loc = [str(p) for p in e.get("loc", []) if p not in {"body", "payload", "query"}]
        errors.append({"field": ".".join(loc) or None, "message": e.get("msg", "")})
    return problem(422, _("The data is not valid."), errors=errors)


@api.exception_handler(actions.Conflict)
def _conflict(request, exc: actions.Conflict):
    changes = [
        {"user": who, "field": str(label), "before": old, "after": new}
        for who, label, old, new in exc.changes()
    ]
    return problem(
        409,
        _("This record was changed by someone else while you were editing it."),
        current_version=exc.current_version,
        changes=changes,
    )


@api.exception_handler(PermissionDenied)
def _forbidden(request, exc):
    return problem(403, _("You may not do this."), str(exc) if str(exc) else "")


@api.exception_handler(Http404)
def _not_found(request, exc):
    return problem(404, _("Not found."))


@api.exception_handler(ObjectDoesNotExist)
def _does_not_exist(request, exc):
    return problem(404, _("Not found."))


@api.exception_handler(AuthenticationError)
def _unauthorised(request, exc):
    return problem(401, _("A valid bearer token is required."))


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    return problem(exc.status_code, str(exc))


def _jsonable(value: Any) -> Any:
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, list | tuple | models.QuerySet):
        return [_jsonable(v) for v in value]
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _form_fields(viewset) -> list[str]:
    return list(viewset.form_class.base_fields) if viewset.form_class else []


def _form_data(instance: models.Model | None, fields: list[str], payload: dict) -> dict:
    data: dict[str, Any] = {}
    if instance is not None:
        for key, value in model_to_dict(instance, fields=fields).items():
            data[key] = _jsonable(value)
    for key, value in payload.items():
        data[key] = _jsonable(value)
    # Forms read booleans from presence: drop False so the checkbox reads unchecked.
    return {k: v for k, v in data.items() if v is not None and v is not False}


def register(viewset, *, router_tag: str | None = None) -> Router:
    """Expose a ViewSet's entity at /api/v1/<url_prefix>."""
    model = viewset.model
    name = model.__name__
    model_fields = {f.name for f in model._meta.get_fields() if getattr(f, "concrete", False)}
    out_fields = ["id" if model._meta.pk.name == "id" else model._meta.pk.name]
    out_fields += [
        f for f in (list(getattr(model, "detail_fields", ())) or _form_fields(viewset)) if f in model_fields
    ]
    for extra in ("version", "is_sample", "source"):
        if extra in model_fields and extra not in out_fields:
            out_fields.append(extra)
    out_fields = list(dict.fromkeys(f for f in out_fields if f not in {"password"}))
    Out = create_schema(model, name=f"{name}Out", fields=out_fields)
    many_to_many = [f.name for f in model._meta.many_to_many if f.name in out_fields]
    ListOut = create_model(f"{name}List", items=(list[Out], ...), count=(int, ...), __base__=Schema)
    writable = [f for f in _form_fields(viewset) if f in model_fields]
    # Every field optional in the schema: the form decides what is required, with the UI's messages.
    In = (
        create_schema(model, name=f"{name}In", fields=writable, optional_fields="__all__")
        if writable
        else None
    )
    Patch = (
        create_schema(model, name=f"{name}Patch", fields=writable, optional_fields="__all__")
        if writable
        else None
    )
    router = Router(tags=[router_tag or str(model._meta.verbose_name_plural)])
    pk_type = str if not isinstance(model._meta.pk, models.AutoField | models.BigAutoField) else int

    class Paging(Schema):
        page: int = Field(1, ge=1)
        page_size: int = Field(25, ge=1, le=MAX_PAGE_SIZE)
        q: str | None = None

    @router.get(
        "",
        response=ListOut,
        operation_id=f"list_{viewset.url_prefix}",
        summary=f"List {model._meta.verbose_name_plural}",
    )
    def list_items(request, paging: Query[Paging]):
        if not scope.has_permission(request.user, "view", model):
            raise PermissionDenied
        queryset = model.objects.restrict(request.user, "view")
        if viewset.filterset_class is not None:
            params = request.GET.copy()
            for key in ("page", "page_size"):
                params.pop(key, None)
            filterset = viewset.filterset_class(params, queryset=queryset, request=request)
            if not filterset.is_valid():
                raise actions.InvalidData({k: [str(m) for m in v] for k, v in filterset.errors.items()})
            queryset = filterset.qs
        queryset = queryset.order_by(*viewset.table.default_order)
        if many_to_many:
            # One query per many-to-many field for the page, not one per row.
            queryset = queryset.prefetch_related(*many_to_many)
        start = (paging.page - 1) * paging.page_size
        return {"items": list(queryset[start : start + paging.page_size]), "count": queryset.count()}

    @router.get("/{pk}", response=Out, operation_id=f"get_{viewset.url_prefix}", summary=f"Get one {name}")
    def get_item(request, pk: pk_type):
        return get_object_or_404(model.objects.restrict(request.user, "view"), pk=pk)

    if In is not None:

        @router.post(
            "", response={201: Out}, operation_id=f"create_{viewset.url_prefix}", summary=f"Create a {name}"
        )
        def create_item(request, payload: In):
            obj = actions.create(request.user, viewset.form_class, _form_data(None, writable, payload.dict()))
            return 201, obj

        @router.patch(
            "/{pk}",
            response=Out,
            operation_id=f"update_{viewset.url_prefix}",
            summary=f"Update a {name} (send the version you read)",
        )
        def update_item(request, pk: pk_type, payload: Patch, version: int):
            obj = get_object_or_404(model.objects.restrict(request.user, "view"), pk=pk)
            data = _form_data(obj, writable, payload.dict(exclude_unset=True))
            return actions.update(request.user, obj, viewset.form_class, data, version=version)

    @router.delete(
        "/{pk}", response={204: None}, operation_id=f"delete_{viewset.url_prefix}", summary=f"Delete a {name}"
    )
    def delete_item(request, pk: pk_type, version: int | None = None):
        obj = get_object_or_404(model.objects.restrict(request.user, "view"), pk=pk)
        actions.delete(request.user, obj, version=version)
        return 204, None

    api.add_router(f"/{viewset.url_prefix}", router)
    return router
