"""A child process of test_crashes.py: one sale, one return or one tick on the test database,
dying where ``HUIQUAN_TEST_CRASH_AT`` names (huiquan/core/faults.py).

    python -m tests.redemptions.crash_child sale STAFF_ID VOUCHER_ID PRICE_FEN
    python -m tests.redemptions.crash_child return STAFF_ID REDEMPTION_ID
    python -m tests.redemptions.crash_child tick
"""

from __future__ import annotations

import os
import sys

AIRCON_GTIN = "6900000000014"  # the sample register's grade-1 air conditioner


def main(argv: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "huiquan.settings")
    import django

    django.setup()
    from huiquan.core.errors import DomainError
    from huiquan.core.models import User

    what, *numbers = argv
    ids = [int(n) for n in numbers]
    try:
        if what == "sale":
            from huiquan.redemptions.services import redeem_voucher
            from huiquan.vouchers import paycode
            from huiquan.vouchers.models import Voucher

            staff, voucher_id, price = ids
            voucher = Voucher.objects.get(pk=voucher_id)
            redeem_voucher(actor=User.objects.get(pk=staff),
                           payment_code=paycode.current_code(voucher),
                           lines=[{"gtin": AIRCON_GTIN, "quantity": 1, "unit_price_fen": price}],
                           idempotency_key="crash-test")
        elif what == "return":
            from huiquan.redemptions.returns import return_goods

            staff, redemption_id = ids
            return_goods(actor=User.objects.get(pk=staff), redemption_id=redemption_id,
                         items=None, reason="崩溃测试")
        else:
            from huiquan.cli import main as cli

            return cli(["tick"])
    except DomainError as exc:
        print(f"{exc.code}: {exc.message}", file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
