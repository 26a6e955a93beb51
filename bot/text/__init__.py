"""Pure text helpers: sentiment, typed survey answers, phone numbers, amounts.

No I/O, no chat or database imports.
"""
