"""The baseline of bench/webhook_load.py: a bare Flask endpoint that reads the body, answers 202."""

from __future__ import annotations

from flask import Flask, Response, jsonify, request

app = Flask("bare")


@app.post("/webhooks/zammad")
def webhook() -> tuple[Response, int]:
    request.get_data()
    return jsonify({"status": "accepted"}), 202


@app.get("/healthz")
def health() -> tuple[Response, int]:
    return jsonify({"status": "ok"}), 200
