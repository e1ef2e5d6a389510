"""The synthetic demo Kelurahan Tamansari."""
