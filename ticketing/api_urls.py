from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from booking import api as booking_api
from booking import webhooks as booking_webhooks
from catalog import api as catalog_api
from staff import api as staff_api
from waitingroom import api as room_api
from waitlist import api as waitlist_api

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("v1/cities", catalog_api.CityList.as_view(), name="api-cities"),
    path("v1/cities/<slug:city>/movies", catalog_api.CityMovieList.as_view(), name="api-movies"),
    path("v1/cities/<slug:city>/movies/<slug:movie>/shows", catalog_api.MovieShowList.as_view(),
         name="api-movie-shows"),
    path("v1/shows/<int:show_id>", catalog_api.ShowDetail.as_view(), name="api-show"),
    path("v1/shows/<int:show_id>/seats", booking_api.ShowSeatMap.as_view(), name="api-show-seats"),
    path("v1/shows/<int:show_id>/holds", booking_api.create_hold, name="api-holds"),
    path("v1/shows/<int:show_id>/waitlist", waitlist_api.join, name="api-waitlist-join"),
    path("v1/waitlist/<str:entry_id>", waitlist_api.entry_detail, name="api-waitlist-entry"),
    path("v1/shows/<int:show_id>/room", room_api.room, name="api-room"),
    path("v1/room/<str:public_id>", room_api.visitor, name="api-room-visitor"),
    path("v1/shows/<int:show_id>/fairness", room_api.fairness_report, name="api-fairness"),
    path("v1/shows/<int:show_id>/fairness/log", room_api.fairness_log,
         name="api-fairness-log"),
    path("v1/holds/<str:hold_id>", booking_api.hold_detail, name="api-hold"),
    path("v1/holds/<str:hold_id>/tickets", booking_api.hold_tickets, name="api-hold-tickets"),
    path("v1/holds/<str:hold_id>/checkout", booking_api.checkout_hold, name="api-checkout"),
    path("v1/holds/<str:hold_id>/checkout/complete", booking_api.complete_checkout,
         name="api-checkout-complete"),
    path("v1/bookings/<str:reference>", booking_api.booking_detail, name="api-booking"),
    path("v1/payments/stripe/webhook", booking_webhooks.stripe_webhook, name="stripe-webhook"),
    path("v1/bookings/<str:reference>/cancel", booking_api.cancel_booking,
         name="api-booking-cancel"),
]

staff = SimpleRouter(trailing_slash=False)
staff.register("v1/staff/cities", staff_api.StaffCityViewSet, basename="staff-city")
staff.register("v1/staff/cinemas", staff_api.StaffCinemaViewSet, basename="staff-cinema")
staff.register("v1/staff/halls", staff_api.StaffHallViewSet, basename="staff-hall")
staff.register("v1/staff/movies", staff_api.StaffMovieViewSet, basename="staff-movie")
staff.register("v1/staff/shows", staff_api.StaffShowViewSet, basename="staff-show")
staff.register("v1/staff/price-cards", staff_api.StaffPriceCardViewSet,
               basename="staff-price-card")
urlpatterns += staff.urls
urlpatterns.append(path("v1/staff/on-sale", staff_api.OnSaleView.as_view(), name="staff-on-sale"))
