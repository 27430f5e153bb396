"""The worker's scheduling, in process (the real-process tests are in
tests/concurrency/test_worker.py): one tick per minute, no pile-up, old results pruned."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from huiquan.worker import prune_results, run_tick, schedule_tick

pytestmark = pytest.mark.django_db


def _ticks():  # type: ignore[no-untyped-def]
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(task_path=run_tick.module_path)


def test_a_minute_is_scheduled_once():  # type: ignore[no-untyped-def]
    assert schedule_tick(1000) == "scheduled"
    assert schedule_tick(1000) == "taken"
    assert _ticks().count() == 1


def test_a_tick_still_queued_holds_the_next_minute_back():  # type: ignore[no-untyped-def]
    assert schedule_tick(1000) == "scheduled"
    assert schedule_tick(1001) == "waiting"
    _ticks().update(status="SUCCESSFUL", finished_at=timezone.now())
    assert schedule_tick(1001) == "scheduled"


def test_old_results_are_pruned():  # type: ignore[no-untyped-def]
    for minute in (1, 2, 3, 4):
        _ticks().update(status="SUCCESSFUL", finished_at=timezone.now())
        schedule_tick(minute)
    old = timezone.now() - timedelta(days=2)
    rows = sorted(_ticks(), key=lambda r: r.args_kwargs["kwargs"]["minute"])
    _ticks().filter(pk=rows[0].pk).update(status="SUCCESSFUL", finished_at=old)
    _ticks().filter(pk=rows[1].pk).update(status="FAILED", finished_at=old)  # kept a week
    _ticks().filter(pk=rows[2].pk).update(status="RUNNING", started_at=old)  # a dead worker's
    assert prune_results() == 2
    assert set(_ticks().values_list("status", flat=True)) == {"FAILED", "READY"}
