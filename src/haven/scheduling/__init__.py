"""Offices, services, resources, availability and appointments."""
