from django.contrib import admin
from django.urls import include, path

from accounts import views as account_views
from api.urls import urls as api_urls

urlpatterns = [
    path("", account_views.home, name="home"),
    path("", include("accounts.urls")),
    path("customers/", include("customers.urls")),
    path("analytics/", include("analytics.urls")),
    path("trials/", include("subscriptions.urls")),
    path("data-feeds/", include("ingest.urls")),
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", api_urls),
]
