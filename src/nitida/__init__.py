"""La Oficina Nítida — billing service."""
