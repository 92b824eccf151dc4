"""SIM read latency through the real stack: pcscd + vsmartcard vpcd + the virtual SIM.

Times, over 50 reads of a card already in the reader, "card present" → ICCID
decoded through ``PcscCardReader`` (own worker thread, per-exchange deadline,
transaction, decoding), against bare pyscard sending the same APDUs in the
same run (context + connect + APDUs + disconnect; and the APDUs alone).
Prints median and p99 and the ratio (target ≤ 1.5).

Needs root (or unshare rights) to run a private pcscd, like the test suite.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.devices.conftest import running_stack  # noqa: E402  (sets PCSCLITE_CSOCK_NAME first)

READS = 50


def _stats(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p99 * 1000


def _time(fn: Callable[[], object], n: int) -> list[float]:
    fn()  # warm-up
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def main() -> None:
    from smartcard import scard

    from devices.card.pcsc import PcscCardReader
    from devices.vsim.card import PROFILES, CardOptions, Mode, VirtualSim
    from devices.vsim.vpcd import VpcdCard
    from kiosk.config import ReaderSection

    profile = PROFILES["tmobile"]
    # The APDUs our read sequence sends for this card, to replay with bare pyscard.
    recorder = VirtualSim(profile, CardOptions(mode=Mode.UICC))
    sent: list[bytes] = []

    def record(command: bytes) -> bytes:
        sent.append(command)
        return recorder.process(command)

    from devices.card.carriers import CarrierTable
    from devices.card.reader_logic import read_sim

    read_sim(record, atr="", reader="", carriers=CarrierTable.load_default(), optional=False)

    with tempfile.TemporaryDirectory() as tmp, running_stack(Path(tmp)) as stack:
        card = VpcdCard(VirtualSim(profile, CardOptions(mode=Mode.UICC)), port=stack.port)
        with card:
            stack.wait_card(True)
            reader = PcscCardReader(ReaderSection(name_filter=stack.reader0))

            def ours() -> None:
                assert reader.read_iccid(5).iccid == profile.iccid

            def bare_session() -> None:
                _, ctx = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
                _, hcard, proto = scard.SCardConnect(
                    ctx, stack.reader0, scard.SCARD_SHARE_SHARED,
                    scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1)
                for command in sent:
                    scard.SCardTransmit(hcard, proto, list(command))
                scard.SCardDisconnect(hcard, scard.SCARD_LEAVE_CARD)
                scard.SCardReleaseContext(ctx)

            _, ctx = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
            _, hcard, proto = scard.SCardConnect(
                ctx, stack.reader0, scard.SCARD_SHARE_SHARED,
                scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1)

            def bare_apdus() -> None:
                for command in sent:
                    scard.SCardTransmit(hcard, proto, list(command))

            # interleave the runs so machine load hits all three alike
            t_ours: list[float] = []
            t_session: list[float] = []
            t_apdus: list[float] = []
            for _ in range(5):
                t_ours += _time(ours, READS // 5)
                t_session += _time(bare_session, READS // 5)
                t_apdus += _time(bare_apdus, READS // 5)
            scard.SCardDisconnect(hcard, scard.SCARD_LEAVE_CARD)
            scard.SCardReleaseContext(ctx)
            reader.close()

    o_med, o_p99 = _stats(t_ours)
    s_med, s_p99 = _stats(t_session)
    a_med, a_p99 = _stats(t_apdus)
    print(f"card: {len(sent)} APDUs to the ICCID ({', '.join(c.hex().upper() for c in sent)})")
    print(f"PcscCardReader, card present -> ICCID decoded: median {o_med:.2f} ms, "
          f"p99 {o_p99:.2f} ms ({len(t_ours)} reads)")
    print(f"bare pyscard, context+connect+APDUs:          median {s_med:.2f} ms, p99 {s_p99:.2f} ms")
    print(f"bare pyscard, APDUs only (connected):         median {a_med:.2f} ms, p99 {a_p99:.2f} ms")
    print(f"ratio vs bare session: median {o_med / s_med:.2f}, p99 {o_p99 / s_p99:.2f} "
          "(target <= 1.5)")
    print(f"ratio vs APDUs only:   median {o_med / a_med:.2f}, p99 {o_p99 / a_p99:.2f}")


if __name__ == "__main__":
    main()
