"""What the bus tells the operator: Prometheus metrics, OpenTelemetry spans, log context."""
