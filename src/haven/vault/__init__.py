"""Personal data: envelope encryption under per-person keys, blind indexes, shredding."""
