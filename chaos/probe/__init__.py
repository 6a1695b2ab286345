"""The chaos run's own events: each handled event leaves one row, so a double application shows."""
