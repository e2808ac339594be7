"""Free-text answers: scrubbed of names, addresses and contacts once, stored, reviewed.

See docs/free-text.md.
"""
