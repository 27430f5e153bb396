from django.urls import path

from huiquan.consumers import views as consumer_views
from huiquan.site import views

app_name = "site"
urlpatterns = [
    path("", views.home, name="home"),
    path("m/", views.home, name="home_m"),
    path("m/login/", consumer_views.sign_in, name="sign_in"),
    path("m/identity/", consumer_views.identity, name="identity"),
    path("m/logout/", consumer_views.sign_out, name="sign_out"),
    path("m/claim/", views.claim, name="claim"),
    path("m/paycode.json", views.paycode_json, name="paycode"),
    path("m/voucher.json", views.voucher_json, name="voucher_state"),
    path("m/locate.json", views.locate_json, name="locate"),
    path("m/releases/<id:release_id>.json", views.release_json, name="release_live"),
]
