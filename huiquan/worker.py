"""``huiquan worker``: the background-task worker, and ``huiquan tick`` every minute — one
mechanism for scheduled work (issue 12 item 6).

- Tasks go through django-tasks with its database backend (django-tasks-db): no broker to run,
  the same database as everything else. ``run_tick`` is a task like any other; what tick printed
  is the task's result (table ``django_tasks_database_dbtaskresult``).
- Each worker has a scheduler thread that, once a minute of the wall clock, enqueues that
  minute's tick. The task's id is derived from the minute (uuid5), so the queue's primary key
  lets one enqueue succeed and refuses the others: at most one tick per minute, however many
  workers run (two machines, a restart overlapping the old process). A tick still waiting in the
  queue (no worker free) is not queued again. The minute is the wall clock's, not the demo
  clock's: a demo restarted at an earlier demo time must still tick.
- ``--parent PID``: ``huiquan serve`` starts a worker beside gunicorn; the worker stops when its
  parent is gone (within a second), so ``make run`` starts and stops both.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import logging
import os
import signal
import socket
import sys
import threading
import time
import uuid
from contextvars import ContextVar
from datetime import timedelta

from django.db import IntegrityError, connections, transaction
from django.utils import timezone

from huiquan.core import faults

logger = logging.getLogger("huiquan.worker")

_MINUTES = uuid.UUID("6f1d3a52-9c1e-4b7e-8a43-2f0d9e5b7c10")  # namespace of the minutes' ids
_next_id: ContextVar[uuid.UUID | None] = ContextVar("huiquan_next_task_id", default=None)


def task_id() -> uuid.UUID:
    """The id of the next task enqueued (settings.TASKS ``id_function``): the minute's id while
    a tick is scheduled, a random one otherwise."""
    return _next_id.get() or uuid.uuid4()


from django_tasks import TaskResultStatus, task  # noqa: E402  (after task_id: settings name it)


@task()
def run_tick(minute: int) -> str:
    """``huiquan tick`` as a task; what it printed is the result. Fails when tick fails."""
    from huiquan.cli import cmd_tick

    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        code = cmd_tick(argparse.Namespace())
    if code:
        raise RuntimeError(printed.getvalue() or f"tick 以状态 {code} 结束")
    return printed.getvalue()


def minute_now() -> int:
    return int(time.time() // 60)


def schedule_tick(minute: int) -> str:
    """Enqueue this minute's tick. Answers ``scheduled``, ``taken`` (another worker did) or
    ``waiting`` (an earlier tick is still queued)."""
    from django_tasks_db.models import DBTaskResult

    guarded = not faults.guard_off("tick-once-a-minute")
    own = uuid.uuid5(_MINUTES, f"tick:{minute}")
    token = _next_id.set(own if guarded else None)
    try:
        with transaction.atomic():
            if guarded and DBTaskResult.objects.filter(
                    task_path=run_tick.module_path,
                    status=TaskResultStatus.READY).exclude(id=own).exists():
                return "waiting"
            run_tick.enqueue(minute=minute)
    except IntegrityError:
        return "taken"
    finally:
        _next_id.reset(token)
    return "scheduled"


def prune_results() -> int:
    """Tick results are kept a day when they succeeded, a week when they failed; a tick still
    "running" after a day belonged to a worker that died (a tick takes seconds)."""
    from django_tasks_db.models import DBTaskResult

    now = timezone.now()
    ticks = DBTaskResult.objects.filter(task_path=run_tick.module_path)
    done = ticks.filter(status=TaskResultStatus.SUCCESSFUL,
                        finished_at__lt=now - timedelta(days=1)).delete()[0]
    done += ticks.filter(status=TaskResultStatus.RUNNING,
                         started_at__lt=now - timedelta(days=1)).delete()[0]
    return done + ticks.filter(status=TaskResultStatus.FAILED,
                               finished_at__lt=now - timedelta(days=7)).delete()[0]


class Scheduler(threading.Thread):
    """Once a minute: this minute's tick (see the module docstring); watches the parent."""

    def __init__(self, parent: int | None):
        super().__init__(name="huiquan-scheduler", daemon=True)
        self.parent = parent
        self.stopping = threading.Event()

    def run(self) -> None:
        last: int | None = None
        while not self.stopping.is_set():
            if self.parent and os.getppid() != self.parent:
                logger.warning("父进程 %s 已退出：后台任务进程随之停止", self.parent)
                os.kill(os.getpid(), signal.SIGTERM)
                return
            minute = minute_now()
            if minute != last:
                try:
                    outcome = schedule_tick(minute)
                    logger.info("tick minute=%s %s", minute, outcome)
                    last = minute
                    if minute % 60 == 0:
                        prune_results()
                except Exception:  # the database is away: try again in a second
                    logger.exception("tick minute=%s could not be scheduled", minute)
                finally:
                    connections.close_all()  # this thread's own
            self.stopping.wait(1.0)


def run(*, parent: int | None = None, interval: float = 1.0, verbose: bool = False) -> None:
    """The worker's main loop (django-tasks-db's), with the scheduler beside it. Ends on
    SIGTERM/SIGINT once the task in hand is finished."""
    from django_tasks_db.management.commands.db_worker import Worker

    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    for name in ("huiquan.worker", "django_tasks", "django_tasks_db"):
        named = logging.getLogger(name)
        named.addHandler(handler)
        named.setLevel(logging.INFO if verbose else logging.WARNING)
        named.propagate = False
    Scheduler(parent).start()
    worker = Worker(queue_names=["default"], interval=interval, batch=False,
                    backend_name="default", startup_delay=False, max_tasks=None,
                    worker_id=f"{socket.gethostname()[:40]}-{os.getpid()}",
                    excluded_queue_names=[])
    worker.configure_signals()
    worker.run()
