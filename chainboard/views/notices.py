"""A user's own notices (chainboard/notices.py): the inbox, and marking them read (audited)."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST

from chainboard import notices
from chainboard.models import Notice


@login_required
def notice_list(request):
    own = Notice.objects.filter(user=request.user)
    page = Paginator(own, 50).get_page(request.GET.get("page"))
    return render(
        request, "chainboard/notices/list.html", {"page": page, "unread": notices.unread_count(request.user)}
    )


@login_required
@require_POST
def notice_read(request, pk: int):
    if not Notice.objects.filter(pk=pk, user=request.user).exists():
        raise Http404  # another user's notice is not revealed
    notices.mark_read(request.user, [pk])
    return HttpResponseRedirect(reverse("notices:notice_list"))


@login_required
@require_POST
def notice_read_all(request):
    notices.mark_read(request.user)
    return HttpResponseRedirect(reverse("notices:notice_list"))
