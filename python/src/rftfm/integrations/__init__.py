"""Trainer integrations: `rftfm.integrations.trl` (transformers / TRL / ms-swift) and
`rftfm.integrations.verl` (verl's tracking loggers)."""
