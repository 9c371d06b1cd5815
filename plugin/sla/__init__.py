"""The SLA clock's lifecycle: started, paused while the client owes us information,
resumed or restarted, warned, breached or met (SPEC §2, "Waiting for the client,
reminders, warnings"). ``record`` is the per-ticket history, ``clock`` the pure
decisions over it; reading and writing the helpdesk and the store live elsewhere."""
