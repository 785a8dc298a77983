"""Prometheus metrics at `/metrics`, for the operators' scraper inside the network only."""
