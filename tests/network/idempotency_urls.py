"""A small creating endpoint for the idempotency tests: it writes a real row per call, also
when it then fails."""

from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView

from network.models import Notification


class CreateNote(APIView):
    api_scopes = {"read": "orders:read", "write": "orders:write"}

    def post(self, request):
        note = Notification.objects.create(
            email=request.user.email,
            kind="test",
            subject=request.data.get("subject", ""),
            body="",
            organization=request.organization,
        )
        if request.data.get("fail"):  # fails after writing
            return Response({"code": "boom", "message": "failed", "fields": {}}, status=503)
        return Response({"id": note.pk, "subject": note.subject}, status=201)


urlpatterns = [path("api/v1/notes/", CreateNote.as_view())]
