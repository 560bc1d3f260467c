"""Mail to participants: queued in the caller's transaction, sent later by the tick."""
