from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("setup/", views.setup_wizard, name="setup"),
    path("admins/", views.admin_list, name="admins"),
    path("admins/invite", views.admin_invite, name="admin_invite"),
    path("admins/<int:pk>/invite", views.admin_reinvite, name="admin_reinvite"),
    path("admins/<int:pk>/role", views.admin_role, name="admin_role"),
    path("admins/<int:pk>/active", views.admin_active, name="admin_active"),
    path("profile/", views.profile, name="profile"),
    path("profile/tokens", views.token_create, name="token_create"),
    path("profile/tokens/<int:pk>/revoke", views.token_revoke, name="token_revoke"),
]
