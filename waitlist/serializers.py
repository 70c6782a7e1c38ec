from rest_framework import serializers

from booking.serializers import GivenToken, HoldSerializer
from waitlist.models import WaitlistEntry


class OfferSerializer(HoldSerializer):
    """The offered hold: the same object as any hold, paid through the normal checkout with
    the entry's token."""

    token = GivenToken(help_text="The entry's token: pay with it through the normal checkout")

    class Meta(HoldSerializer.Meta):
        fields = ["id", "token", *HoldSerializer.Meta.fields[1:]]


class EntrySerializer(serializers.ModelSerializer):
    position = serializers.SerializerMethodField()
    offer = serializers.SerializerMethodField()
    show = serializers.IntegerField(source="show_id")

    class Meta:
        model = WaitlistEntry
        fields = ["id", "show", "state", "position", "party_size", "offer", "joined_at"]

    def get_position(self, entry: WaitlistEntry) -> int | None:
        return entry.position()

    def get_offer(self, entry: WaitlistEntry) -> dict | None:
        if entry.state != WaitlistEntry.State.OFFERED or entry.offer is None:
            return None
        return OfferSerializer(entry.offer, context=self.context).data


class NewEntrySerializer(EntrySerializer):
    token = GivenToken(help_text="Keep it: send it as 'Authorization: Bearer <token>'")

    class Meta(EntrySerializer.Meta):
        fields = ["id", "token", *EntrySerializer.Meta.fields[1:]]


class JoinRequestSerializer(serializers.Serializer):
    party_size = serializers.IntegerField(min_value=1, max_value=10)
