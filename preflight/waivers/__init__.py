"""Waivers: findings a team has accepted, with a reason, a ticket and an expiry date."""
