"""The admin console at ``/admin``: what ticket-warden decided and why, the policy, a
trial ticket, the SLA compliance report and the last backtest, in a browser."""

from __future__ import annotations

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from plugin.runtime import Runtime
from webhooks.admin.auth import configure_sessions
from webhooks.admin.views import CONSOLE, Console, admin

csrf = CSRFProtect()


def install_console(
    app: Flask, runtime: Runtime, *, token: bytes | None, token_file: str | None = None
) -> CSRFProtect:
    """Mount the console on ``app``, signed in with ``token`` (None: nobody can sign in).

    Returns the CSRF guard, which checks every POST of the app: the caller exempts
    the routes that are not forms (the webhooks, signed or tokened instead).
    """
    configure_sessions(app, token, secure_cookie=runtime.settings.admin_secure_cookie)
    app.extensions[CONSOLE] = Console(runtime, token_file=token_file)
    app.register_blueprint(admin)
    csrf.init_app(app)
    return csrf
