"""Self-tests of the ZVT terminal peer, driven by a minimal ECR written here from the spec.

The ECR below has its own frame encoder/decoder (its CRC goes through ``binascii.crc_hqx`` on
bit-reversed bytes, a different road to CRC-16/KERMIT than the peer's) and opens the link with
pyserial ``serial_for_url`` at 9600 8N2, as the kiosk does. Nothing here imports the kiosk's
payment package.
"""

from __future__ import annotations

import binascii
import itertools
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import serial

from tests.peers.zvt_peer import (
    FaultError,
    Faults,
    PeerSettings,
    ZvtPeer,
    batch_totals,
    net_cents,
    read_journal,
    standing_charges,
    write_control,
)
from tests.peers.zvt_peer.codec import crc16

ROOT = Path(__file__).resolve().parents[2]
DLE, STX, ETX, ACK, NAK = 0x10, 0x02, 0x03, 0x06, 0x15


def _rev8(b: int) -> int:
    return int(f"{b:08b}"[::-1], 2)


def kermit(data: bytes) -> int:
    """CRC-16/KERMIT as bit-reversed CRC-16/XMODEM (binascii.crc_hqx)."""
    x = binascii.crc_hqx(bytes(_rev8(b) for b in data), 0)
    return int(f"{x:016b}"[::-1], 2)


def ecr_frame(apdu: bytes, *, bad_crc: bool = False) -> bytes:
    crc = kermit(apdu + bytes([ETX])) ^ (0xFFFF if bad_crc else 0)
    stuffed = b"".join(bytes([b, b]) if b == DLE else bytes([b]) for b in apdu)
    return bytes([DLE, STX]) + stuffed + bytes([DLE, ETX]) + crc.to_bytes(2, "little")


def apdu(cls: int, instr: int, data: bytes = b"") -> bytes:
    if len(data) < 255:
        return bytes([cls, instr, len(data)]) + data
    return bytes([cls, instr, 0xFF]) + len(data).to_bytes(2, "little") + data


def apdu_data(raw: bytes) -> bytes:
    if raw[2] == 0xFF:
        assert int.from_bytes(raw[3:5], "little") == len(raw) - 5
        return raw[5:]
    assert raw[2] == len(raw) - 3, raw.hex(" ")
    return raw[3:]


def bmps(data: bytes) -> dict[int, bytes]:
    """The fixed/LL/LLL BMPs a Status Information of this peer carries (PA00P015 ch. 9)."""
    fixed = {
        0x04: 6,
        0x0B: 3,
        0x0C: 3,
        0x0D: 2,
        0x0E: 2,
        0x19: 1,
        0x27: 1,
        0x29: 4,
        0x2A: 15,
        0x3B: 8,
        0x49: 2,
        0x87: 2,
        0x88: 3,
        0x8A: 1,
    }
    out: dict[int, bytes] = {}
    i = 0
    while i < len(data):
        n = data[i]
        i += 1
        if n in fixed:
            out[n] = data[i : i + fixed[n]]
            i += fixed[n]
        elif n in (0x22, 0x8B, 0x60):
            digits = 3 if n == 0x60 else 2
            length = int("".join(str(b & 0x0F) for b in data[i : i + digits]))
            out[n] = data[i + digits : i + digits + length]
            i += digits + length
        else:
            raise AssertionError(f"unexpected BMP {n:02X} in {data.hex(' ')}")
    return out


class Silent(Exception):
    pass


class MiniEcr:
    """Just enough of an ECR (PA00P016): frames, ACK/NAK, and the master/slave turns."""

    def __init__(self, link: Path) -> None:
        self.ser = serial.serial_for_url(str(link), baudrate=9600, stopbits=2, timeout=0.05)
        self.buf = bytearray()
        self.log: list[tuple[str, bytes]] = []  # ("frame"|"bad"|"ack"|"nak"|"noise", bytes) received

    def close(self) -> None:
        self.ser.close()

    def _fill(self, deadline: float) -> bool:
        while time.monotonic() < deadline:
            data = self.ser.read(self.ser.in_waiting or 1)
            if data:
                self.buf += data
                return True
        return False

    def next_event(self, timeout: float = 3.0) -> tuple[str, bytes]:
        deadline = time.monotonic() + timeout
        while True:
            event = self._parse()
            if event:
                self.log.append(event)
                return event
            if not self._fill(deadline):
                raise Silent(f"nothing from the terminal within {timeout} s")

    def _parse(self) -> tuple[str, bytes] | None:
        b = self.buf
        while b:
            if b[0] == NAK:
                del b[0]
                return ("nak", b"")
            if b[0] != DLE:
                junk = bytes([b.pop(0)])
                self.log.append(("noise", junk))
                continue
            if len(b) < 2:
                return None
            if b[1] == ACK:
                del b[:2]
                return ("ack", b"")
            if b[1] != STX:
                self.log.append(("noise", bytes([b.pop(0)])))
                continue
            out = bytearray()
            i = 2
            while i + 1 < len(b):
                if b[i] == DLE and b[i + 1] == DLE:
                    out.append(DLE)
                    i += 2
                elif b[i] == DLE and b[i + 1] == ETX:
                    if i + 3 >= len(b):
                        return None
                    crc = b[i + 2] | b[i + 3] << 8
                    del b[: i + 4]
                    good = crc == kermit(bytes(out) + bytes([ETX]))
                    return ("frame" if good else "bad", bytes(out))
                elif b[i] == DLE:  # a DLE that is neither doubled nor DLE ETX breaks the frame
                    del b[: i + 1]
                    return ("bad", bytes(out))
                else:
                    out.append(b[i])
                    i += 1
            return None
        return None

    def send(self, raw: bytes, *, bad_crc: bool = False, tries: int = 3, timeout: float = 2.0) -> None:
        """Send an APDU and wait for DLE ACK, repeating on NAK (PA00P016 ch. 3.2.3)."""
        for _ in range(tries):
            self.ser.write(ecr_frame(raw, bad_crc=bad_crc))
            kind, _ = self.next_event(timeout)
            if kind == "ack":
                return
            assert kind == "nak", kind
        raise AssertionError("terminal never acknowledged")

    def receive(self, timeout: float = 3.0) -> bytes:
        """The next good frame from the terminal, acknowledged; bad ones are NAKed."""
        while True:
            kind, data = self.next_event(timeout)
            if kind == "frame":
                self.ser.write(bytes([DLE, ACK]))
                return data
            if kind == "bad":
                self.ser.write(bytes([NAK]))

    def answer(self, raw: bytes = b"\x80\x00\x00") -> None:
        self.send(raw)

    def run(self, command: bytes, timeout: float = 3.0, *, until_completion: bool = True) -> list[bytes]:
        """Send a command and play slave until Completion / Abort; every terminal message answered 80 00."""
        self.send(command)
        first = self.receive(timeout)
        messages = [first]
        if first[:1] != b"\x80" or not until_completion:
            return messages
        while True:
            msg = self.receive(timeout)
            messages.append(msg)
            self.answer()
            if msg[:2] in (b"\x06\x0f", b"\x06\x1e"):
                return messages


def registration(config: int = 0x8E, currency: bytes | None = b"\x08\x40", tlv: bytes = b"") -> bytes:
    data = bytes.fromhex("000000") + bytes([config]) + (currency or b"") + tlv
    return apdu(0x06, 0x00, data)


def authorization(cents: int) -> bytes:
    return apdu(0x06, 0x01, b"\x04" + bytes.fromhex(f"{cents:012d}") + b"\x49\x08\x40")


def status_info(messages: list[bytes]) -> dict[int, bytes]:
    (si,) = [m for m in messages if m[:2] == b"\x04\x0f"]
    return bmps(apdu_data(si))


@pytest.fixture
def peer(tmp_path: Path) -> Iterator[ZvtPeer]:
    settings = PeerSettings(card_s=0.02, pin_s=0.02, host_s=0.02, ack_timeout_s=0.5, answer_timeout_s=1.0)
    with ZvtPeer(tmp_path / "pt", tmp_path / "journal.jsonl", settings=settings) as pt:
        yield pt


@pytest.fixture
def ecr(peer: ZvtPeer) -> Iterator[MiniEcr]:
    e = MiniEcr(peer.link)
    yield e
    e.close()


def register(ecr: MiniEcr, config: int = 0x8E, tlv: bytes = b"") -> list[bytes]:
    msgs = ecr.run(registration(config, tlv=tlv))
    assert msgs[0] == b"\x80\x00\x00"
    assert msgs[-1][:2] == b"\x06\x0f"
    return msgs


# --- codec --------------------------------------------------------------------------------------


def test_both_crc_roads_agree_with_the_catalogue_check_value() -> None:
    assert kermit(b"123456789") == 0x2189 == crc16(b"123456789")


# --- registration, payment, reversal --------------------------------------------------------------


def test_registration_answers_80_00_then_completion_with_tid_and_currency(peer: ZvtPeer, ecr: MiniEcr) -> None:
    msgs = register(ecr)
    completion = apdu_data(msgs[-1])
    assert completion == b"\x19\x00\x29" + bytes.fromhex("52000001") + b"\x49\x08\x40"
    assert peer.session.registered and peer.session.config == 0x8E


def test_a_bare_ack_from_the_ecr_is_taken_like_dle_ack(peer: ZvtPeer, ecr: MiniEcr) -> None:
    """Serial ECRs in the field acknowledge with a bare 06 (ecrterm, zvtlib): no repeat, no give-up."""
    ecr.send(registration())
    assert ecr.next_event()[1] == b"\x80\x00\x00"
    ecr.ser.write(bytes([ACK]))
    completion = ecr.receive()
    assert completion[:2] == b"\x06\x0f"
    ecr.answer()
    assert [m for m in ecr.log if m == ("frame", b"\x80\x00\x00")] == [("frame", b"\x80\x00\x00")]
    assert peer.session.registered


def test_wrong_currency_is_refused_84_6f(ecr: MiniEcr) -> None:
    assert ecr.run(registration(currency=b"\x09\x78")) == [b"\x84\x6f\x00"]


def test_payment_before_registration_is_refused(ecr: MiniEcr) -> None:
    assert ecr.run(authorization(500)) == [b"\x84\x6b\x00"]


def test_approved_payment_is_journaled_and_reported(peer: ZvtPeer, ecr: MiniEcr) -> None:
    register(ecr)
    msgs = ecr.run(authorization(1000))  # 00 00 00 00 10 00: a DLE inside the amount
    kinds = [m[:2].hex() for m in msgs]
    assert kinds[0] == "8000"
    assert kinds.count("04ff") == 3  # config bit 3: insert card, PIN, host
    assert "06d1" in kinds and kinds[-1] == "060f"
    si = status_info(msgs)
    assert si[0x27] == b"\x00" and si[0x04] == bytes.fromhex("000000001000")
    assert si[0x22] == bytes.fromhex("476173EEEEEE0119") and si[0x8B] == b"VISA" and si[0x49] == b"\x08\x40"
    (charge,) = standing_charges(peer.records())
    assert charge.amount_cents == 1000 and charge.receipt_no == int(si[0x87].hex())
    assert charge.trace_no == int(si[0x0B].hex())


def test_declined_payment_status_then_abort(peer: ZvtPeer, ecr: MiniEcr) -> None:
    register(ecr)
    peer.faults.add("decline", code=0x05)
    msgs = ecr.run(authorization(2500))
    assert status_info(msgs)[0x27] == b"\x05"
    assert msgs[-1] == b"\x06\x1e\x01\x05"
    assert standing_charges(peer.records()) == []
    assert [r["kind"] for r in peer.records()] == ["decline"]


def test_decline_abort_only_layout(peer: ZvtPeer, ecr: MiniEcr) -> None:
    register(ecr)
    peer.faults.add("decline", code=0x05, layout="abort_only")
    msgs = ecr.run(authorization(2500))
    assert not [m for m in msgs if m[:2] == b"\x04\x0f"] and msgs[-1] == b"\x06\x1e\x01\x05"


def test_reversal_by_receipt_number_cancels_the_charge(peer: ZvtPeer, ecr: MiniEcr) -> None:
    register(ecr)
    receipt = status_info(ecr.run(authorization(700)))[0x87]
    msgs = ecr.run(apdu(0x06, 0x30, bytes.fromhex("000000") + b"\x87" + receipt))
    assert status_info(msgs)[0x27] == b"\x00" and msgs[-1][:2] == b"\x06\x0f"
    assert standing_charges(peer.records()) == [] and net_cents(peer.records()) == 0
    again = ecr.run(apdu(0x06, 0x30, bytes.fromhex("000000") + b"\x87" + receipt))
    assert again[-1] == b"\x06\x1e\x01\xb4"  # already reversed


def test_terminal_closing_its_own_batch_refuses_later_reversals(peer: ZvtPeer, ecr: MiniEcr) -> None:
    register(ecr)
    receipt = status_info(ecr.run(authorization(700)))[0x87]
    closed = peer.close_batch()
    assert closed["kind"] == "end_of_day" and closed["batch"] == 1 and closed["charged_cents"] == 700
    late = ecr.run(apdu(0x06, 0x30, bytes.fromhex("000000") + b"\x87" + receipt))
    assert late[-1] == b"\x06\x1e\x01\xb5"
    assert standing_charges(peer.records())[0].amount_cents == 700
    assert status_info(ecr.run(authorization(100)))[0x27] == b"\x00"
    assert peer.records()[-1]["batch"] == 2


def test_refund_is_journaled(peer: ZvtPeer, ecr: MiniEcr) -> None:
    register(ecr)
    msgs = ecr.run(apdu(0x06, 0x31, bytes.fromhex("000000") + b"\x04" + bytes.fromhex("000000000300")))
    assert status_info(msgs)[0x27] == b"\x00"
    assert net_cents(peer.records()) == -300


# --- repeat receipt, end of day, status enquiry, diagnosis, log-off ---------------------------------


def test_repeat_receipt_supported_and_not(peer: ZvtPeer, ecr: MiniEcr) -> None:
    register(ecr)
    first = status_info(ecr.run(authorization(1234)))
    again = ecr.run(apdu(0x06, 0x20, bytes.fromhex("000000")))
    assert status_info(again)[0x87] == first[0x87] and again[-1][:2] == b"\x06\x0f"
    peer.faults.add("no_repeat_receipt", times="always")
    assert ecr.run(apdu(0x06, 0x20, bytes.fromhex("000000"))) == [b"\x84\x83\x00"]


def test_end_of_day_reports_the_batch_totals(peer: ZvtPeer, ecr: MiniEcr) -> None:
    register(ecr)
    ecr.run(authorization(1000))
    receipt = status_info(ecr.run(authorization(250)))[0x87]
    ecr.run(authorization(4000))
    ecr.run(apdu(0x06, 0x30, bytes.fromhex("000000") + b"\x87" + receipt))
    msgs = ecr.run(apdu(0x06, 0x50, bytes.fromhex("000000")))
    si = status_info(msgs)
    assert si[0x04] == bytes.fromhex("000000005000")
    single = si[0x60]
    visa = single[4 + 4 * 7 : 4 + 5 * 7]  # fifth slot: count (binary) + turnover (6 BCD)
    assert visa == b"\x02" + bytes.fromhex("000000005000")
    assert batch_totals(peer.records(), 1)["net_cents"] == 5000
    eod = [r for r in peer.records() if r["kind"] == "end_of_day"]
    assert eod[0]["total_cents"] == 5000
    # the closed batch can no longer be reversed
    late = ecr.run(apdu(0x06, 0x30, bytes.fromhex("000000") + b"\x87" + bytes.fromhex("0001")))
    assert late[-1] == b"\x06\x1e\x01\xb5"


@pytest.mark.parametrize("layout", ["completion_version", "status_info", "tlv"])
def test_status_enquiry_layouts(peer: ZvtPeer, ecr: MiniEcr, layout: str) -> None:
    peer.faults.add("status_layout", layout=layout)
    msgs = ecr.run(apdu(0x05, 0x01, bytes.fromhex("000000")))
    assert msgs[0] == b"\x80\x00\x00"
    completion = apdu_data(msgs[-1])
    if layout == "completion_version":
        assert completion[:3] == bytes.fromhex("F0F1F2") and completion[3:15] == b"ZVT-PEER 1.0"
        assert completion[15] == 0x00 and completion[16] == 0x29
    elif layout == "status_info":
        si = apdu_data(msgs[1])
        assert msgs[1][:2] == b"\x04\x0f" and bmps(si)[0x19] == b"\x00" and completion == b""
    else:
        assert completion[0] == 0x06 and b"\x1f\x43\x01\x00" in completion and b"ZVT-PEER 1.0" in completion


def test_diagnosis_and_log_off(peer: ZvtPeer, ecr: MiniEcr) -> None:
    register(ecr)
    msgs = ecr.run(apdu(0x06, 0x70))
    assert msgs[0] == b"\x80\x00\x00" and apdu_data(msgs[-1])[:2] == b"\x19\x00"
    assert ecr.run(apdu(0x06, 0x02), until_completion=False) == [b"\x80\x00\x00"]
    assert ecr.run(authorization(100)) == [b"\x84\x6b\x00"]  # registration forgotten


def test_text_block_when_registration_permits_06_d3_with_long_length(peer: ZvtPeer, ecr: MiniEcr) -> None:
    peer.settings.receipt_lines = 30
    permit = b"\x06\x06\x26\x04\x0a\x02\x06\xd3"  # TLV: tag 26 { 0A 06D3 }
    register(ecr, config=0x06, tlv=permit)
    msgs = ecr.run(authorization(100))
    (block,) = [m for m in msgs if m[:2] == b"\x06\xd3"]
    assert block[2] == 0xFF  # over 254 data bytes: FF lo hi
    assert b"\x1f\x07\x01\x02" in block and b"PAYMENT" in block
    assert not [m for m in msgs if m[:2] in (b"\x06\xd1", b"\x04\xff")]


def test_unknown_command_answered_84_83(ecr: MiniEcr) -> None:
    assert ecr.run(apdu(0x08, 0x99)) == [b"\x84\x83\x00"]


# --- faults on the wire ----------------------------------------------------------------------------


def _silence_stage(peer: ZvtPeer, ecr: MiniEcr, stage: str) -> list[bytes]:
    """Messages seen until the terminal falls silent at ``stage``."""
    peer.faults.add("silence", stage=stage)
    seen: list[bytes] = []
    ecr.ser.write(ecr_frame(authorization(900)))
    try:
        while True:
            msg = ecr.receive(timeout=0.6)
            seen.append(msg)
            if msg[:1] not in (b"\x80", b"\x84"):
                ecr.answer()
    except Silent:
        pass
    return seen


@pytest.mark.parametrize(
    ("stage", "last_seen", "booked"),
    [
        ("before_ack", None, False),
        ("after_ack", None, False),
        ("card", "04ff", False),
        ("pin", "04ff", False),
        ("host", "04ff", False),
        ("after_booking", "04ff", True),
        ("after_status", "040f", True),
        ("before_completion", "06d1", True),
    ],
)
def test_silence_at_every_stage(peer: ZvtPeer, ecr: MiniEcr, stage: str, last_seen: str | None, booked: bool) -> None:
    register(ecr)
    mark = len(ecr.log)
    seen = _silence_stage(peer, ecr, stage)
    assert (seen[-1][:2].hex() if seen else None) == last_seen
    if stage in ("before_ack", "after_ack"):
        assert [k for k, _ in ecr.log[mark:]] == ([] if stage == "before_ack" else ["ack"])
    assert peer.state == "silent"
    assert bool(standing_charges(peer.records())) is booked
    peer.faults.clear()  # any change wakes the terminal
    assert peer.wait_state("idle", 2)
    assert ecr.run(apdu(0x05, 0x01, bytes.fromhex("000000")))[-1][:2] == b"\x06\x0f"


@pytest.mark.parametrize(
    "stage", ["before_ack", "after_ack", "card", "pin", "host", "after_booking", "after_status", "before_completion"]
)
def test_disconnect_and_reappear_under_the_same_link(peer: ZvtPeer, ecr: MiniEcr, stage: str) -> None:
    register(ecr)
    peer.faults.add("disconnect", stage=stage, reappear_s=0.3)
    peer.faults.add("register_after_reconnect")
    with pytest.raises((serial.SerialException, Silent, OSError)):
        ecr.send(authorization(400))
        while True:
            msg = ecr.receive(timeout=1.0)
            if msg[:1] not in (b"\x80", b"\x84"):
                ecr.answer()
    assert peer.wait_state("disconnected", 1) or peer.wait_state("idle", 1)
    assert peer.wait_state("idle", 3) and peer.link.exists()
    ecr.close()
    again = MiniEcr(peer.link)
    try:
        assert again.run(authorization(400)) == [b"\x84\x6b\x00"]  # registration required again
        register(again)
        assert again.run(authorization(400))[-1][:2] == b"\x06\x0f"
    finally:
        again.close()
    booked_before_loss = stage in ("after_booking", "after_status", "before_completion")
    assert len(standing_charges(peer.records())) == int(booked_before_loss) + 1


@pytest.mark.parametrize("then", ["idle", "silent"])
def test_completion_lost_after_approved_status(peer: ZvtPeer, ecr: MiniEcr, then: str) -> None:
    register(ecr)
    peer.faults.add("completion_lost", then=then)
    with pytest.raises(Silent):
        _ = ecr.run(authorization(1500), timeout=0.6)
    assert any(m[:2] == b"\x04\x0f" for _, m in ecr.log if m)
    assert len(standing_charges(peer.records())) == 1
    enquiry = apdu(0x05, 0x01, bytes.fromhex("000000"))
    if then == "idle":
        assert ecr.run(enquiry)[-1][:2] == b"\x06\x0f"
    else:
        ecr.ser.write(ecr_frame(enquiry))
        with pytest.raises(Silent):
            ecr.next_event(0.5)


def test_crc_error_is_repeated_after_nak(peer: ZvtPeer, ecr: MiniEcr) -> None:
    peer.faults.add("crc_error", times=2)
    msgs = ecr.run(apdu(0x05, 0x01, bytes.fromhex("000000")))
    assert msgs[0] == b"\x80\x00\x00"
    bad = [d for k, d in ecr.log if k == "bad"]
    assert bad == [b"\x80\x00\x00", b"\x80\x00\x00"]


def test_junk_between_frames_is_skipped(peer: ZvtPeer, ecr: MiniEcr) -> None:
    peer.faults.add("junk", times="always", data="FF 00 55")
    register(ecr)
    noise = b"".join(d for k, d in ecr.log if k == "noise")
    assert noise.startswith(b"\xff\x00\x55")


def test_terminal_naks_the_ecr_frame_and_takes_the_repeat(peer: ZvtPeer, ecr: MiniEcr) -> None:
    peer.faults.add("nak", times=2)
    register(ecr)
    assert [k for k, _ in ecr.log[:3]] == ["nak", "nak", "ack"]
    assert peer.session.registered


def test_terminal_naks_a_bad_crc_from_the_ecr(ecr: MiniEcr) -> None:
    ecr.ser.write(ecr_frame(registration(), bad_crc=True))
    assert ecr.next_event()[0] == "nak"


@pytest.mark.parametrize("code", [0xA0, 0x9C])
def test_busy_for_the_first_attempts(peer: ZvtPeer, ecr: MiniEcr, code: int) -> None:
    peer.faults.add("busy", times=2, code=code)
    assert ecr.run(registration()) == [bytes([0x84, code, 0x00])]
    assert ecr.run(registration()) == [bytes([0x84, code, 0x00])]
    assert ecr.run(registration())[-1][:2] == b"\x06\x0f"


def test_pacing_spaces_every_terminal_message(peer: ZvtPeer, ecr: MiniEcr) -> None:
    peer.settings.pace_s = 0.15
    peer.settings.receipt_lines = 2
    register(ecr)
    stamps: list[float] = []
    ecr.send(authorization(100))
    while True:
        msg = ecr.receive(timeout=2.0)
        stamps.append(time.monotonic())
        if msg[:1] == b"\x80":
            continue
        ecr.answer()
        if msg[:2] == b"\x06\x0f":
            break
    gaps = [b - a for a, b in itertools.pairwise(stamps)]
    assert len(gaps) >= 5 and min(gaps) >= 0.1  # receive-side jitter; unpaced gaps are a few ms


def test_unknown_and_undecodable_messages_are_sent(peer: ZvtPeer, ecr: MiniEcr) -> None:
    register(ecr)
    peer.faults.add("unknown_message", stage="after_booking")
    peer.faults.add("unknown_message", stage="after_status", kind="undecodable")
    msgs = ecr.run(authorization(100))
    kinds = [m[:2].hex() for m in msgs]
    assert "04ee" in kinds and kinds.index("04ee") < kinds.index("040f")
    assert msgs[kinds.index("040f") + 1] == bytes.fromhex("040F0427000400")
    assert kinds[-1] == "060f"


def test_abort_honoured_while_waiting_for_card(peer: ZvtPeer, ecr: MiniEcr) -> None:
    peer.settings.card_s = 2.0
    register(ecr, config=0x86)  # no intermediate status
    ecr.send(authorization(100))
    assert ecr.receive() == b"\x80\x00\x00"
    time.sleep(0.1)
    ecr.send(apdu(0x06, 0xB0))
    assert ecr.receive() == b"\x80\x00\x00"
    assert ecr.receive() == b"\x06\x1e\x01\x6c"
    ecr.answer()
    assert [r["kind"] for r in peer.records()] == ["abort"]


def test_abort_refused(peer: ZvtPeer, ecr: MiniEcr) -> None:
    peer.settings.card_s = 0.5
    peer.faults.add("abort", mode="refuse")
    register(ecr, config=0x86)
    ecr.send(authorization(100))
    assert ecr.receive() == b"\x80\x00\x00"
    ecr.send(apdu(0x06, 0xB0))
    assert ecr.receive() == b"\x84\x83\x00"
    while ecr.receive()[:2] != b"\x06\x0f":
        ecr.answer()
    ecr.answer()
    assert len(standing_charges(peer.records())) == 1


def test_repeat_statusinfo_on_84_9c(peer: ZvtPeer, ecr: MiniEcr) -> None:
    register(ecr, config=0x86)
    ecr.send(authorization(100))
    assert ecr.receive() == b"\x80\x00\x00"
    first = ecr.receive()
    assert first[:2] == b"\x04\x0f"
    ecr.answer(b"\x84\x9c\x00")
    assert ecr.receive() == first
    ecr.answer()


def test_control_file_and_process_entry(tmp_path: Path) -> None:
    link, journal, control = tmp_path / "pt", tmp_path / "j.jsonl", tmp_path / "control.json"
    control.write_text(json.dumps({"faults": [{"name": "busy", "times": 1, "code": 0x9C}]}))
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.peers.zvt_peer",
            "--link",
            str(link),
            "--journal",
            str(journal),
            "--control",
            str(control),
            "--pace-s",
            "0",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        ready = json.loads(proc.stdout.readline())
        assert ready == {"event": "ready", "link": str(link), "pid": proc.pid}
        ecr = MiniEcr(link)
        try:
            assert ecr.run(registration()) == [b"\x84\x9c\x00"]
            register(ecr)
            write_control(control, [{"name": "decline", "code": 0x05}], {"host_s": 0.01})
            time.sleep(0.3)
            assert ecr.run(authorization(100))[-1] == b"\x06\x1e\x01\x05"
        finally:
            ecr.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    assert [r["kind"] for r in read_journal(journal)] == ["decline"]
    assert not link.exists()


def test_journal_is_written_before_the_status_information(peer: ZvtPeer, ecr: MiniEcr) -> None:
    register(ecr, config=0x86)
    ecr.send(authorization(321))
    assert ecr.receive() == b"\x80\x00\x00"
    assert ecr.receive()[:2] == b"\x04\x0f"
    # not yet answered: the booking must already be on disk
    lines = peer.journal.path.read_text().splitlines()
    assert json.loads(lines[-1])["kind"] == "approval" and json.loads(lines[-1])["amount_cents"] == 321
    ecr.answer()


def test_no_thread_left_behind(tmp_path: Path) -> None:
    before = set(threading.enumerate())
    with ZvtPeer(tmp_path / "pt", tmp_path / "j.jsonl"):
        pass
    assert set(threading.enumerate()) <= before
    assert not os.path.lexists(tmp_path / "pt")


def test_unacknowledged_frame_is_repeated_then_given_up(peer: ZvtPeer, ecr: MiniEcr) -> None:
    """T3 (PA00P016 ch. 3.2.6): no DLE ACK from the ECR, the terminal repeats; after 3 tries it is idle."""
    ecr.ser.write(ecr_frame(apdu(0x05, 0x01, bytes.fromhex("000000"))))
    seen = []
    with pytest.raises(Silent):
        while True:
            seen.append(ecr.next_event(1.0))  # never acknowledged
    assert seen == [("ack", b"")] + [("frame", b"\x80\x00\x00")] * 3
    assert peer.wait_state("idle", 1)


def test_abort_ignored_gets_only_the_byte_ack(peer: ZvtPeer, ecr: MiniEcr) -> None:
    peer.settings.card_s = 0.4
    peer.faults.add("abort", mode="ignore")
    register(ecr, config=0x86)
    ecr.send(authorization(100))
    assert ecr.receive() == b"\x80\x00\x00"
    ecr.send(apdu(0x06, 0xB0))  # DLE ACK only
    assert ecr.receive()[:2] == b"\x04\x0f"  # the payment goes on


def test_abort_while_idle_answers_80_00(ecr: MiniEcr) -> None:
    assert ecr.run(apdu(0x06, 0xB0), until_completion=False) == [b"\x80\x00\x00"]


def test_byte_timing_at_9600_8n2(peer: ZvtPeer, ecr: MiniEcr) -> None:
    peer.settings.byte_time_s = 11 / 9600
    msgs = ecr.run(apdu(0x05, 0x01, bytes.fromhex("000000")))
    assert msgs[0] == b"\x80\x00\x00" and msgs[-1][:2] == b"\x06\x0f"


def test_fault_rules_are_validated() -> None:
    with pytest.raises(FaultError, match="unknown fault"):
        write_control("/nonexistent/c.json", [{"name": "silense", "stage": "card"}])
    with pytest.raises(FaultError, match="unknown stage"):
        Faults().add("silence", stage="kard")
    with pytest.raises(FaultError, match="needs a stage"):
        write_control("/nonexistent/c.json", [{"name": "disconnect"}])


def test_broken_frame_is_naked_and_the_next_one_taken(peer: ZvtPeer, ecr: MiniEcr) -> None:
    """An ECR that gives up mid-frame and starts again: NAK for the torn frame, ACK for the new one."""
    ecr.ser.write(ecr_frame(registration())[:6])
    time.sleep(0.1)
    ecr.ser.write(ecr_frame(apdu(0x05, 0x01, bytes.fromhex("000000"))))
    assert [ecr.next_event()[0] for _ in range(2)] == ["nak", "ack"]
    assert ecr.receive() == b"\x80\x00\x00"
