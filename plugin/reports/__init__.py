"""Reports built from what ticket-warden records: SLA compliance per client and tier."""
