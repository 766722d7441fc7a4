"""tapecheck's event store: an append-only, bitemporal log on Delta Lake."""
