from django.urls import path

from huiquan.verification import views

# Under /merchant/ with the portal's other routes, namespace "merchant" (huiquan/urls.py).
urlpatterns = [
    path("documents/", views.documents_home, name="documents"),
    path("documents/<id:submission_id>/", views.submission_page, name="submission"),
    path("documents/<id:submission_id>/upload/", views.upload, name="submission_upload"),
    path("documents/<id:submission_id>/files/<id:document_id>/remove/", views.remove,
         name="submission_remove"),
    path("documents/<id:submission_id>/send/", views.send, name="submission_send"),
    path("files/<id:document_id>", views.document, name="document"),
]
