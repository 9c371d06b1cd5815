"""The Flask webhook receiver: ``create_app(settings)`` serves POST /webhooks/zammad."""

from webhooks.app import create_app, create_app_from_environment

__all__ = ["create_app", "create_app_from_environment"]
