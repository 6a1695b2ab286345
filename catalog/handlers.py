"""What the catalog context reacts to: nothing. It only publishes (catalog.events)."""
