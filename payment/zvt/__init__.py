"""ZVT (ECR interface, PA00P015/PA00P016) over a serial line: codecs, transport, adapter.

Layers, bottom up: :mod:`crc` and :mod:`frame` (transport framing, pure),
:mod:`apdu` and :mod:`bmp` (application data units and their fields, pure),
:mod:`messages` (every command and answer declared once, with test vectors),
:mod:`timing` (every wait, from T3/T4 and the measured pace, pure),
:mod:`transport` (ACK/NAK and retries over a byte link), :mod:`session` (one
command: accepted or not, settled on the final status, aborted), :mod:`state`
(capabilities and evidence on disk), :mod:`terminal` (the
:class:`kiosk.ports.PaymentTerminal` adapter with its worker thread).
"""
