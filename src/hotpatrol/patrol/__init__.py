"""Randomised hotspot patrols: selection, experiment design, schedules, dosage and evaluation."""
