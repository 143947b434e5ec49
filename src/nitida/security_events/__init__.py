"""Security events: user administration and every login, for the tenant's ADMIN."""
