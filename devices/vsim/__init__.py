"""A virtual SIM for tests and demos.

:mod:`devices.vsim.card` is a pure card model (files of a UICC and of a GSM
SIM, faults on demand); :mod:`devices.vsim.vpcd` connects it to a real pcscd
through the vsmartcard ``vpcd`` driver's socket protocol. The simulated reader
backend (:mod:`devices.card.simulated`) reuses the card model without a socket.

Run one from a shell: ``python -m devices.vsim --port 35963 --profile tmobile``.
"""

from devices.vsim.card import PROFILES, CardOptions, SimProfile, VirtualSim

__all__ = ["PROFILES", "CardOptions", "SimProfile", "VirtualSim"]
