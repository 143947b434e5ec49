"""Sending signed electronic documents to the DIAN, storing its answer, and mailing the buyer (issue 11)."""
