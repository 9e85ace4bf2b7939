"""Fake servers on loopback for what leaves the machine (SMS gateway, ...)."""
