"""Source adapters: turn downloads of market data into events."""
