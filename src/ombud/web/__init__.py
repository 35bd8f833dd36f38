"""What every page shares: security middleware and error pages."""
