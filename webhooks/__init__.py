"""The Flask webhook receiver (POST /webhooks/zammad) lives here; see the receiver issue."""
