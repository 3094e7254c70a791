"""Money: the shipped price table, cost per request and per session turn, quota and metrics."""
