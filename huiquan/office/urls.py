from django.urls import path

from huiquan.office import views

app_name = "office"
urlpatterns = [
    path("", views.overview, name="overview"),
]
