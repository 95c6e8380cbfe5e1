"""The outside world: Salesforce, Rocketlane, the store, Redis, telemetry."""
