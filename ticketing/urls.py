from django.contrib import admin
from django.urls import include, path

from booking import views as booking_views
from catalog import views as catalog_views
from ticketing import health
from ticketing import views as ticketing_views
from waitlist import views as waitlist_views

handler404 = "ticketing.handlers.not_found"
handler500 = "ticketing.handlers.server_failure"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", ticketing_views.metrics, name="metrics"),
    path("api/", include("ticketing.api_urls")),
    path("shows/<int:show_id>/", catalog_views.show_detail, name="show-detail"),
    path("shows/<int:show_id>/hold", booking_views.hold_seats, name="hold-seats"),
    path("shows/<int:show_id>/waitlist", waitlist_views.join, name="waitlist-join"),
    path("waitlist/<uuid:entry_id>/leave", waitlist_views.leave, name="waitlist-leave"),
    path("holds/<uuid:hold_id>/", booking_views.hold_page, name="hold-page"),
    path("holds/<uuid:hold_id>/release", booking_views.release, name="hold-release"),
    path("holds/<uuid:hold_id>/pay", booking_views.pay, name="hold-pay"),
    path("holds/<uuid:hold_id>/validate", booking_views.validate_field, name="hold-validate"),
    path("bookings/open", booking_views.open_booking, name="booking-open"),
    path("bookings/find", booking_views.find_booking, name="booking-find"),
    path("bookings/<str:reference>/", booking_views.booking_page, name="booking-page"),
    path("bookings/<str:reference>/cancel", booking_views.cancel, name="booking-cancel"),
    path("", catalog_views.city_list, name="city-list"),
    path("<slug:city_slug>/", catalog_views.city_detail, name="city-detail"),
    path("<slug:city_slug>/<slug:movie_slug>/", catalog_views.movie_in_city, name="movie-in-city"),
]
