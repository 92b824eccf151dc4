"""``ZvtTerminal``: the :class:`kiosk.ports.PaymentTerminal` adapter for ZVT over serial.

One worker thread owns the port; every public method queues a job for it and
waits with a deadline, so a caller never blocks longer than configured and the
port is never touched by two threads. ``abort()`` only sets a flag the worker
polls while the terminal is master, so it is safe from any thread.

Error translation at this edge:

* the command never accepted (port missing, no ACK, 84 xx) -> ``TerminalUnavailable``
* accepted, then silence or link loss -> ``PaymentOutcomeUnknown`` (never a decline)
* 06 1E from the terminal -> a ``PaymentResult`` with ``approved=False`` and the
  terminal's result code (the port's meaning of a definite decline or abort)

After a link failure the port is closed; the next call reopens it (retrying for
up to T3, so a cable plugged back in is picked up) and registers again.
"""

from __future__ import annotations

import datetime as dt
import logging
import queue
import threading
import time
import warnings
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TypeVar

from kiosk.config import TerminalSection
from kiosk.errors import PaymentOutcomeUnknown, TerminalUnavailable
from kiosk.ports import DeviceHealth, PaymentResult, StatusCallback, TerminalReport
from payment.errors import LinkDown, RequestNotAccepted, ResultLost, ZvtAborted, ZvtError
from payment.zvt.apdu import Apdu
from payment.zvt.codes import (
    ABORTED,
    CARD_TYPES,
    currency_alpha,
    currency_numeric,
    intermediate_prompt,
    mask_pan,
    result_text,
)
from payment.zvt.messages import (
    Authorization,
    BookTotal,
    Diagnosis,
    EndOfDay,
    IntermediateStatus,
    LogOff,
    PreAuthorization,
    PreAuthReversal,
    Refund,
    Registration,
    RepeatReceipt,
    Reversal,
    StatusEnquiry,
    StatusInformation,
)
from payment.zvt.session import Exchange, Session
from payment.zvt.transport import ByteLink, SerialLink, ZvtTransport

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Extra time a caller waits for the worker beyond the worker's own deadline.
_CALLER_MARGIN_S = 2.0


def _noop_status(prompt: object, text: str) -> None:
    return None


@dataclass
class _Job:
    fn: Callable[[], object]
    future: Future[object]


class ZvtTerminal:
    """ZVT ECR driver. Construct cheaply (no I/O); the port opens on first use."""

    def __init__(
        self,
        settings: TerminalSection,
        *,
        currency: str = "USD",
        link_factory: Callable[[], ByteLink] | None = None,
    ) -> None:
        self.settings = settings
        self.currency = currency
        self._currency_num = currency_numeric(currency)
        self._link_factory = link_factory or self._open_serial
        self._session: Session | None = None
        self._registered = False
        self._jobs: queue.Queue[_Job | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._abort = threading.Event()
        self._active = 0
        self._closed = False
        self.terminal_id: str | None = None

    # ------------------------------------------------------------------ deadlines

    @property
    def _op_budget_s(self) -> float:
        """Worst case for one command: open + registration + request + master time."""
        t3, t4 = self.settings.ack_timeout_s, self.settings.master_timeout_s
        return 12 * t3 + 2 * t4

    # ------------------------------------------------------------------ worker

    def _open_serial(self) -> ByteLink:
        s = self.settings
        return SerialLink.open(s.port, baud=s.baud, bytesize=s.bytesize, parity=s.parity,
                               stopbits=s.stopbits)

    def _ensure_thread(self) -> None:
        with self._lock:
            if self._closed:
                raise TerminalUnavailable("payment terminal driver is closed")
            if self._thread is None:
                self._thread = threading.Thread(target=self._worker, name="zvt-terminal",
                                                daemon=True)
                self._thread.start()

    def _worker(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                break
            if not job.future.set_running_or_notify_cancel():
                continue
            try:
                job.future.set_result(job.fn())
            except BaseException as exc:  # handed to the caller, who re-raises it
                job.future.set_exception(exc)
        self._drop_link()

    def _call(self, fn: Callable[[], T], *, money: bool) -> T:
        """Run ``fn`` on the worker; a caller-side timeout is an unknown outcome for money."""
        self._ensure_thread()
        future: Future[object] = Future()
        with self._lock:
            self._active += 1
        try:
            self._jobs.put(_Job(fn, future))
            try:
                result = future.result(timeout=self._op_budget_s + _CALLER_MARGIN_S)
            except TimeoutError as exc:
                if money:
                    raise PaymentOutcomeUnknown(
                        "payment terminal driver did not finish in time") from exc
                raise TerminalUnavailable("payment terminal driver did not finish in time") from exc
        finally:
            with self._lock:
                self._active -= 1
                if self._active == 0:
                    self._abort.clear()
        return result  # type: ignore[return-value]

    # ------------------------------------------------------------------ link (worker thread)

    def _drop_link(self) -> None:
        if self._session is not None:
            self._session.transport.close()
        self._session = None
        self._registered = False

    def _connect(self, deadline: float) -> Session:
        if self._session is not None:
            return self._session
        give_up = min(deadline, time.monotonic() + max(self.settings.ack_timeout_s, 1.0))
        while True:
            try:
                link = self._link_factory()
                break
            except LinkDown as exc:
                if time.monotonic() >= give_up:
                    raise TerminalUnavailable(
                        f"payment terminal port {self.settings.port} unavailable: {exc}") from exc
                time.sleep(0.1)
        transport = ZvtTransport(link, ack_timeout_s=self.settings.ack_timeout_s)
        self._session = Session(transport, first_answer_timeout_s=self.settings.ack_timeout_s,
                                master_timeout_s=self.settings.master_timeout_s)
        return self._session

    def _ready(self, deadline: float) -> Session:
        """An open, registered session; reconnects once if the old port went stale."""
        for attempt in (1, 2):
            session = self._connect(deadline)
            if self._registered:
                return session
            try:
                self._register(session, deadline)
                return session
            except (LinkDown, RequestNotAccepted, ResultLost) as exc:
                self._drop_link()
                if attempt == 2 or time.monotonic() >= deadline:
                    raise TerminalUnavailable(f"payment terminal registration failed: {exc}") \
                        from exc
                log.info("registration failed (%s); reopening the port", exc)
        raise TerminalUnavailable("payment terminal registration failed")  # pragma: no cover

    def _register(self, session: Session, deadline: float) -> None:
        cmd = Registration(self.settings.password, currency=self._currency_num).to_apdu()
        ex = session.run(cmd, deadline=deadline)
        if ex.aborted:
            raise TerminalUnavailable(
                f"payment terminal refused registration: {result_text(ex.abort_code)}")
        if ex.completion is not None and ex.completion.terminal_id is not None:
            self.terminal_id = f"{ex.completion.terminal_id:08d}"
        self._registered = True

    def _exchange(
        self,
        command: Apdu,
        *,
        master: bool = True,
        on_status: StatusCallback | None = None,
        abortable: bool = False,
        register: bool = True,
    ) -> Exchange:
        """Run one command on the worker thread with reconnect and error translation."""
        deadline = time.monotonic() + self._op_budget_s
        on_intermediate = None
        if on_status is not None:
            callback = on_status

            def on_intermediate(msg: IntermediateStatus) -> None:
                prompt, text = intermediate_prompt(msg.status)
                callback(prompt, text)

        for attempt in (1, 2):
            session = self._ready(deadline) if register else self._connect(deadline)
            try:
                return session.run(command, master=master, deadline=deadline,
                                   on_intermediate=on_intermediate,
                                   abort_requested=self._abort.is_set if abortable else None)
            except LinkDown as exc:  # nothing reached the terminal: safe to reopen and resend
                self._drop_link()
                if attempt == 2:
                    raise TerminalUnavailable(f"payment terminal link down: {exc}") from exc
            except RequestNotAccepted as exc:
                self._drop_link()
                raise TerminalUnavailable(f"payment terminal did not accept the command: {exc}") \
                    from exc
            except ResultLost:
                self._drop_link()
                raise
        raise TerminalUnavailable("payment terminal link down")  # pragma: no cover

    # ------------------------------------------------------------------ results

    def _result(self, ex: Exchange, amount_cents: int, currency: str) -> PaymentResult:
        st = ex.status
        try:
            ex.raise_for_abort()
        except ZvtAborted as exc:
            if st is not None and st.result_code == 0:
                raise ResultLost(f"terminal reported approval, then aborted ({exc})") from exc
            code = st.result_code if st is not None and st.result_code else exc.result_code
            message = "aborted" if code == ABORTED else result_text(code)
            return self._build(st, approved=False, code=code, amount=amount_cents,
                               currency=currency, message=message, lines=ex.lines)
        if st is None:
            # completion without status information: the terminal says it succeeded
            return PaymentResult(True, 0, amount_cents, currency, terminal_id=self.terminal_id,
                                 message="approved", receipt_lines=tuple(ex.lines))
        code = st.result_code if st.result_code is not None else 0
        return self._build(st, approved=code == 0, code=code, amount=amount_cents,
                           currency=currency, message=result_text(code), lines=ex.lines)

    def _build(self, st: StatusInformation | None, *, approved: bool, code: int | None,
               amount: int, currency: str, message: str, lines: list[str]) -> PaymentResult:
        if st is None:
            return PaymentResult(approved, code, amount, currency, terminal_id=self.terminal_id,
                                 message=message, receipt_lines=tuple(lines))
        brand = st.card_name or (CARD_TYPES.get(st.card_type) if st.card_type else None)
        try:
            at = st.fields().timestamp()
        except ZvtError:
            at = None
        return PaymentResult(
            approved=approved,
            result_code=code,
            amount_cents=st.amount_cents if st.amount_cents is not None else amount,
            currency=currency_alpha(st.currency, currency),
            receipt_no=f"{st.receipt_no:04d}" if st.receipt_no is not None else None,
            trace_no=f"{st.trace_no:06d}" if st.trace_no is not None else None,
            card_brand=brand,
            pan_masked=mask_pan(st.pan),
            terminal_id=f"{st.terminal_id:08d}" if st.terminal_id is not None
            else self.terminal_id,
            message=message,
            receipt_lines=tuple(lines),
            at=at or dt.datetime.now().astimezone(),
        )

    def _money(self, command: Apdu, amount: int, currency: str,
               on_status: StatusCallback | None, *, abortable: bool = True) -> PaymentResult:
        def job() -> PaymentResult:
            try:
                ex = self._exchange(command, on_status=on_status or _noop_status,
                                    abortable=abortable)
                return self._result(ex, amount, currency)
            except ResultLost as exc:
                raise PaymentOutcomeUnknown(f"payment outcome unknown: {exc}") from exc

        return self._call(job, money=True)

    @staticmethod
    def _check_amount(amount_cents: int) -> None:
        if not 0 < amount_cents < 10**12:
            raise ValueError(f"amount out of range: {amount_cents}")

    def _currency(self, currency: str) -> int:
        try:
            return currency_numeric(currency)
        except ValueError as exc:
            raise TerminalUnavailable(str(exc)) from exc

    # ------------------------------------------------------------------ PaymentTerminal

    def authorize(self, amount_cents: int, currency: str, on_status: StatusCallback) \
            -> PaymentResult:
        self._check_amount(amount_cents)
        cmd = Authorization(amount_cents, self._currency(currency)).to_apdu()
        return self._money(cmd, amount_cents, currency, on_status)

    def reverse(self, receipt_no: str, on_status: StatusCallback) -> PaymentResult:
        cmd = Reversal(self.settings.password, int(receipt_no)).to_apdu()
        return self._money(cmd, 0, self.currency, on_status)

    def refund(self, amount_cents: int, currency: str, on_status: StatusCallback) \
            -> PaymentResult:
        self._check_amount(amount_cents)
        cmd = Refund(self.settings.password, amount_cents, self._currency(currency)).to_apdu()
        return self._money(cmd, amount_cents, currency, on_status)

    # pre-authorisation (06 22 / 06 24 / 06 25): beyond the port, used when
    # [terminal] preauth = true so the kiosk charges only after the top-up succeeded

    def reserve(self, amount_cents: int, currency: str, on_status: StatusCallback) \
            -> PaymentResult:
        """Pre-authorise (reserve) ``amount_cents``; ``receipt_no`` names the reservation."""
        self._check_amount(amount_cents)
        cmd = PreAuthorization(amount_cents, self._currency(currency)).to_apdu()
        return self._money(cmd, amount_cents, currency, on_status)

    def book_total(self, receipt_no: str, amount_cents: int, currency: str,
                   on_status: StatusCallback) -> PaymentResult:
        """Book (charge) a reservation made with :meth:`reserve`."""
        cmd = BookTotal(int(receipt_no), amount_cents, self._currency(currency)).to_apdu()
        return self._money(cmd, amount_cents, currency, on_status, abortable=False)

    def release(self, receipt_no: str, amount_cents: int, currency: str,
                on_status: StatusCallback) -> PaymentResult:
        """Release a reservation (pre-authorisation reversal) after a definite failure."""
        cmd = PreAuthReversal(int(receipt_no), amount_cents, self._currency(currency)).to_apdu()
        return self._money(cmd, amount_cents, currency, on_status, abortable=False)

    def abort(self) -> None:
        with self._lock:
            if self._active > 0:
                self._abort.set()

    def last_result(self) -> PaymentResult | None:
        def job() -> PaymentResult | None:
            cmd = RepeatReceipt(self.settings.password).to_apdu()
            try:
                ex = self._exchange(cmd)
            except ResultLost as exc:
                raise TerminalUnavailable(f"repeat receipt failed: {exc}") from exc
            if ex.status is None:
                return None  # 06 1E: nothing to repeat
            st = ex.status
            code = st.result_code if st.result_code is not None else 0
            return self._build(st, approved=code == 0, code=code,
                               amount=st.amount_cents or 0, currency=self.currency,
                               message=result_text(code), lines=ex.lines)

        return self._call(job, money=False)

    def _report(self, command: Apdu, what: str) -> TerminalReport:
        def job() -> TerminalReport:
            try:
                ex = self._exchange(command)
            except ResultLost as exc:
                raise TerminalUnavailable(f"{what} failed: {exc}") from exc
            st, comp = ex.status, ex.completion
            tid = self.terminal_id
            if st is not None and st.terminal_id is not None:
                tid = f"{st.terminal_id:08d}"
            elif comp is not None and comp.terminal_id is not None:
                tid = f"{comp.terminal_id:08d}"
            try:
                ex.raise_for_abort()
            except ZvtAborted as exc:
                return TerminalReport(False, exc.result_code, f"{what}: {exc}", tid,
                                      tuple(ex.lines))
            code = st.result_code if st is not None else None
            if comp is not None and comp.status_byte is not None and st is None:
                code = comp.status_byte  # status enquiry: terminal status code in BMP 19
            ok = code in (None, 0)
            message = f"{what}: ok" if ok else f"{what}: {result_text(code)}"
            totals = st.amount_cents if st is not None else None
            return TerminalReport(ok, code, message, tid, tuple(ex.lines), totals)

        return self._call(job, money=False)

    def register(self) -> TerminalReport:
        """Register (06 00) now; normally done lazily before the first command."""
        def job() -> TerminalReport:
            self._drop_link()
            self._ready(time.monotonic() + self._op_budget_s)
            return TerminalReport(True, 0, "registration: ok", self.terminal_id)

        return self._call(job, money=False)

    def log_off(self) -> None:
        """Log off (06 02): the terminal leaves ECR control until the next registration."""
        def job() -> None:
            self._exchange(LogOff().to_apdu(), master=False, register=False)
            self._registered = False

        self._call(job, money=False)

    def status(self) -> TerminalReport:
        return self._report(StatusEnquiry(self.settings.password).to_apdu(), "status")

    def diagnose(self) -> TerminalReport:
        return self._report(Diagnosis().to_apdu(), "diagnosis")

    def end_of_day(self) -> TerminalReport:
        return self._report(EndOfDay(self.settings.password).to_apdu(), "end of day")

    def health(self) -> DeviceHealth:
        try:
            report = self.status()
        except TerminalUnavailable as exc:
            return DeviceHealth("terminal", False, str(exc),
                                "check the terminal's power and serial cable")
        advice = "" if report.ok else "see the terminal's display; run a diagnosis"
        return DeviceHealth("terminal", report.ok, report.message, advice,
                            {"terminal_id": report.terminal_id, "port": self.settings.port})

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            thread = self._thread
        if thread is not None:
            self._abort.set()
            self._jobs.put(None)
            thread.join(timeout=self._op_budget_s + _CALLER_MARGIN_S)
        else:
            self._drop_link()

    def __enter__(self) -> ZvtTerminal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        if getattr(self, "_thread", None) is not None and not getattr(self, "_closed", True):
            warnings.warn("ZvtTerminal was never closed", ResourceWarning, stacklevel=1)


__all__ = ["ZvtAborted", "ZvtTerminal"]
