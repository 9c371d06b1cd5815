"""Zammad: its webhook payload and (later) its REST API."""
