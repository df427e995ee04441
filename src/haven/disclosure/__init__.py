"""The disclosure gateway: agencies, requests, policy evaluation, review, production, accounting."""
