"""《隰县家居消费补贴确认书》: the signed confirmation of one sale (R-DOC-1), as a PDF.

fpdf2 embeds a subset of Noto Sans CJK SC shipped with the code (fonts/, SIL OFL 1.1), so the
form renders the same on any machine and any viewer, with no system font needed."""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF
from fpdf.enums import WrapMode
from fpdf.fonts import FontFace

from huiquan.core import clock
from huiquan.core.money import format_yuan
from huiquan.redemptions.models import Redemption

FONT = Path(__file__).resolve().parent / "fonts" / "NotoSansSC-subset.otf"


def _masked_name(name: str) -> str:
    return (name[0] + "*" * (len(name) - 1)) if name else "—"


def _masked_phone(phone: str) -> str:
    return f"{phone[:3]}****{phone[-4:]}" if len(phone) == 11 else "—"


def confirmation_form(redemption: Redemption) -> bytes:
    campaign = redemption.campaign
    merchant = redemption.merchant
    consumer = redemption.consumer
    title = (campaign.config.get("documents", {}).get("confirmation_form_title")
             or "家居消费补贴确认书")
    pdf = FPDF(format="A4")
    pdf.set_title(title)
    pdf.set_creator("huiquan 惠券")
    pdf.add_font("cjk", "", str(FONT))
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.add_page()
    pdf.set_font("cjk", size=18)
    pdf.cell(0, 12, title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=9)
    pdf.cell(0, 6, f"{campaign.title or campaign.name}　编号：HQ-{redemption.pk:08d}", align="C",
             new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font("cjk", size=10.5)
    when = clock.local(redemption.completed_at or redemption.created_at)
    rows = [
        ("商户名称", merchant.legal_name, "统一社会信用代码", merchant.uscc),
        ("经营地址", merchant.address, "核销时间", f"{when:%Y-%m-%d %H:%M:%S}"),
        ("消费者姓名", _masked_name(consumer.real_name), "身份证号", consumer.id_masked),
        ("手机号", _masked_phone(consumer.phone), "支付流水号", redemption.payment_reference or "—"),
    ]
    # Cells wrap (by character: Chinese has no spaces) instead of clipping: a long shop name or
    # model number is printed whole, on as many lines as it needs (issue 16).
    with pdf.table(col_widths=(26, 64, 35, 65), width=190, first_row_as_headings=False,
                   text_align="LEFT", wrapmode=WrapMode.CHAR, line_height=6,
                   padding=(1, 1.5)) as table:
        for row in rows:
            table.row(list(row))
    pdf.ln(4)
    with pdf.table(col_widths=(70, 32, 14, 26, 22, 26), width=190, wrapmode=WrapMode.CHAR,
                   text_align=("LEFT", "LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT"),
                   headings_style=FontFace(emphasis="", fill_color=(245, 235, 235)),
                   line_height=6, padding=(1, 1.5)) as table:
        table.row(["商品", "商品条码", "数量", "单价(元)", "优惠(元)", "成交价(元)"])
        for line in redemption.lines.all():
            table.row([line.description + ("" if line.eligible else "（不补贴）"),
                       line.gtin or "—", str(line.quantity), format_yuan(line.unit_price_fen),
                       format_yuan(line.discount_fen), format_yuan(line.final_fen)])
    pdf.ln(3)
    totals = [("成交总价", redemption.total_final_fen),
              ("其中补贴商品成交价（剔除全部折扣优惠后）", redemption.eligible_final_fen),
              (f"补贴金额（{campaign.subsidy_rate_percent}%，单笔最高 "
               f"{format_yuan(campaign.subsidy_cap_fen)} 元）", redemption.subsidy_fen),
              ("消费者实付", redemption.consumer_pays_fen)]
    for label, amount in totals:
        pdf.cell(140, 8, label, border=1)
        pdf.cell(0, 8, f"¥{format_yuan(amount)}", border=1, align="R", new_x="LMARGIN",
                 new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("cjk", size=10)
    pdf.multi_cell(0, 6, (
        "本人确认：上述商品为本人在该商户实际购买，成交价格真实，已享受政府消费券补贴；"
        "如发生退货，退款不含补贴金额，消费券不予退还，本次活动使用名额视同已使用。"
        "商户确认：所售商品符合活动补贴范围，票据、支付凭证与本确认书一致。"))
    pdf.ln(10)
    pdf.set_font("cjk", size=11)
    pdf.cell(95, 10, "消费者（签字）：____________________")
    pdf.cell(0, 10, "日期：________年____月____日", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.cell(95, 10, "商户（盖章）：____________________")
    pdf.cell(0, 10, "经办人（签字）：______________", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(8)
    pdf.set_font("cjk", size=8)
    pdf.set_text_color(110, 110, 110)
    pdf.multi_cell(0, 5, f"由 huiquan 惠券平台生成于 {clock.local(clock.now()):%Y-%m-%d %H:%M}；"
                   f"核销编号 HQ-{redemption.pk:08d} 可在平台核对。")
    return bytes(pdf.output())
