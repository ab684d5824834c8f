"""Signals of contacts for the apps above them, which contacts cannot import."""

from django.dispatch import Signal

# Sent inside the merge's transaction, after every reference to the dropped contact points at the
# kept one: `keep` (the Contact) and `dropped_id`. Apps that keep figures about a contact's rows
# (the deal counts) count them again.
merged = Signal()
