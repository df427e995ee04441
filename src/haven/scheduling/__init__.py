"""Offices, services, resources, availability, appointments, the waitlist and the walk-in
queue, and who is due for shredding (retention)."""
