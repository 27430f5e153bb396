from django.urls import path

from huiquan.merchants import views

# Under /merchant/ with the till's routes (redemptions/urls.py), namespace "merchant":
# joined in huiquan/urls.py, above both apps.
urlpatterns = [
    path("login/", views.sign_in, name="login"),
    path("logout/", views.sign_out, name="logout"),
    path("application/", views.application, name="application"),
    path("licence/", views.licence, name="licence"),
]
