"""The release gate's default limit, apart from the pandas code that applies it
(exports/anonymise/disclosure.py), so the services that record a request load no pandas."""

# docs/methods.md 5.6: a release passes when the expected re-identifications per record
# (ER/n) are at most 1 % (sdcMicro's default).
MAX_GLOBAL_RISK = 0.01
