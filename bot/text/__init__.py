"""Pure text helpers: sentiment, typed survey answers, phone numbers (no I/O, no chat or database imports)."""
