"""Browser forms of the exchange, one module per area (as views/)."""
