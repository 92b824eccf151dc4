"""Assembles the Qt Quick UI around a services object and runs it.

``KioskUi(services, settings)`` needs an existing ``QGuiApplication``; the
services object is duck-typed (``reader``, ``terminal``, ``provider``,
``printer``, ``ledger``, ``checkout``; any may be ``None``) so the composition
root (``kiosk.app.build_services``) and test fakes plug in the same way.

:func:`run` is ``kiosk run``. The attract screen comes first: the services
(ledger, devices; SQLAlchemy and the adapters take most of a second to import)
are built and crash recovery runs on the control lane *after* the first frame,
while the customer flow waits; systemd gets ``STATUS=`` at the first frame and
``READY=1`` once the kiosk can serve. Then background sync with device health
in its heartbeats, ``WATCHDOG=1`` from a GUI-thread timer, and (not
``--windowed``) the kiosk lockdown.
"""

from __future__ import annotations

import datetime as dt
import logging
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QSize, QTimer, QUrl, Signal
from PySide6.QtGui import QFont, QGuiApplication
from PySide6.QtQml import QQmlApplicationEngine, QQmlComponent
from PySide6.QtQuick import QQuickWindow

from kiosk.config import LANGUAGES, Settings
from kiosk.errors import KioskError
from kiosk.watchdog import SystemdNotifier
from ui.fonts import SYMBOL_FAMILY, load_fonts
from ui.language import LanguageManager
from ui.qrimage import PROVIDER_ID, QrImageProvider
from ui.shell import Boot, HealthCache, Lockdown, ServiceLoop
from ui.theme import ThemeModel
from ui.workers import Worker

if TYPE_CHECKING:  # imported by _build_flow, after the first frame under ``kiosk run``
    from kiosk.flow import Session, State
    from ui.audio import SpeechController, SpeechEngine
    from ui.demo import DemoModel
    from ui.session import SessionController
    from ui.staff import StaffController
    from ui.viewmodels import ScreenModel

log = logging.getLogger(__name__)

QML_DIR = Path(__file__).resolve().parent / "qml"
MAIN_QML = QML_DIR / "Main.qml"
PORTRAIT = QSize(1080, 1920)
#: Start-up work begins at the first frame, or after this long if no frame comes
#: (a window that is never exposed must still start serving).
BOOT_FALLBACK_MS = 500
#: After a failed start-up (ledger unreadable, recovery failed) it is tried again this
#: often while nobody is in staff mode: a passing fault (a locked database, a terminal
#: that was still booting) must not leave the kiosk out of service.
BOOT_RETRY_MS = 30_000
#: Audio guidance starts this long after the kiosk is ready to serve: its helper process
#: (Qt TextToSpeech, speech-dispatcher listing its voices) then does not compete for the
#: CPU with the start-up itself.
SPEECH_START_MS = 2000


class UiLoadError(KioskError):
    """Main.qml failed to load (a broken QML file)."""

    code = "ui_load_error"


class KioskUi(QObject):
    """The window, its engine and the objects QML binds to."""

    def __init__(
        self,
        services: Any,
        settings: Settings,
        *,
        demo: bool = False,
        lang: str | None = None,
        size: QSize | None = None,
        kiosk_mode: bool = False,
        notifier: SystemdNotifier | None = None,
        boot_task: Callable[[], object] | None = None,
        build_services: Callable[[], Any] | None = None,
        sync: bool = False,
        clock: Callable[[], dt.datetime] | None = None,
        monotonic: Callable[[], float] | None = None,
        speech_engine: SpeechEngine | Callable[[], SpeechEngine | None] | None = None,
        parent: QObject | None = None,
    ) -> None:
        """Shows what the first frame needs (window, top bar, attract screen), then builds
        the customer flow, staff mode and view models: at once, or, with
        ``build_services`` (``kiosk run``), right after the first frame, so importing
        them does not delay it. Until then ``session``, ``staff`` and ``demo`` are null
        in QML and touches only reveal the start-up overlay.

        ``speech_engine``: audio guidance, or a function that makes it after the first frame
        (``kiosk run``: the configured one); started once the kiosk is ready to serve.
        Without one nothing is offered or said."""
        super().__init__(parent)
        if QGuiApplication.instance() is None:
            raise UiLoadError("KioskUi needs a QGuiApplication")
        self.settings = settings
        self.services = services
        self._langs = [lg for lg in settings.kiosk.languages if lg in LANGUAGES] or ["en"]
        self._default_lang = lang if lang in self._langs else self._langs[0]
        self._demo_enabled = demo
        self._clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self._monotonic = monotonic or time.monotonic
        family = load_fonts()
        if family:
            QGuiApplication.setFont(QFont(family))
        self.engine = QQmlApplicationEngine(self)
        self.engine.addImageProvider(PROVIDER_ID, QrImageProvider())
        self.language = LanguageManager(self.engine, self._langs, self)
        self.theme = ThemeModel(family, self)
        self.worker = Worker(self)  # the lanes, shared by the flow, staff mode and start-up
        self.boot = Boot(self.worker, self)
        self.boot.ready.connect(self._boot_ready)
        self.boot.failed.connect(self._boot_failed)
        self._boot_retry = QTimer(self)
        self._boot_retry.setSingleShot(True)
        self._boot_retry.setInterval(BOOT_RETRY_MS)
        self._boot_retry.timeout.connect(self._retry_boot)
        self._out_of_service_sent = False
        self._boot_task = boot_task
        self._build = build_services
        self._built: Any = None  # services this object built, and so closes
        self._built_lock = threading.Lock()
        self._boot_pending = boot_task is not None or build_services is not None
        self._servicesBuilt.connect(self._attach_services)  # queued: emitted on the control lane
        self._first_frame_seen = False
        self._first_frame_done = False
        self._flow_ready = False
        self.health = HealthCache()
        self.service_loop: ServiceLoop | None = None  # idle work, once the services are up
        self._warmed = False  # kiosk.warmup ran (once per process)
        self.upkeep: Any = None  # kiosk.upkeep.Upkeep, the work the service loop runs
        self.sync_service: Any = None
        self._want_sync = sync
        self._closing = False
        self.notifier = notifier
        self._ready_sent = False
        self.models: dict[str, ScreenModel] = {}
        self.controller: SessionController  # these five: see _build_flow
        self.staff: StaffController
        self.demo: DemoModel
        self.speech: SpeechController
        self._speech_engine = speech_engine
        self._last_state: State
        self._ctx = {
            "languages": ",".join(self._langs),
            "support": settings.kiosk.support_contact,
            "receipt_url": settings.receipt.url_template,
        }
        root = self.engine.rootContext()
        root.setContextProperty("theme", self.theme)
        root.setContextProperty("i18n", self.language)
        root.setContextProperty("boot", self.boot)
        root.setContextProperty("symbolFont", SYMBOL_FAMILY)
        root.setContextProperty("kioskLanguages", self._langs)
        for name in ("session", "staff", "demo", "speech"):
            root.setContextProperty(name, None)  # set by _build_flow
        self.language.switch(self._default_lang)
        self.engine.load(QUrl.fromLocalFile(str(MAIN_QML)))
        roots = self.engine.rootObjects()
        if not roots or not isinstance(roots[0], QQuickWindow):
            raise UiLoadError(f"could not load {MAIN_QML} (see the QML errors above)")
        self.window: QQuickWindow = roots[0]
        initial = size or PORTRAIT
        self.window.resize(initial)
        self.lockdown = Lockdown(self.window, self) if kiosk_mode else None
        self._preloaded: list[QQmlComponent] = []
        # Auto connections (queued when the render loop has its own thread); the work itself
        # waits for the next turn of the event loop. (Not Qt.ConnectionType: the ``Qt``
        # namespace costs ~30 ms to load, which the first frame should not pay.)
        self.window.frameSwapped.connect(self._frame_swapped)
        self._heartbeat = QTimer(self)
        interval = notifier.watchdog_interval_s if notifier is not None else None
        if notifier is not None and interval:
            self._heartbeat.setInterval(max(100, int(interval * 1000)))
            self._heartbeat.timeout.connect(notifier.heartbeat)  # GUI thread: a frozen UI stops it
            self._heartbeat.start()
        self._health_timer = QTimer(self)
        self._health_timer.setInterval(max(1000, int(settings.upstream.heartbeat_interval_s * 1000)))
        self._health_timer.timeout.connect(self.probe_health)
        if self._boot_pending:
            self.boot.expect()
            QTimer.singleShot(BOOT_FALLBACK_MS, self, self._start_boot)
        if build_services is None:
            self._build_flow()
        if not self._boot_pending:
            QTimer.singleShot(0, self, self._boot_ready)

    def _build_flow(self) -> None:
        """The customer flow, staff mode, demo panel and view models, handed to QML."""
        if self._flow_ready or self._closing:
            return
        from ui.audio import SpeechController
        from ui.demo import DemoModel
        from ui.session import SessionController
        from ui.staff import StaffController, can_open_staff
        from ui.viewmodels import (
            AccountModel,
            ConfirmModel,
            PayModel,
            PhoneModel,
            PlansModel,
            ResultModel,
            SlotModel,
        )

        settings, services = self.settings, self.services
        self.controller = SessionController(
            services,
            default_lang=self._default_lang,
            idle_timeout_s=settings.kiosk.idle_timeout_s,
            idle_countdown_s=settings.kiosk.idle_countdown_s,
            read_timeout_s=settings.reader.read_timeout_s,
            payment_silence_s=settings.kiosk.payment_silence_s,
            success_timeout_s=settings.kiosk.success_timeout_s,
            take_sim_timeout_s=settings.kiosk.take_sim_timeout_s,
            worker=self.worker,
            parent=self,
        )
        self.demo = DemoModel(services, self.worker, self._demo_enabled, self)
        self.staff = StaffController(
            services, settings, can_open=can_open_staff(self.controller),
            startup_failure=self.boot.failure, clock=self._clock, monotonic=self._monotonic, parent=self,
        )
        self.staff.entered.connect(self.controller.suspend)
        self.staff.left.connect(self._staff_left)
        self.models = {
            "phoneModel": PhoneModel(self),
            "accountModel": AccountModel(self),
            "plansModel": PlansModel(self),
            "confirmModel": ConfirmModel(self),
            "payModel": PayModel(self),
            "resultModel": ResultModel(self),
            "slotModel": SlotModel(self),
        }
        engine = self._speech_engine() if callable(self._speech_engine) else self._speech_engine
        self.speech = SpeechController(
            engine, settings.speech, window=self.window, session=self.controller,
            models=self.models, theme=self.theme, language=self.language, langs=self._langs,
            staff=self.staff, parent=self,
        )
        self._last_state = self.controller.session.state
        self.controller.sessionChanged.connect(self._on_session)
        self.controller.sessionChanged.connect(self.speech.on_session)  # after the view models
        self.controller.languageRequested.connect(self._on_language)
        self.controller.transactionFinished.connect(self._nudge_sync)
        self.theme.changed.connect(self.speech.on_theme)
        self.staff.entered.connect(self.speech.on_staff)
        self._refresh(self.controller.session)
        root = self.engine.rootContext()
        for name, model in self.models.items():
            root.setContextProperty(name, model)
        root.setContextProperty("demo", self.demo)
        root.setContextProperty("staff", self.staff)
        root.setContextProperty("speech", self.speech)
        root.setContextProperty("session", self.controller)
        # Filters installed later run first: the session and staff see every key (activity)
        # before audio guidance takes the keypad's keys.
        self.window.installEventFilter(self.speech)
        self.window.installEventFilter(self.controller)
        self.window.installEventFilter(self.staff)
        self._flow_ready = True
        self.controller.start()
        if self.boot.current != "ready":
            self.controller.suspend()

    # ------------------------------------------------------------------ start-up, sync, systemd

    _servicesBuilt = Signal(object)

    def _frame_swapped(self) -> None:
        if not self._first_frame_seen:
            self._first_frame_seen = True
            QTimer.singleShot(0, self, self._first_frame)
        if not self._ready_sent:
            QTimer.singleShot(0, self, self._maybe_ready)
        else:
            self.window.frameSwapped.disconnect(self._frame_swapped)

    @property
    def first_frame_shown(self) -> bool:
        """The first frame was drawn and the work that waits for it has run."""
        return self._first_frame_done

    def _first_frame(self) -> None:
        """The first frame is on screen: tell systemd, hide the cursor (kiosk mode), start
        the start-up work, then compile the other screens in the background."""
        log.info("first frame shown")
        if self.notifier is not None and not self._ready_sent:
            self.notifier.notify("STATUS=attract screen shown; starting up")
        if self.lockdown is not None:
            self.lockdown.hide_cursor()
        self._build_flow()
        self._start_boot()
        self._preload_screens()
        self._first_frame_done = True

    def _start_boot(self) -> None:
        if self._boot_pending and not self._closing:
            self._boot_pending = False
            self._build_flow()  # the services are handed to it
            self.boot.start(self._boot_job)

    def _boot_job(self) -> object:
        """On the control lane: build the services (once, kept across retries), hand them
        to the GUI thread, then run the start-up task (by default crash recovery)."""
        services = self._built if self._build is not None else self.services
        if self._build is not None and services is None:
            services = self._build()
            with self._built_lock:
                self._built, closing = services, self._closing
            if closing:  # quit while building: nobody else will close them
                self._close_built()
                return "closed during start-up"
            self._servicesBuilt.emit(services)
        if self._boot_task is not None:
            return self._boot_task()
        recover = getattr(services, "recover", None) if self._build is not None else None
        return recover() if callable(recover) else None

    def _attach_services(self, services: Any) -> None:
        """GUI thread: every part of the UI uses the services built on the control lane."""
        if self._closing:
            return
        self.services = services
        self.controller.attach(services)
        self.demo.attach(services)
        self.staff.attach(services)

    def _close_built(self) -> None:
        with self._built_lock:
            built, self._built = self._built, None
        close = getattr(built, "close", None)
        if callable(close):
            try:
                close()
            except Exception:
                log.exception("closing the services failed")

    def _boot_ready(self) -> None:
        """Recovery is done: the customer flow may start; sync and health probes begin."""
        if self._closing:
            return
        self.window.update()  # a frame for READY=1 even if nothing moves
        if not self.staff.active and self.controller.suspended:
            self.controller.resume()
        QTimer.singleShot(SPEECH_START_MS, self, self._start_speech)
        self.worker.submit("control", self._warm_up)
        if self._want_sync and self.sync_service is None:
            self._want_sync = False
            self._start_sync()
        self._start_service_loop()

    def _warm_up(self) -> None:
        """Control lane, once ready: what the first sale imports, then a frozen heap
        (``kiosk.warmup``); emits nothing."""
        if self._warmed:
            return
        self._warmed = True
        from kiosk.warmup import PRINTER_MODULES, SALE_MODULES, warm_up

        printing = self.settings.printer.backend in ("escpos", "file")
        warm_up(SALE_MODULES + (PRINTER_MODULES if printing else ()))

    def _start_service_loop(self) -> None:
        """The scheduled end of day and retries of parked transactions, between customers,
        on the control lane (kiosk.upkeep); only for the real services (a ledger, a checkout
        that can stop)."""
        services = self.services
        if self.service_loop is not None or getattr(services, "ledger", None) is None \
                or not hasattr(getattr(services, "checkout", None), "stopping"):
            return
        from kiosk.upkeep import Upkeep

        upkeep = Upkeep(services)
        upkeep.defer_recovery()  # start-up recovery just ran
        self.upkeep = upkeep
        self.service_loop = ServiceLoop(self.worker, upkeep.run, self.idle, parent=self)
        self.service_loop.start()

    def idle(self) -> bool:
        """Nobody is using the kiosk: start-up done, the attract screen shows, no staff."""
        return (not self._closing and self._flow_ready and self.boot.current == "ready"
                and not self.controller.suspended and self.controller.session.state.value == "attract")

    def _start_speech(self) -> None:
        """Audio guidance: its helper process loads the engine and its voices."""
        if not self._closing:
            self.speech.start()

    def _boot_failed(self, error: str) -> None:
        """Out of service: the process is up and showing it, so systemd hears READY=1 (and
        does not kill a kiosk waiting for its technician); the start-up is retried."""
        if self._closing:
            return
        if self.notifier is not None and not self._out_of_service_sent and not self._ready_sent:
            self._out_of_service_sent = True
            self.notifier.notify(f"READY=1\nSTATUS=out of service: {error}")
        self._boot_retry.start()

    def _retry_boot(self) -> None:
        if self._closing or self.boot.current != "failed":
            return
        if self._flow_ready and self.staff.active:  # the technician retries on leaving
            self._boot_retry.start()
            return
        log.info("trying the start-up again")
        self.boot.retry()

    def _maybe_ready(self) -> None:
        """READY=1 once, after the first frame that shows the attract screen."""
        if self._ready_sent:
            return
        loader = self.find("screenLoader")
        item = loader.property("item") if loader is not None else None
        if (self.boot.current == "ready" and self._flow_ready and not self.staff.active
                and isinstance(item, QObject)
                and item.objectName() == "attractScreen"):
            self._ready_sent = True
            log.info("attract screen shown")
            if self.notifier is not None:
                self.notifier.ready()

    @property
    def ready_sent(self) -> bool:
        return self._ready_sent

    def _start_sync(self) -> None:
        """``start_background_sync`` reads the secret and opens a client: on the control lane."""
        services, settings = self.services, self.settings
        ledger = getattr(services, "ledger", None)
        if ledger is None:
            return
        cache = self.health

        def start() -> None:
            from kiosk.sync import start_background_sync

            service = start_background_sync(settings, ledger, Path(services.data_dir), cache.status)
            if service is not None and self._closing:
                service.stop()
                return
            self.sync_service = service

        self.worker.submit("control", start)
        self.probe_health()
        self._health_timer.start()

    def probe_health(self) -> None:
        """Refresh the heartbeat's device health, each probe on its device's lane, and only
        between customers (the terminal's status enquiry shares the line with payments)."""
        if (self._closing or not self._flow_ready or self.controller.suspended
                or self.controller.session.state.value != "attract"):
            return
        cache, worker = self.health, self.worker
        ownership = getattr(self.services, "ownership", None)
        for name, lane in (("reader", "reader"), ("terminal", "checkout"), ("printer", "checkout"),
                           ("provider", "provider")):
            device = getattr(self.services, name, None)
            # the terminal's probe holds its lock: never a status enquiry during another process's sale
            lock = getattr(ownership, "terminal", None) if name == "terminal" else None
            if device is not None and hasattr(device, "health"):
                worker.submit(lane, lambda n=name, d=device, k=lock: cache.probe(n, d, lock=k))  # type: ignore[misc]

    def _nudge_sync(self, _session: object) -> None:
        if self.sync_service is not None:
            self.sync_service.nudge()

    def _staff_left(self) -> None:
        """Staff mode closed: a clean customer session on the attract screen."""
        self.theme.reset()
        if self.boot.current == "ready":
            self.controller.resume()
        elif self.boot.current == "failed":
            self.boot.retry()

    def _preload_screens(self) -> None:
        """After the first frame, compile every screen in the QML loader thread, so the
        first visit of each screen does not stall the GUI thread with compiling."""
        if self._preloaded:
            return
        self._preloaded = [
            QQmlComponent(self.engine, QUrl.fromLocalFile(str(path)),
                          QQmlComponent.CompilationMode.Asynchronous, self)
            for path in sorted((QML_DIR / "screens").glob("*Screen.qml"))
        ]

    def _refresh(self, session: Session) -> None:
        from ui.viewmodels import Formatter

        fmt = Formatter(session.lang, self.settings.kiosk.currency)
        for model in self.models.values():
            model.refresh(session, fmt, self._ctx)

    def _on_session(self, session: Session) -> None:
        if session.state.value == "attract" and self._last_state.value != "attract":
            self.theme.reset()  # the next customer starts with the defaults
            self.worker.submit("control", _release_free_memory)
        self._last_state = session.state
        self._refresh(session)

    def _on_language(self, lang: str) -> None:
        self.language.switch(lang)
        self._refresh(self.controller.session)

    def quit(self) -> None:
        """End the event loop on purpose (SIGTERM, systemd stop).

        ``exit()``, not ``quit()``: Qt 6's ``quit()`` first closes every window while the
        loop still runs, and a closed window's pending update-request timer then fired
        on a destroyed platform window (a segfault in about one stop in eight, offscreen).
        The window is closed by :meth:`close` (which releases the lockdown first) once
        the loop has returned."""
        QGuiApplication.exit(0)

    def find(self, object_name: str) -> QObject | None:
        """The QML object with ``object_name`` (tests and screenshots use this)."""
        if self.window.objectName() == object_name:
            return self.window
        return self.window.findChild(QObject, object_name)

    def close(self, wait: bool = False) -> None:
        """Stop staff mode, sync, the controller's lanes and timers, then the window, and
        close the services this object built; idempotent."""
        with self._built_lock:
            self._closing = True
        self._heartbeat.stop()
        self._health_timer.stop()
        self._boot_retry.stop()
        if self.service_loop is not None:
            self.service_loop.stop()
        shutdown = getattr(getattr(self.services, "checkout", None), "shutdown", None)
        if callable(shutdown):
            shutdown()  # a sale or recovery stops waiting now; its transaction stays recoverable
        if self._flow_ready:
            self.staff.close()
        service, self.sync_service = self.sync_service, None
        if service is not None:
            service.stop()
        if self._flow_ready:
            self.speech.close()
            self.controller.close(wait=wait)
        self.worker.close(wait=wait)
        if self.lockdown is not None:
            self.lockdown.release()
        self.window.close()
        self._close_built()


def _release_free_memory() -> None:
    """Between customers, on the control lane: freed heap back to the OS (emits nothing)."""
    from kiosk.memory import release_free_memory

    release_free_memory()


def run(build_services: Callable[[], Any], settings: Settings, *, demo: bool, windowed: bool,
        lang: str | None, notifier: SystemdNotifier | None = None) -> int:
    """Create the application, show the kiosk and run the event loop.

    ``build_services`` runs on the control lane after the first frame, then crash
    recovery (``services.recover``); the services are closed on the way out. Not
    ``windowed`` is kiosk mode (lockdown, no cursor).
    """
    app = QGuiApplication.instance() or QGuiApplication(["simkiosk"])
    assert isinstance(app, QGuiApplication)
    app.setApplicationName("simkiosk")
    notifier = notifier or SystemdNotifier()
    def speech_engine() -> SpeechEngine | None:  # after the first frame: Qt TextToSpeech is not needed for it
        from ui.audio import engine_from_settings

        return engine_from_settings(settings.speech)

    ui = KioskUi(None, settings, demo=demo, lang=lang, kiosk_mode=not windowed, notifier=notifier,
                 build_services=build_services, sync=True, speech_engine=speech_engine)
    if windowed:
        screen = app.primaryScreen()
        avail = screen.availableGeometry().size() if screen is not None else PORTRAIT
        height = min(PORTRAIT.height(), int(avail.height() * 0.9))
        ui.window.resize(QSize(height * 9 // 16, height))
        ui.window.show()
    else:
        ui.window.showFullScreen()
    # SIGTERM/SIGINT (systemd stop, Ctrl+C) end the event loop so services close cleanly;
    # a periodic no-op timer lets Python run its signal handlers while Qt waits.
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: ui.quit())
    wake = QTimer()
    wake.start(250)
    wake.timeout.connect(lambda: None)
    try:
        return int(app.exec())
    finally:
        notifier.stopping()
        ui.close()
