from django.contrib import admin
from django.urls import include, path

from catalog import views as catalog_views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("ticketing.api_urls")),
    path("shows/<int:show_id>/", catalog_views.show_detail, name="show-detail"),
    path("", catalog_views.city_list, name="city-list"),
    path("<slug:city_slug>/", catalog_views.city_detail, name="city-detail"),
    path("<slug:city_slug>/<slug:movie_slug>/", catalog_views.movie_in_city, name="movie-in-city"),
]
