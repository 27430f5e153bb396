"""Render the confirmation form 《隰县家居消费补贴确认书》 of a sample sale to docs/img (PDF → PNG
with pypdfium2), so we look at what a shop prints. Uses a throw-away SQLite database.

    .venv/bin/python scripts/render_confirmation.py
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAR = Path(tempfile.mkdtemp(prefix="huiquan-pdf-"))
os.environ.update({"HUIQUAN_VAR_DIR": str(VAR), "DATABASE_URL": "",
                   "DJANGO_SETTINGS_MODULE": "huiquan.settings"})

import django  # noqa: E402

django.setup()

import pypdfium2  # noqa: E402
from django.core.management import call_command  # noqa: E402

from huiquan.campaigns.services import confirm_release, receive_funds  # noqa: E402
from huiquan.catalog.services import load_campaign_file  # noqa: E402
from huiquan.consumers import services as consumers  # noqa: E402
from huiquan.consumers.privacy import NOTICE_VERSION  # noqa: E402
from huiquan.consumers.sms import latest_sandbox_message  # noqa: E402
from huiquan.core import clock  # noqa: E402
from huiquan.core.models import User  # noqa: E402
from huiquan.demo import ensure_demo_world  # noqa: E402
from huiquan.merchants.models import MerchantStaff  # noqa: E402
from huiquan.redemptions import pdf  # noqa: E402
from huiquan.redemptions.services import redeem_voucher  # noqa: E402
from huiquan.vouchers import paycode  # noqa: E402
from huiquan.vouchers.services import claim_voucher  # noqa: E402


def main() -> None:
    call_command("migrate", verbosity=0)
    clock.freeze(clock.parse_instant("2024-06-20T09:00:00+08:00"))
    campaign = load_campaign_file(path=ROOT / "campaigns" / "xixian-2024-home.toml").campaign
    ensure_demo_world()
    receive_funds(source=campaign.funding_sources.get(code="city"), amount_fen=360_000_00,
                  reference="临财〔2024〕1号", actor=User.objects.get(username="finance"))
    release = campaign.periods.get(number=1).releases.get(number=1)
    confirm_release(release=release, amount_fen=300_000_00, actor=User.objects.get(username="bureau"))
    clock.freeze(clock.parse_instant("2024-06-21T10:00:05+08:00"))
    consumers.request_otp(phone="13812345678", ip="127.0.0.1")
    code = (latest_sandbox_message("13812345678") or "").split("验证码是 ")[1][:6]
    session = consumers.verify_otp(phone="13812345678", code=code)
    consumers.submit_identity(consumer=session.consumer, real_name="张三",
                              id_number="14103119800101001X", privacy_consent=NOTICE_VERSION)
    session.consumer.refresh_from_db()
    voucher = claim_voucher(consumer=session.consumer, release_id=release.pk, lat=36.08,
                            lng=111.52, coord_system="wgs84")
    clock.freeze(clock.parse_instant("2024-06-22T15:32:10+08:00"))
    staff = MerchantStaff.objects.get(merchant__legal_name__contains="海尔").user
    from huiquan.catalog.models import Kind

    sofa = Kind.objects.get(campaign=campaign, name__startswith="坐卧类")
    staff.merchant_staff.merchant.categories = ["appliance", "furniture"]
    staff.merchant_staff.merchant.save(update_fields=["categories"])
    redemption = redeem_voucher(actor=staff, payment_code=paycode.current_code(voucher), lines=[
        {"gtin": "6900000000014", "quantity": 1, "unit_price_fen": 499_900, "discount_fen": 30_000},
        {"kind_id": sofa.pk, "description": "三人布艺沙发", "quantity": 1, "unit_price_fen": 320_000},
    ])
    data = pdf.confirmation_form(redemption)
    out = ROOT / "docs" / "img"
    (VAR / "confirmation.pdf").write_bytes(data)
    page = pypdfium2.PdfDocument(data)[0]
    page.render(scale=1.6).to_pil().save(out / "confirmation-form.png")
    print(f"{out / 'confirmation-form.png'}（PDF {len(data) // 1024} KiB）")


if __name__ == "__main__":
    main()
