"""Hot responses through their DRF serializers, without building the serializers again."""

import threading
from typing import Any

from rest_framework.serializers import BaseSerializer

_local = threading.local()


def represent(serializer_class: type[BaseSerializer], instance: Any, **context: Any) -> Any:
    """What ``serializer_class(instance, context=context).data`` gives, from a serializer
    built once per class and thread. DRF builds a serializer's fields for every instance (a
    ModelSerializer inspects its model and deep-copies each declared field): that was a fifth
    of a hold's CPU on the lean path (docs/performance.md). The kept serializer is handed each
    call's context the way DRF's fields read it (from their root's ``_context``);
    ``to_representation`` runs start to finish on this thread, so no other call sees it."""
    kept = _local.__dict__.setdefault("serializers", {})
    serializer = kept.get(serializer_class)
    if serializer is None:
        serializer = kept[serializer_class] = serializer_class()
    serializer._context = context
    try:
        return serializer.to_representation(instance)
    finally:
        serializer._context = {}
