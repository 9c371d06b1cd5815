"""django-helpdesk: its webhook payloads, REST client, Helpdesk and install check."""
