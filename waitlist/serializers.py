from rest_framework import serializers

from booking.serializers import HoldSerializer
from waitlist.models import WaitlistEntry
from waitlist.services import position


class OfferSerializer(HoldSerializer):
    """The offered hold: the same object as any hold, paid through the normal checkout with
    the entry's token."""

    token = serializers.SerializerMethodField()

    class Meta(HoldSerializer.Meta):
        fields = ["id", "token", *HoldSerializer.Meta.fields[1:]]

    def get_token(self, hold) -> str:
        return self.context["token"]


class EntrySerializer(serializers.ModelSerializer):
    position = serializers.SerializerMethodField()
    offer = serializers.SerializerMethodField()
    show = serializers.IntegerField(source="show_id")

    class Meta:
        model = WaitlistEntry
        fields = ["id", "show", "state", "position", "party_size", "offer", "joined_at"]

    def get_position(self, entry: WaitlistEntry) -> int | None:
        return position(entry)

    def get_offer(self, entry: WaitlistEntry) -> dict | None:
        if entry.state != WaitlistEntry.State.OFFERED or entry.offer is None:
            return None
        return OfferSerializer(entry.offer, context=self.context).data


class NewEntrySerializer(EntrySerializer):
    token = serializers.SerializerMethodField()

    class Meta(EntrySerializer.Meta):
        fields = ["id", "token", *EntrySerializer.Meta.fields[1:]]

    def get_token(self, entry) -> str:
        return self.context["token"]


class JoinRequestSerializer(serializers.Serializer):
    party_size = serializers.IntegerField(min_value=1, max_value=10)
