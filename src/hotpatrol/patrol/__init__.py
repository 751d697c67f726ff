"""Randomised hotspot patrols: selection, the allocation plan, dosage (GPS and logs) and compliance."""
