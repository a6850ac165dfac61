from django.shortcuts import render


def forbidden(request, exception=None):
    return render(request, "chainboard/403.html", status=403)


def not_found(request, exception=None):
    return render(request, "chainboard/404.html", status=404)
