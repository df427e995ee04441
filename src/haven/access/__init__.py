"""Staff accounts, roles, sign-in and sessions; purpose-bound reads of personal data and the
alerts on unusual ones."""
