"""The DIAN's vocabulary every domain speaks, below them all (it imports only core): code lists (DANE
municipalities, CIIU, postal codes, responsibilities, units, note concepts), the fiscal field types, identity
documents and NIT check digits, and the kinds of things (electronic status, note kind, environment, person type,
payment form)."""
