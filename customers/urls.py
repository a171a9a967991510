from django.urls import path

from . import views

app_name = "customers"
urlpatterns = [
    path("", views.customer_list, name="list"),
    path("export.csv", views.customer_export, name="export"),
    path("tags/", views.tag_list, name="tags_page"),
    path("tags/bulk", views.bulk_tag, name="bulk_tag"),
    path("views/save", views.save_view, name="save_view"),
    path("views/<int:pk>/delete", views.delete_view, name="delete_view"),
    path("<uuid:org_id>/", views.customer_detail, name="detail"),
    path("<uuid:org_id>/tags", views.customer_tags, name="tags"),
    path("<uuid:org_id>/access", views.customer_access, name="access"),
]
