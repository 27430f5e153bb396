from django.urls import path

from huiquan.merchants import views
from huiquan.redemptions import views as till

app_name = "merchant"
urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.sign_in, name="login"),
    path("logout/", views.sign_out, name="logout"),
    path("application/", views.application, name="application"),
    path("licence/", views.licence, name="licence"),
    path("till/", till.till, name="till"),
    path("redemptions/<id:redemption_id>/", till.redemption_detail, name="redemption"),
    path("redemptions/<id:redemption_id>/check/", till.check, name="check"),
    path("redemptions/<id:redemption_id>/return/", till.goods_return, name="return"),
    path("redemptions/<id:redemption_id>/confirmation.pdf", till.confirmation_pdf,
         name="confirmation"),
]
