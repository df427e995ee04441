"""Telling people about their appointments: email (SMTP), SMS and iCalendar files."""
