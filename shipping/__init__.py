"""Shipping: shipments through the carrier port (filled by the saga issue)."""
