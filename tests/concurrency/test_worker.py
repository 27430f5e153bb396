"""``huiquan worker`` runs tick by itself, once a minute however many workers run, and
``huiquan serve`` starts one and stops it with itself (issue 12 item 6). Real processes on the
test database; the tests wait on what the processes do (with a timeout), never on the clock."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
from pathlib import Path
from typing import Any

import pytest

from huiquan.redemptions.models import Redemption, RedemptionState
from tests.merchant_fixtures import aircon, redeem_at
from tests.processes import PYTHON, ROOT, child_env, gone, stop, wait_for
from tests.redemptions.test_payment_faults import price_paying

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]

TICK = "huiquan.worker.run_tick"
ATTEMPT = re.compile(r"tick minute=(\d+) (\w+)")


def start(tmp_path: Path, name: str, *argv: str, **env: str) -> tuple[Any, Path]:
    log = tmp_path / f"{name}.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([PYTHON, "-m", "huiquan.cli", *argv], cwd=ROOT, stdout=out,
                                stderr=subprocess.STDOUT, env=child_env(tmp_path, **env))
    return proc, log


def ticks(minute: int | None = None) -> list[Any]:
    from django_tasks_db.models import DBTaskResult

    rows = list(DBTaskResult.objects.filter(task_path=TICK))
    return [r for r in rows if minute is None or r.args_kwargs["kwargs"]["minute"] == minute]


def test_the_worker_runs_tick_by_itself(shop, holder, clock, tmp_path):  # type: ignore[no-untyped-def]
    """A sale left pending is finished by the worker's tick without anyone pressing a button."""
    sale = redeem_at(shop, holder().voucher, [aircon(price_paying(55))])
    assert sale.state == RedemptionState.PENDING
    clock.advance(minutes=3)  # the worker's clock starts here
    worker, log = start(tmp_path, "worker", "worker")
    try:
        done = wait_for(lambda: [t for t in ticks() if t.status == "SUCCESSFUL"], timeout=90,
                        what="the worker to run tick")
        assert "处理 1 笔待确认的支付/退款" in done[0].return_value
        assert Redemption.objects.get(pk=sale.pk).state == RedemptionState.COMPLETED
    finally:
        stop(worker)
    assert worker.returncode == 0, log.read_text()[-2000:]


@pytest.mark.parametrize("guarded", [True, False], ids=["guarded", "guard-off"])
def test_two_workers_run_one_tick_a_minute(tmp_path, guarded, db):  # type: ignore[no-untyped-def]
    """Both workers try to schedule the same minute; the queue's key lets one through. With the
    guard off (test-only switch) both get through: the twin shows the race is real."""
    off = {} if guarded else {"HUIQUAN_TEST_GUARD_OFF": "tick-once-a-minute"}
    started = [start(tmp_path, f"worker{i}", "worker", "-v", **off) for i in (1, 2)]
    logs = [log for _, log in started]
    try:
        def common_minute() -> int | None:
            tried = [{int(m) for m, _ in ATTEMPT.findall(log.read_text())} for log in logs]
            both = tried[0] & tried[1]
            return min(both) if both else None

        minute = wait_for(common_minute, timeout=150, what="both workers to try one minute")
        outcomes = sorted(outcome for log in logs for m, outcome in ATTEMPT.findall(
            log.read_text()) if int(m) == minute)
        rows = wait_for(lambda: all(t.status == "SUCCESSFUL" for t in ticks(minute))
                        and ticks(minute), timeout=60, what="that minute's ticks to run")
    finally:
        for proc, _ in started:
            stop(proc)
    if guarded:
        assert len(rows) == 1, outcomes
        assert outcomes.count("scheduled") == 1 and outcomes.count("taken") == 1
    else:
        assert len(rows) == 2 and outcomes == ["scheduled", "scheduled"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_starts_a_worker_and_stops_it_with_itself(tmp_path, db):  # type: ignore[no-untyped-def]
    server, log = start(tmp_path, "serve", "serve", "--port", str(_free_port()), "--workers", "1")
    worker_pid = 0
    try:
        first = wait_for(lambda: [t for t in ticks() if t.status == "SUCCESSFUL"], timeout=120,
                         what="the server's worker to run tick")[0]
        worker_pid = int(first.worker_ids[0].rsplit("-", 1)[1])
        assert worker_pid != server.pid and not gone(worker_pid)
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        wait_for(lambda: gone(worker_pid), timeout=30, what="the worker to stop with the server")
    finally:
        stop(server)
        if worker_pid and not gone(worker_pid):
            os.kill(worker_pid, signal.SIGKILL)
    assert "后台任务进程已启动" in log.read_text()
