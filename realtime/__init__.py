"""Channels, event encoding, the broadcaster wiring and the fan-out to WebSocket subscribers."""
