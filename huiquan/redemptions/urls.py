from django.urls import path

from huiquan.redemptions import views

# Under /merchant/ with the merchant portal's routes (merchants/urls.py), namespace "merchant":
# joined in huiquan/urls.py, above both apps.
urlpatterns = [
    path("", views.home, name="home"),
    path("till/", views.till, name="till"),
    path("till/goods", views.till_goods, name="till_goods"),
    path("redemptions/<id:redemption_id>/", views.redemption_detail, name="redemption"),
    path("redemptions/<id:redemption_id>/check/", views.check, name="check"),
    path("redemptions/<id:redemption_id>/return/", views.goods_return, name="return"),
    path("redemptions/<id:redemption_id>/confirmation.pdf", views.confirmation_pdf,
         name="confirmation"),
]
