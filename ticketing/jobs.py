"""The periodic jobs, registered once by the apps that own them and read by both runners:
Celery beat in production (``beat_schedule``) and, in zero-setup mode, the web process itself
(``run_due``, from the ASGI lifespan).

A job is idempotent and safe to run in several processes at once; runs may be late or
skipped, so nothing correct may depend on one (an expired hold is expired at read time).
"""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from celery import Task

log = logging.getLogger(__name__)


@dataclass
class Job:
    name: str
    task: Task  # beat sends it by its name; the in-process runner calls it (the same work)
    every: Callable[[], float]  # seconds between runs, read when asked (settings may change)
    last_run: float = field(default=0.0, compare=False)  # in-process runner only (monotonic)


_jobs: dict[str, Job] = {}


def register(*, name: str, task: Task, every: Callable[[], float]) -> None:
    """Called from an app's ``ready()``. Registering the same name again replaces it."""
    _jobs[name] = Job(name=name, task=task, every=every)


def beat_schedule() -> dict[str, dict]:
    """The jobs as Celery beat's schedule."""
    return {job.name: {"task": job.task.name, "schedule": float(job.every())}
            for job in _jobs.values()}


def shortest_interval() -> float:
    return min((job.every() for job in _jobs.values()), default=1.0)


def run_due(now: float | None = None) -> None:
    """Run every job whose interval has passed since its last run here, in registration
    order; one failing job does not stop the others."""
    now = time.monotonic() if now is None else now
    for job in list(_jobs.values()):
        if now - job.last_run < job.every():
            continue
        job.last_run = now
        try:
            result = job.task()
        except Exception:
            log.exception("job %s failed; it runs again in %ss", job.name, job.every())
            continue
        if result:
            log.debug("job %s: %s", job.name, result)
