"""Payment codes of 18 digits (issue 11): each voucher gets a random handle, unique, that names it in
its code instead of its sequential id. Vouchers already claimed get theirs here."""

import secrets

from django.db import migrations, models

LOW, HIGH = 10**7, 10**8  # huiquan.vouchers.paycode.HANDLE_LOW / HANDLE_HIGH


def draw_handles(apps, schema_editor):  # type: ignore[no-untyped-def]
    Voucher = apps.get_model("vouchers", "Voucher")
    taken: set[int] = set()
    for voucher in Voucher.objects.order_by("pk").only("pk"):
        handle = LOW + secrets.randbelow(HIGH - LOW)
        while handle in taken:
            handle = LOW + secrets.randbelow(HIGH - LOW)
        taken.add(handle)
        Voucher.objects.filter(pk=voucher.pk).update(paycode_handle=handle)


class Migration(migrations.Migration):
    dependencies = [("vouchers", "0002_voucher_consumer_no_own_index")]

    operations = [
        migrations.AddField(model_name="voucher", name="paycode_handle",
                            field=models.IntegerField(null=True)),
        migrations.RunPython(draw_handles, migrations.RunPython.noop),
        migrations.AlterField(model_name="voucher", name="paycode_handle",
                              field=models.IntegerField(unique=True)),
    ]
