from rest_framework import serializers

from waitingroom.services import Status


class RoomSerializer(serializers.Serializer):
    """A show's waiting room, as anyone may see it."""

    show = serializers.IntegerField(source="pk")
    opens_at = serializers.DateTimeField()
    on_sale_at = serializers.DateTimeField(source="show.on_sale_at")
    state = serializers.CharField(help_text="not_open, open (waiting for the on-sale time), "
                                  "letting_in, sold_out or closed")
    commitment = serializers.CharField(help_text="SHA-256 of the seed, published in advance")
    seed = serializers.CharField(allow_null=True, help_text="published at the on-sale time")
    waiting = serializers.IntegerField()
    admitted = serializers.IntegerField()
    choosing_now = serializers.IntegerField()
    rate_per_minute = serializers.FloatField(allow_null=True,
                                             help_text="let in per minute, as measured")
    fairness = serializers.CharField(help_text="the fairness report's address")


class VisitorSerializer(serializers.Serializer):
    """A visitor's receipt and what happens next."""

    public_id = serializers.CharField(source="visitor.public_id")
    show = serializers.IntegerField(source="visitor.room_id")
    joined_at = serializers.DateTimeField(source="visitor.joined_at")
    place = serializers.IntegerField(source="visitor.place", allow_null=True)
    log_record = serializers.IntegerField(
        source="visitor.log_record", allow_null=True,
        help_text="the number of the fairness log's record of your joining")
    state = serializers.CharField(
        help_text="before_opening, waiting, your_turn (hold seats with this token), "
        "pass_used, pass_expired, pass_left, left or sold_out")
    ahead = serializers.IntegerField(allow_null=True, help_text="people ahead in line")
    wait_seconds = serializers.IntegerField(
        allow_null=True, help_text="estimated from the measured rate; null: too early to say")
    pass_expires_at = serializers.DateTimeField(allow_null=True)


class JoinedSerializer(VisitorSerializer):
    token = serializers.CharField(read_only=True, default=None,
                                  help_text="your place, and your pass once let in")


def visitor_state(status: Status, **extra) -> dict:
    return {"type": "room", **VisitorSerializer(status).data, **extra}
