"""Reading what clients write: word classes, phrases and the subject model, kept as data."""
