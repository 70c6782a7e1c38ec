from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from staff import box_office, door
from storefront import browse, buying, room, waiting
from ticketing import health
from ticketing import views as ticketing_views

handler404 = "ticketing.handlers.not_found"
handler500 = "ticketing.handlers.server_failure"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("staff/box-office/", box_office.box_office_home, name="box-office-home"),
    path("staff/box-office/shows/<int:show_id>/", box_office.box_office_show,
         name="box-office-show"),
    path("staff/box-office/tickets/<str:reference>/", box_office.box_office_ticket,
         name="box-office-ticket"),
    path("staff/door/", door.door_home, name="door-home"),
    path("staff/door/shows/<int:show_id>/", door.door_page, name="door-page"),
    path("staff/door/shows/<int:show_id>/admit", door.door_admit, name="door-admit"),
    # The language switcher (POST, remembered in a cookie) and the pages' script messages.
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", ticketing_views.metrics, name="metrics"),
    path("api/", include("ticketing.api_urls")),
    path("shows/<int:show_id>/", browse.show_detail, name="show-detail"),
    path("shows/<int:show_id>/hold", buying.hold_seats, name="hold-seats"),
    path("shows/<int:show_id>/waitlist", waiting.join, name="waitlist-join"),
    path("shows/<int:show_id>/room", room.room_page, name="room-page"),
    path("shows/<int:show_id>/room/leave", room.leave_room, name="room-leave"),
    path("shows/<int:show_id>/fairness", room.fairness_page, name="fairness-page"),
    path("waitlist/<uuid:entry_id>/leave", waiting.leave, name="waitlist-leave"),
    path("waitlist/<uuid:entry_id>/panel", waiting.panel, name="waitlist-panel"),
    path("holds/<uuid:hold_id>/", buying.hold_page, name="hold-page"),
    path("holds/<uuid:hold_id>/tickets", buying.choose_tickets, name="hold-tickets"),
    path("holds/<uuid:hold_id>/release", buying.release, name="hold-release"),
    path("holds/<uuid:hold_id>/pay", buying.pay, name="hold-pay"),
    path("holds/<uuid:hold_id>/pay/return", buying.pay_return, name="hold-pay-return"),
    path("holds/<uuid:hold_id>/validate", buying.validate_field, name="hold-validate"),
    path("bookings/open", buying.open_booking, name="booking-open"),
    path("bookings/find", buying.find_booking, name="booking-find"),
    path("bookings/<str:reference>/", buying.booking_page, name="booking-page"),
    path("bookings/<str:reference>/cancel", buying.cancel, name="booking-cancel"),
    path("bookings/<str:reference>/calendar.ics", buying.calendar_file, name="booking-calendar"),
    path("", browse.city_list, name="city-list"),
    path("<slug:city_slug>/", browse.city_detail, name="city-detail"),
    path("<slug:city_slug>/<slug:movie_slug>/", browse.movie_in_city, name="movie-in-city"),
]
