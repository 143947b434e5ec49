"""Receivables (cartera): ageing, statements, payments and the monthly summary, as JSON, CSV or XLSX."""
