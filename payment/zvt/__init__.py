"""ZVT (ECR interface, PA00P015/PA00P016) over a serial line: codecs, transport, adapter.

Layers, bottom up: :mod:`crc` and :mod:`frame` (transport framing, pure),
:mod:`apdu` and :mod:`bmp` (application data units and their fields, pure),
:mod:`messages` (every command and answer declared once, with test vectors),
:mod:`transport` (ACK/NAK and retries over a byte link), :mod:`terminal`
(the :class:`kiosk.ports.PaymentTerminal` adapter with its worker thread).
"""
