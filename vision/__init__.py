"""squatcheck: a squat and knee-valgus screening engine (MediaPipe pose → NumPy geometry)."""

__version__ = "0.3.0"
