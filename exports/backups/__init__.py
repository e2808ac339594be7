"""Encrypted backups: one consistent snapshot of the database, the export files, the keys
that unlock contact details, and a manifest, in one age-encrypted file (docs/operations.md).

`service` is the entry point (make, restore, verify, prune); the other modules each do one
step and know nothing of the commands that call them.
"""
