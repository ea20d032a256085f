"""What two or more Refinery services share: settings, bus, tiers, ledger helpers, model engines."""
