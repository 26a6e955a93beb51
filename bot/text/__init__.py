"""Pure text helpers: sentiment, triage (complaint, question, request, praise, chatter), typed
survey answers, phone numbers, amounts.

No I/O, no chat or database imports.
"""
