"""ticket-warden: a chat-free policy bot for helpdesks."""

__version__ = "0.1.0"
