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
        given = self.context.get("offers")  # serialized together beforehand (entry_states)
        if given is not None and entry.offer_id in given:
            return given[entry.offer_id]
        return OfferSerializer(entry.offer, context=self.context).data


def entry_states(entries: list[WaitlistEntry], context: dict) -> list[dict]:
    """EntrySerializer's data for many entries, their offers serialized in one go (hundreds
    of offers are made in one round after a bulk expiry)."""
    offers = [entry.offer for entry in entries
              if entry.state == WaitlistEntry.State.OFFERED and entry.offer is not None]
    given = dict(zip([offer.pk for offer in offers],
                     OfferSerializer(offers, many=True, context=context).data, strict=True))
    return list(EntrySerializer(entries, many=True, context={**context, "offers": given}).data)


class NewEntrySerializer(EntrySerializer):
    token = GivenToken(help_text="Keep it: send it as 'Authorization: Bearer <token>'")

    class Meta(EntrySerializer.Meta):
        fields = ["id", "token", *EntrySerializer.Meta.fields[1:]]


class JoinRequestSerializer(serializers.Serializer):
    party_size = serializers.IntegerField(min_value=1, max_value=10)
