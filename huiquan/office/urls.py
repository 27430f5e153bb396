from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from huiquan.office import (
                            account_views,
                            catalog_views,
                            merchant_views,
                            views,
                            views_integrity,
                            views_review,
                            views_settlement,
)
from huiquan.verification import views as document_views

app_name = "office"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("login/", views.LoginView.as_view(), name="login"),
    # Django's LogoutView answers POST only: a link or an image cannot log anyone out.
    path("logout/", auth_views.LogoutView.as_view(next_page=reverse_lazy("office:login")),
         name="logout"),
    path("set-password/<uidb64>/<token>/", account_views.SetPasswordView.as_view(),
         name="set_password"),
    path("funds/", views.funds, name="funds"),
    path("releases/", views.releases, name="releases"),
    path("releases/<id:release_id>/", views.release_detail, name="release"),
    path("tick/", views.tick, name="tick"),
    path("audit/", views.audit, name="audit"),
    path("reconcile/", views.reconcile_view, name="reconcile"),
    path("merchants/", merchant_views.merchants, name="merchants"),
    path("merchants/<id:merchant_id>/", merchant_views.merchant_detail, name="merchant"),
    path("merchants/<id:merchant_id>/licence", merchant_views.merchant_licence,
         name="merchant_licence"),
    path("blacklist/", merchant_views.blacklist, name="blacklist"),
    path("catalog/", catalog_views.catalog, name="catalog"),
    # Claim documents and their review (issue 14, R-DOC-2)
    path("review/", views_review.review_queue, name="review_queue"),
    path("review/<id:submission_id>/", views_review.review_detail, name="review"),
    path("review/files/<id:document_id>", document_views.document, name="review_document"),
    path("settlement/", views_settlement.runs, name="settlement"),
    path("settlement/<id:run_id>/", views_settlement.run_detail, name="settlement_run"),
    path("settlement/<id:run_id>/file-<id:number>.<str:ext>", views_settlement.run_file,
         name="settlement_file"),
    path("settlement/receivables/", views_settlement.receivables,
         name="settlement_receivables"),
]
urlpatterns += views_integrity.urlpatterns  # market supervision (issue 14)
