"""Demo data for a development machine: products, users and one order down each saga path.

Not a bounded context: like a test, it drives several contexts through their services.
"""
