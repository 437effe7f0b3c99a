"""Journeys: measuring moments, sessions and funnels against the simulator\x27s ground truth."""
