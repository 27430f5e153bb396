"""Settlement benchmark (issue 14, "done when"). Never part of `make test`.

On a scratch database (SQLite, or PostgreSQL with --postgres): the shipped campaign, release 1
funded, 7 approved shops and N (default 10,000) completed, approved sales spread over them,
written in bulk (the till and the review have their own tests; a benchmark needs many sales),
with the ledger booking each shop's subsidy as owed to it, as the till does. Then finance's steps
are timed — the run, its approval, the bank file (xlsx and CSV), the bank's answer — and the
queries of each merchant's part of the run are counted: they do not grow with its number of
sales (tests/settlement/test_queries.py pins them). Finally `huiquan reconcile` must be green.

    .venv/bin/python bench/settle.py                 # SQLite
    .venv/bin/python bench/settle.py --postgres      # PostgreSQL
    .venv/bin/python bench/settle.py --record        # also append to bench/RESULTS.md
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from claim_rush import funded_campaign, scratch_env, verified_consumers

ROOT = Path(__file__).resolve().parent.parent
SHOPS = 7
PRICE_FEN = 20_000  # 200 yuan: subsidy 10% = 2,000 fen; 10,000 sales = 200,000 yuan of 300,000


def world(n_sales: int) -> tuple[Any, list[Any], list[Any]]:
    """The campaign, its 7 shops, two finance officers; ``n_sales`` approved sales."""
    campaign, bureau = funded_campaign(scratch)  # Django set up and migrated first
    from django.db import transaction
    from stdnum.cn import uscc

    from huiquan.campaigns.selectors import funding_sources
    from huiquan.campaigns.services import confirm_release
    from huiquan.core import clock
    from huiquan.core.models import User
    from huiquan.core.roles import Role
    from huiquan.ledger.models import TxKind
    from huiquan.ledger.scopes import payable, release_pool
    from huiquan.ledger.services import transfer
    from huiquan.merchants.models import Merchant, MerchantState
    from huiquan.redemptions.models import Redemption, RedemptionState
    from huiquan.verification.models import Submission, SubmissionState
    from huiquan.vouchers.models import Voucher

    release = campaign.periods.get(number=1).releases.get(number=1)
    confirm_release(release=release, amount_fen=300_000_00, actor=bureau)
    clock.freeze(clock.parse_instant("2024-06-21T10:30:00+08:00"))
    now = clock.now()
    finance = [User.objects.create_user(username=f"bench-fin-{i}", role=Role.FINANCE)
               for i in (1, 2)]
    shops = []
    for i in range(SHOPS):
        body = f"91141031MA0B{i:05d}"[:17]
        shops.append(Merchant.objects.create(
            campaign=campaign, legal_name=f"隰县基准测试商行{i + 1}", uscc=body + uscc.calc_check_digit(body),
            categories=["appliance"], scale="individual", bank_name="中国建设银行隰县支行",
            bank_account_name=f"隰县基准测试商行{i + 1}", bank_account=f"62170000{i:08d}",
            state=MerchantState.APPROVED, created_at=now))
    verified_consumers(n_sales, now)
    from huiquan.consumers.models import Consumer

    consumers = list(Consumer.objects.order_by("pk"))
    vouchers = Voucher.objects.bulk_create([
        Voucher(consumer=c, release=release, campaign=campaign, claimed_at=now,
                valid_until=now + timedelta(days=5), used_at=now, paycode_secret="bench",
                paycode_handle=100_000 + i) for i, c in enumerate(consumers)], batch_size=2000)
    subsidy = PRICE_FEN // 10
    splits: list[dict[str, int]] = [{} for _ in vouchers]
    with transaction.atomic():  # each shop's subsidy owed to it, by source, as the till books it
        for n, shop in enumerate(shops):
            mine = list(range(n, len(vouchers), SHOPS))
            tx = transfer(campaign=campaign, kind=TxKind.REDEEM, source_scope=release_pool(release),
                          dest_scope=payable(shop.pk), amount=len(mine) * subsidy,
                          sources=funding_sources(campaign), release=release,
                          memo=f"基准测试：{shop.legal_name} {len(mine)} 笔核销")
            left = [(str(a.source_id), fen) for a, fen in tx.posted if fen > 0]
            for i in mine:  # each sale's share, taken from the shop's split in order
                need = subsidy
                while need:
                    sid, fen = left[0]
                    take = min(need, fen)
                    splits[i][sid] = splits[i].get(sid, 0) + take
                    need -= take
                    left[0] = (sid, fen - take)
                    if left[0][1] == 0:
                        left.pop(0)
    sales = Redemption.objects.bulk_create([
        Redemption(campaign=campaign, release=release, voucher=v, consumer_id=v.consumer_id,
                   merchant=shops[i % SHOPS], staff=bureau, state=RedemptionState.COMPLETED,
                   total_final_fen=PRICE_FEN, eligible_final_fen=PRICE_FEN,
                   subsidy_fen=subsidy, consumer_pays_fen=PRICE_FEN - subsidy,
                   subsidy_by_source=splits[i], payment_key=f"bench-{i}",
                   created_at=now, completed_at=now)
        for i, v in enumerate(vouchers)], batch_size=2000)
    # What the claims and the payment provider would have recorded (their reconcile checks).
    from huiquan.campaigns.models import Release
    from huiquan.redemptions.models import SandboxPayment

    Release.objects.filter(pk=release.pk).update(voucher_count=n_sales, remaining_count=0)
    SandboxPayment.objects.bulk_create([
        SandboxPayment(key=s.payment_key, kind="charge", amount_fen=s.consumer_pays_fen,
                       state="succeeded", reference=f"ref-{s.pk}", created_at=now)
        for s in sales], batch_size=2000)
    Submission.objects.bulk_create([
        Submission(redemption=s, merchant_id=s.merchant_id, campaign=campaign,
                   state=SubmissionState.APPROVED, version=1, due_at=now + timedelta(days=15),
                   created_at=now, submitted_at=now, decided_at=now, approved_at=now,
                   invoice_date=date(2024, 6, 21)) for s in sales], batch_size=2000)
    return campaign, shops, finance


def measure(n_sales: int) -> dict[str, Any]:
    campaign, _shops, (creator, approver) = world(n_sales)  # sets Django up first
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from huiquan.reconcile import reconcile
    from huiquan.settlement import bankfiles, services
    from tests.settlement.support import answer

    per_merchant: list[int] = []
    real = services._settle_merchant

    def counted(**kwargs: Any) -> Any:
        with CaptureQueriesContext(connection) as queries:
            result = real(**kwargs)
        per_merchant.append(len(queries))
        return result

    services._settle_merchant = counted  # type: ignore[assignment]
    out: dict[str, Any] = {"sales": n_sales, "shops": SHOPS}
    with CaptureQueriesContext(connection) as total:
        t0 = time.perf_counter()
        run = services.run_settlement(campaign=campaign, actor=creator)
        out["run_s"] = time.perf_counter() - t0
    out["run_queries"] = len(total)
    out["queries_per_merchant"] = per_merchant
    t0 = time.perf_counter()
    services.approve_run(run=run, actor=approver)
    bank_file = bankfiles.export_run(run=run, actor=approver)
    xlsx, csv = bankfiles.as_xlsx(bank_file), bankfiles.as_csv(bank_file)
    out["export_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    bankfiles.import_answer(run=run, name="answer.csv", data=answer(bank_file), actor=approver)
    out["answer_s"] = time.perf_counter() - t0
    run.refresh_from_db()
    out.update(state=run.state, payout_fen=run.payout_fen, sale_count=run.sale_count,
               xlsx_bytes=len(xlsx), csv_bytes=len(csv))
    t0 = time.perf_counter()
    rec = reconcile(campaign)
    out["reconcile_s"] = time.perf_counter() - t0
    out["reconcile"] = "green" if rec.ok else rec.table()
    return out


def main() -> int:
    global scratch
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--sales", type=int, default=10_000)
    parser.add_argument("--record", action="store_true")
    args = parser.parse_args()
    _, scratch = scratch_env(False)
    if args.postgres:  # its own database: other benchmarks may be running on huiquan_bench
        import psycopg

        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres",
                             autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS huiquan_bench_settle WITH (FORCE)")
            conn.execute("CREATE DATABASE huiquan_bench_settle")
        scratch["DATABASE_URL"] = "postgresql://postgres@127.0.0.1:5432/huiquan_bench_settle"
    sys.path.insert(0, str(ROOT))
    out = measure(args.sales)
    import django
    from django.db import connection

    database = "PostgreSQL" if args.postgres else "SQLite (WAL)"
    version = (connection.Database.sqlite_version if connection.vendor == "sqlite"
               else connection.pg_version)
    lines = [
        f"### settle — {database} — {date.today().isoformat()}", "",
        f"Python {platform.python_version()}, Django {django.get_version()}, "
        f"{connection.vendor} {version}, "
        f"2 cores; {out['sales']} approved sales of {out['shops']} shops.", "",
        "| measure | value |", "|---|---|",
        f"| settlement run (collect, mark settled, lines, ledger) | {out['run_s']:.2f} s |",
        f"| queries of the run, total | {out['run_queries']} |",
        f"| queries per merchant (each shop's part) | {out['queries_per_merchant']} |",
        f"| approve + bank file + xlsx and CSV | {out['export_s']:.2f} s "
        f"({out['xlsx_bytes']} / {out['csv_bytes']} bytes) |",
        f"| bank answer imported | {out['answer_s']:.2f} s |",
        f"| run state, sales, paid | {out['state']}, {out['sale_count']}, "
        f"{out['payout_fen'] // 100} yuan |",
        f"| huiquan reconcile | {out['reconcile']} ({out['reconcile_s']:.2f} s) |", ""]
    print("\n".join(lines))
    if args.record:
        with (ROOT / "bench" / "RESULTS.md").open("a", encoding="utf-8") as f:
            f.write("\n" + "\n".join(lines))
    ok = out["reconcile"] == "green" and len(set(out["queries_per_merchant"])) == 1
    return 0 if ok else 1


scratch: dict[str, str] = {}

if __name__ == "__main__":
    sys.exit(main())
