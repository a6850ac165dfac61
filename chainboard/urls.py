from django.contrib.auth import views as auth_views
from django.urls import include, path

from accounts import login_views
from chainboard import converters  # noqa: F401  (registers <id:…>)
from chainboard.api import api
from chainboard.views import audit, favicon, home, schedule, search

# Each app declares its API resources in api.py; importing them registers their routers.
for _module in (
    "regions",
    "industries",
    "organisations",
    "accounts",
    "chains",
    "enterprises",
    "projects",
    "investment",
):
    __import__(f"{_module}.api")

audit_patterns = (
    [
        path("", audit.audit_list, name="auditentry_list"),
        path("export.csv", audit.audit_export, name="auditentry_export"),
        path("<id:pk>/", audit.audit_detail, name="auditentry_detail"),
    ],
    "audit",
)

schedule_patterns = (
    [
        path("", schedule.job_list, name="scheduledjob_list"),
        path("<id:pk>/run/", schedule.job_run, name="scheduledjob_run"),
        path("<id:pk>/enable/", schedule.job_enable, name="scheduledjob_enable"),
    ],
    "schedule",
)

urlpatterns = [
    path("", home.home, name="home"),
    path("favicon.ico", favicon.favicon, name="favicon"),
    path("search/", search.global_search, name="search"),
    # Log-in security (docs/login-security.md): lockout and slowing, second factor, password policy.
    path("login/", login_views.LoginView.as_view(), name="login"),
    path("login/verify/", login_views.verify, name="login_verify"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", login_views.PasswordChangeView.as_view(), name="password_change"),
    path("two-factor/", login_views.two_factor, name="two_factor"),
    path("password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("audit/", include(audit_patterns)),
    path("schedule/", include(schedule_patterns)),
    path("api/v1/", api.urls),
    path("", include("regions.urls")),
    path("", include("industries.urls")),
    path("", include("organisations.urls")),
    path("", include("accounts.urls")),
    path("", include("chains.urls")),
    path("", include("enterprises.urls")),
    path("", include("projects.urls")),
    path("investment/", include("investment.urls")),
]

handler400 = "chainboard.views.errors.bad_request"
handler403 = "chainboard.views.errors.forbidden"
handler404 = "chainboard.views.errors.not_found"
handler500 = "chainboard.views.errors.server_error"
