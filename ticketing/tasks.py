"""Queueing background work so that a dead broker never breaks what the user asked for."""

import logging

from celery import Task
from celery.signals import before_task_publish, task_postrun, task_prerun

from ticketing.context import request_id

log = logging.getLogger(__name__)


def enqueue(task: Task, *args) -> None:
    """Queue the task; if the broker cannot take it, do the work here and now instead."""
    try:
        task.delay(*args)
    except Exception:
        log.warning("broker unavailable; running %s inline", task.name)
        task(*args)


@before_task_publish.connect
def _carry_request_id(headers=None, **kwargs) -> None:
    if headers is not None:
        headers["request_id"] = request_id.get()


_tokens: dict[str, object] = {}


@task_prerun.connect
def _restore_request_id(task_id=None, task=None, **kwargs) -> None:
    incoming = getattr(task.request, "request_id", None) if task is not None else None
    if incoming:
        _tokens[task_id] = request_id.set(incoming)


@task_postrun.connect
def _forget_request_id(task_id=None, **kwargs) -> None:
    token = _tokens.pop(task_id, None)
    if token is not None:
        request_id.reset(token)
