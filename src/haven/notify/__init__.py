"""Telling people about their appointments, and that a disclosure notice waits for them: the
outbox, email (SMTP), SMS and iCalendar files."""
