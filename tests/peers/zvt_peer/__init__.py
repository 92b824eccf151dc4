"""An independent ZVT payment terminal (the "PT" side) for testing the kiosk's ZVT driver.

Written from the ZVT specification alone ("ECR-Interface ZVT-Protocol", PA00P016 rev. 04 for the
transport and the master/slave rules, PA00P015 rev. 13.x "Commands, Bitmaps, Error Messages" for the
messages), never from the kiosk's own driver or emulator, so that the two do not merely agree with
each other. Where the spec text was not at hand, byte layouts were checked against public
implementations (read, not copied): ecrterm (CRC start value, BMP lengths), EVerest zvt
(``packets.rs``: Status Information, Completion after Status Enquiry, TLV tags 1F40-1F44, E4, 26,
1F07, 25/07/09), Portalum.Zvt (TLV tag 26 permitting 06 D3; 06 D1 attribute bits).

The line: ``os.openpty()`` in raw mode; the slave's path is published as a symlink (``link``) that
the ECR opens, e.g. with pyserial ``serial_for_url(link, 9600, stopbits=2)``. Byte timing is as
fast as the pty unless ``byte_time_s`` is set (0.00115 s = 11 bits at 9600 Bd).

What it speaks (spec sections in the code):
- Transport (PA00P016 ch. 3): ``DLE STX apdu DLE ETX crc-lo crc-hi``, DLE doubled, CRC-CCITT
  reflected (0x8408, start 0) over APDU+ETX; a good frame is answered DLE ACK (10 06), a bad one
  NAK (15); the terminal's own frames are repeated on NAK or after T3 (``ack_timeout_s``, 5 s), at
  most ``tries`` (3) times, then it gives up and goes idle.
- APDUs ``CLASS INSTR LEN`` with the long form ``FF lo hi`` (PA00P016 ch. 4).
- Master/slave (PA00P016 ch. 4): the ECR is master and sends a command; the terminal answers
  80 00 (accepted) or 84 xx (refused) and, for commands with a result, becomes master: it sends
  Intermediate Status 04 FF (only when the registration's config byte has bit 3), Status
  Information 04 0F, print lines 06 D1 / text blocks 06 D3, and ends with Completion 06 0F or
  Abort 06 1E, each answered by the ECR with 80 00 (84 9C to a 04 0F asks for it again). While the
  terminal is master the only command it takes is Abort 06 B0; any other gets 84 A0.
- Commands: Registration 06 00 (password, config byte, currency, BMP 03, TLV 06 with tag 26 =
  permitted commands; answered 80 00 then 06 0F with 19 status byte, 29 TID, 49 CC if the ECR sent
  one; wrong CC 84 6F), Authorization 06 01 (BMP 04 amount, 49 currency), Reversal 06 30 (BMP 87;
  without it the last payment; only within the open batch: B5 otherwise, B4 when done before),
  Refund 06 31, Abort 06 B0, End of Day 06 50 (04 0F with 04 total and 60 single totals, then a new
  batch), Diagnosis 06 70, Status Enquiry 05 01, Repeat Receipt 06 20 (the last payment/end of day
  again: 04 0F, receipt, 06 0F), Log-off 06 02 (80 00, registration forgotten). Unknown commands:
  84 83. With ``require_registration`` (default) payment commands before a registration get 84 6B.
- Status Information 04 0F of a payment: 27 result code, 04 amount, 0B trace, 0C time, 0D date,
  0E expiry, 22 masked PAN (E nibbles), 29 TID, 2A VU number, 3B AID, 49 currency, 87 receipt,
  88 turnover number, 8A card type, 8B card name. Amounts with a 0x10 byte exercise DLE doubling.
- Receipts (``receipt_mode``): ``auto`` prints as the registration asks: 06 D3 when TLV tag 26
  permits it, else 06 D1 when config bit 7 and bit 1 (payment) / bit 2 (administration) are set;
  ``lines``, ``block``, ``both``, ``none`` force a way. ``receipt_lines`` long receipts make the
  06 D3 block use the long length form.

The journal: every approval, decline, reversal, refund, abort and end-of-day batch is a JSON line,
fsync'd before the ECR is told about it (``journal.py``; ``standing_charges``, ``net_cents``,
``batch_totals`` compute what the terminal says the customers were charged).

Faults (``faults.py``), each a rule with ``times`` = N (default 1) or ``"always"``; set them with
``peer.faults.add(name, times=..., **params)`` / ``peer.faults.clear()`` in-process, or in the control
file ``{"faults": [{"name": ..., "times": ..., ...}], "settings": {...}}`` which is re-read whenever its
mtime changes (the file states the whole fault set: rewriting it restarts the counts; ``write_control``
writes one atomically):
- ``silence`` (stage, [command], seconds=3600): the terminal stops reading and writing at the stage;
  any change of the fault set, or the time running out, wakes it idle. Stages: before_ack,
  after_ack, card, pin, host, after_booking (journaled, 04 0F not sent), after_status (04 0F
  answered, receipt/06 0F not sent), before_completion (receipt sent, 06 0F not).
- ``disconnect`` (stage, [command], reappear_s=1.0): closes the pty and removes the link; a new pty
  appears under the same link after ``reappear_s``.
- ``register_after_reconnect``: after the next reappearance the registration is forgotten.
- ``completion_lost`` ([command], then=idle|silent, seconds): no 06 0F after an approved 04 0F and
  receipt; the terminal goes idle (takes commands) or silent.
- ``crc_error``: the terminal's next frame goes out with a broken CRC (the ECR should NAK; the
  terminal repeats it). ``junk`` (data hex): bytes on the line before the terminal's next frame.
  ``nak``: the terminal NAKs the ECR's next frame whatever it holds.
- ``busy`` ([command], code=A0): the command is answered 84 A0 (or 84 9C).
- ``decline`` (command=0601, code=05, layout=status_then_abort|abort_only): the payment is declined:
  04 0F with result code then 06 1E code (or only 06 1E).
- ``pace`` (seconds=3): every message from the terminal at least that long after its previous one
  (also the ``pace_s`` setting / ``--pace-s``).
- ``no_repeat_receipt``: 06 20 answered 84 83.
- ``status_layout`` (layout): the Status Enquiry answer: ``completion_version`` (06 0F with the
  software version as LLLVAR, the terminal status byte, 29 TID), ``status_info`` (04 0F with 27 and
  19 status byte, then 06 0F), ``tlv`` (06 0F with a TLV container: 1F44 TID, E4 {1F40 name,
  1F41 version, 1F43 status}).
- ``unknown_message`` (stage=after_booking, [command], kind=unknown|undecodable, apdu hex): the
  terminal sends a message the ECR cannot know (04 EE) or cannot decode (04 0F with a cut BMP 04).
- ``abort`` (mode=honour|refuse|ignore, idle_answer=8000): how 06 B0 is treated. Honoured while
  the card/PIN/host steps run: 80 00, then 06 1E 6C; refused (or after the booking): 84 83;
  ignored: only DLE ACK. 06 B0 while idle is answered ``idle_answer`` (80 00 by default).

Not a fault but a terminal's own doing: ``peer.close_batch()`` settles the day without an ECR command
(auto end-of-day), so reversals of earlier payments answer B5 from then on (a refund is needed).

Readings of the spec that were ambiguous, and the one implemented:
- The Registration currency code has no BMP number; it is taken as present when the bytes after the
  config byte do not parse as BMP 03/06 (currencies 03xx/06xx are therefore ambiguous).
- A wrong password, missing amount or unknown receipt answers with the generic 84 83 / 06 1E B5.
- A reversal gets its own receipt and trace number in its 04 0F (BMP 87 is the new receipt).
- 06 B0 while idle: 80 00 (nothing to abort) rather than 84 83; configurable.
- An ECR answer 84 xx other than 84 9C to a 04 0F is taken as received (no automatic reversal).
- After 06 B0 is honoured the terminal first answers 80 00, then sends 06 1E 6C.

Use in pytest::

    with ZvtPeer(tmp_path / "pt", tmp_path / "journal.jsonl") as pt:
        pt.faults.add("silence", stage="after_booking")
        ...  # the ECR opens str(tmp_path / "pt")

As a process: ``python -m tests.peers.zvt_peer --link PATH --journal FILE --control FILE
[--pace-s 3]`` prints ``{"event": "ready", "link": PATH, "pid": N}`` and runs until SIGTERM.
"""

from .faults import FAULTS, STAGES, FaultError, Faults, write_control
from .journal import Charge, Journal, batch_totals, net_cents, read_journal, standing_charges
from .terminal import PeerSettings, ZvtPeer

__all__ = [
    "FAULTS",
    "STAGES",
    "Charge",
    "FaultError",
    "Faults",
    "Journal",
    "PeerSettings",
    "ZvtPeer",
    "batch_totals",
    "net_cents",
    "read_journal",
    "standing_charges",
    "write_control",
]
