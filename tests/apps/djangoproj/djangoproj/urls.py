from django.http import HttpResponse
from django.urls import path


def index(request):
    return HttpResponse("Hello from Django, path=%s script=%s" % (request.path, request.META.get("SCRIPT_NAME", "")))


urlpatterns = [path("", index), path("sub/", index)]
