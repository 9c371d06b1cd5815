"""Zammad: its webhook payload, REST client, Helpdesk, installer and reconcile."""
