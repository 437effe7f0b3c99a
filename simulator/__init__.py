"""The 360Connect channel simulator: realistic landing data with ground truth kept aside."""

from simulator.config import SimulationConfig, SimulationSummary
from simulator.engine import OutputNotEmptyError, simulate

__all__ = ["OutputNotEmptyError", "SimulationConfig", "SimulationSummary", "simulate"]
