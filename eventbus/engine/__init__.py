"""The engine: ``publish`` into the outbox, and the workers' relay, claim and handling of deliveries."""
