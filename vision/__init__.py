"""squatcheck: a squat and knee-valgus screening engine (MediaPipe pose → NumPy geometry)."""

__version__ = "0.2.0"
