"""Orders: the order aggregate and its side of the saga (filled by the saga issue)."""
