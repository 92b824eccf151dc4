"""SIM read latency through the real stack: pcscd + vsmartcard vpcd + the virtual SIM.

Times "card present" → ICCID decoded through ``PcscCardReader`` (own worker
thread, per-exchange deadline, decoding) against bare pyscard sending the same
APDUs in the same run, like for like: the reader keeps its connection while the
card stays in, so the baseline keeps one pyscard connection too, and a connect
is counted once per insertion on both sides. Two figures: repeated reads of a
card that stays in (200 reads; target ratio ≤ 1.3) and the first read after an
insertion (15 insertions each).

Needs root (or unshare rights) to run a private pcscd, like the test suite.
"""

from __future__ import annotations

import queue
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.devices.conftest import running_stack  # noqa: E402  (sets PCSCLITE_CSOCK_NAME first)

READS = 200
#: untimed reads on each side first (a fresh pcscd and process run the first few
#: hundred reads measurably slower on both sides)
WARMUP = 1000
INSERTIONS = 15
#: after an insertion is visible (and, for ours, the watch has reported it), before timing:
#: pcscd and the watch are still busy with the insertion for a moment, and that is not
#: work either side does for the read
SETTLE_S = 0.05


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
    from kiosk.ports import CardEvent, CardEventKind

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
    iccid_apdus = list(sent)
    sent.clear()  # and the kiosk's whole read (what it does on an insertion)
    read_sim(record, atr="", reader="", carriers=CarrierTable.load_default(), optional=True)
    full_apdus = list(sent)
    sent[:] = iccid_apdus

    with tempfile.TemporaryDirectory() as tmp, running_stack(Path(tmp)) as stack:
        reader = PcscCardReader(ReaderSection(name_filter=stack.reader0))
        _, ctx = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        kept: dict[str, int] = {}

        def bare_connect() -> None:
            _, hcard, proto = scard.SCardConnect(
                ctx, stack.reader0, scard.SCARD_SHARE_SHARED,
                scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1)
            kept.update(hcard=hcard, proto=proto)

        def bare_apdus(commands: list[bytes] = sent) -> None:
            for command in commands:
                scard.SCardTransmit(kept["hcard"], kept["proto"], list(command))

        def bare_full() -> None:
            bare_apdus(full_apdus)

        def ours_full() -> None:
            assert reader.read(5).iccid == profile.iccid

        def bare_first() -> None:
            bare_connect()
            bare_apdus()

        def bare_forget() -> None:
            scard.SCardDisconnect(kept.pop("hcard"), scard.SCARD_LEAVE_CARD)

        def ours() -> None:
            assert reader.read_iccid(5).iccid == profile.iccid

        # 1. The card stays in: every read after the first (the kiosk reads a SIM several
        #    times per session). Baseline: the same APDUs on one kept pyscard connection.
        t_ours: list[float] = []
        t_bare: list[float] = []
        t_ours_full: list[float] = []
        t_bare_full: list[float] = []
        t_handover: list[float] = []

        def handover() -> None:  # an empty job through the reader's worker thread
            worker = reader._worker
            assert worker is not None
            worker.call(lambda: None, 5.0, "nothing")
        with VpcdCard(VirtualSim(profile, CardOptions(mode=Mode.UICC)), port=stack.port):
            stack.wait_card(True)
            bare_connect()
            for _ in range(WARMUP // 20):  # untimed: both sides' first seconds run slower
                _time(ours, 20)
                _time(bare_apdus, 20)
            for _ in range(10):  # interleaved so machine load hits both alike
                t_ours += _time(ours, READS // 10)
                t_bare += _time(bare_apdus, READS // 10)
            for _ in range(10):
                t_ours_full += _time(ours_full, READS // 20)
                t_bare_full += _time(bare_full, READS // 20)
                t_handover += _time(handover, READS // 20)
            bare_forget()
        stack.wait_card(False)

        # 2. First read after an insertion: connect included once on both sides. The kiosk
        #    watches the slot from start-up and reads when its watch reports the insertion,
        #    so ours is timed from that event, with the watch running throughout (it also
        #    tells the reader the old card left and the new card's ATR). Then, apart, the
        #    same with no watch at all (the reader finds out from the card: a failed
        #    exchange, a status query), each against bare reads interleaved with it.
        f_ours: list[float] = []
        f_bare: list[float] = []
        f_nowatch: list[float] = []
        f_bare_nowatch: list[float] = []
        events: queue.Queue[CardEvent] = queue.Queue()

        def inserted() -> None:
            while events.get(timeout=10).kind is not CardEventKind.INSERTED:
                pass

        def insertions(ours_out: list[float], bare_out: list[float], watching: bool) -> None:
            for i in range(2 * INSERTIONS):
                with VpcdCard(VirtualSim(profile, CardOptions(mode=Mode.UICC)), port=stack.port):
                    stack.wait_card(True)
                    if watching:
                        inserted()  # every variant starts once the watch has seen it too
                    fn, out = (ours, ours_out) if i % 2 == 0 else (bare_first, bare_out)
                    time.sleep(SETTLE_S)  # ... and once the insertion has settled
                    t0 = time.perf_counter()
                    fn()
                    out.append(time.perf_counter() - t0)
                    if fn is bare_first:
                        bare_forget()
                stack.wait_card(False)

        with reader.watch(events.put):
            insertions(f_ours, f_bare, watching=True)
        insertions(f_nowatch, f_bare_nowatch, watching=False)
        scard.SCardReleaseContext(ctx)
        reader.close()

    o_med, o_p99 = _stats(t_ours)
    b_med, b_p99 = _stats(t_bare)
    fo_med, fo_p99 = _stats(f_ours)
    fb_med, fb_p99 = _stats(f_bare)
    fn_med, fn_p99 = _stats(f_nowatch)
    fbn_med, _ = _stats(f_bare_nowatch)
    print(f"card: {len(sent)} APDUs to the ICCID ({', '.join(c.hex().upper() for c in sent)})")
    print("baseline: bare pyscard sending the same APDUs on one kept connection "
          "(connect counted once per insertion), same run, interleaved")
    print(f"card stays in, PcscCardReader -> ICCID decoded: median {o_med:.2f} ms, "
          f"p99 {o_p99:.2f} ms ({len(t_ours)} reads)")
    print(f"card stays in, bare pyscard APDUs:             median {b_med:.2f} ms, "
          f"p99 {b_p99:.2f} ms ({len(t_bare)} reads)")
    print(f"ratio (card stays in): median {o_med / b_med:.2f}, p99 {o_p99 / b_p99:.2f} "
          "(target <= 1.3)")
    h_med, _ = _stats(t_handover)
    print(f"  of which the hand-over to the reader's worker thread and back (what lets a read "
          f"time out on a stuck call): median {h_med * 1000:.0f} us, same run")
    of_med, _ = _stats(t_ours_full)
    bf_med, _ = _stats(t_bare_full)
    print(f"card stays in, the kiosk's whole read (ICCID, IMSI, GID1, SPN, MSISDN: {len(full_apdus)} APDUs): "
          f"PcscCardReader.read median {of_med:.2f} ms, bare pyscard {bf_med:.2f} ms, "
          f"ratio {of_med / bf_med:.2f} ({len(t_ours_full)} reads each)")
    print(f"first read after insertion, PcscCardReader on the watch's event: median {fo_med:.2f} ms, "
          f"p99 {fo_p99:.2f} ms ({len(f_ours)} insertions)")
    print(f"first read after insertion, bare connect+APDUs: median {fb_med:.2f} ms, "
          f"p99 {fb_p99:.2f} ms ({len(f_bare)} insertions)")
    print(f"ratio (first read): median {fo_med / fb_med:.2f}, p99 {fo_p99 / fb_p99:.2f} (target <= 1.3)")
    print(f"first read after insertion, PcscCardReader with no watch running: median {fn_med:.2f} ms, "
          f"p99 {fn_p99:.2f} ms, bare interleaved with it {fbn_med:.2f} ms, ratio "
          f"{fn_med / fbn_med:.2f} (it learns of the swap from a failed exchange and asks "
          "for the ATR)")


if __name__ == "__main__":
    main()
