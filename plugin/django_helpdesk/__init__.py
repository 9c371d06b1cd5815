"""django-helpdesk: its webhook payloads (and, to come, its REST API)."""
