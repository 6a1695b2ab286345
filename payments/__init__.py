"""Payments: charges and refunds through the payment provider port (filled by the saga issue)."""
