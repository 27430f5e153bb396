"""huiquan (惠券): a government digital consumption-voucher campaign, end to end."""
