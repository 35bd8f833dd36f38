"""Ombud: confidential misconduct reporting and case management."""
