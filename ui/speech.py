"""What the kiosk says on each screen: a pure builder of spoken scripts (no Qt, no engine).

Why pure: every screen in every language is checked without a speech engine or a
window (``tests/ui/test_speech.py``), and ``kiosk screenshots --speech`` prints
the same scripts. :mod:`ui.audio` speaks them.

No second set of strings: a script is made of the texts the screen shows.

* The screen's own words (titles, messages, button labels) are looked up in the
  translation catalogue under the QML file's context and English source text,
  exactly as ``qsTr`` does (``texts.get("ConfirmScreen", "Check and pay")``).
  ``tests/ui/test_speech.py`` checks that every such key is still used by the QML
  (``lupdate -no-obsolete`` keeps only used strings in ``simkiosk_en.ts``), so a
  reworded screen cannot leave speech behind with its old words.
* The facts (carrier, plan names and benefits, dates, the terminal's prompt, the
  masked number) come from the view models' data (:mod:`ui.viewmodels`), the same
  dictionaries QML binds to.
* Only what exists for the ear alone is new: how to navigate, the invitation on
  the attract screen, money said in words ("40 dollars" rather than "$40.00",
  which engines read as "dollar forty point zero zero"), digits one by one. These
  are marked below with :func:`QT_TRANSLATE_NOOP` (context ``Speech``), so
  ``lupdate`` puts them in the same catalogues.

Privacy: numbers are said as the screen masks them ("ending in 0 1 2 3") unless
``private`` (audio goes to headphones only, ``[speech] headphones``): then the
whole number is read digit by digit.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from kiosk.flow import Session, State

NATIVE_NAMES: dict[str, str] = {"en": "English", "zh_CN": "中文", "es": "Español"}


def QT_TRANSLATE_NOOP(context: str, text: str) -> str:
    """Marks a spoken-only string for ``lupdate``; translated when spoken."""
    return text


SPEECH = "Speech"
# Spoken-only strings (context "Speech").
AUDIO_ON = QT_TRANSLATE_NOOP("Speech", "Audio guidance is on.")
INVITATION = QT_TRANSLATE_NOOP(
    "Speech",
    "For spoken instructions, press any key on the keypad, or touch and hold the top left corner of the screen.",
)
OPTIONS = QT_TRANSLATE_NOOP("Speech", "Options: %1.")
NO_OPTIONS = QT_TRANSLATE_NOOP("Speech", "Please wait.")
HINT_KEYS = QT_TRANSLATE_NOOP(
    "Speech",
    "%1 is selected: press Enter to choose it. Plus and minus move to the other options; "
    "the dot key repeats this screen; star and slash change the volume.",
)
HINT_TOUCH = QT_TRANSLATE_NOOP(
    "Speech",
    "%1 is selected: double-tap to choose it. Swipe right or left to move to the other options; "
    "swipe up or down to hear this screen again.",
)
HINT_SHORT_KEYS = QT_TRANSLATE_NOOP("Speech", "%1 is selected: press Enter to choose it.")
HINT_SHORT_TOUCH = QT_TRANSLATE_NOOP("Speech", "%1 is selected: double-tap to choose it.")
# The selected option cannot be chosen yet (Continue before the number is complete): say so
# instead of inviting the customer to choose it.
HINT_DISABLED_KEYS = QT_TRANSLATE_NOOP(
    "Speech",
    "%1 is selected but not available yet. Plus and minus move to the other options; "
    "the dot key repeats this screen; star and slash change the volume.",
)
HINT_DISABLED_TOUCH = QT_TRANSLATE_NOOP(
    "Speech",
    "%1 is selected but not available yet. Swipe right or left to move to the other options; "
    "swipe up or down to hear this screen again.",
)
HINT_DISABLED_SHORT = QT_TRANSLATE_NOOP("Speech", "%1 is selected but not available yet.")
POSITION = QT_TRANSLATE_NOOP("Speech", "%1, %2 of %3.")
UNAVAILABLE = QT_TRANSLATE_NOOP("Speech", "%1: not available yet.")
ON = QT_TRANSLATE_NOOP("Speech", "%1: on")
OFF = QT_TRANSLATE_NOOP("Speech", "%1: off")
VOLUME = QT_TRANSLATE_NOOP("Speech", "Volume %1 percent.")
DOLLARS = QT_TRANSLATE_NOOP("Speech", "%1 dollars")
DOLLARS_CENTS = QT_TRANSLATE_NOOP("Speech", "%1 dollars and %2 cents")
TYPED = QT_TRANSLATE_NOOP("Speech", "Number typed so far: %1.")
TYPED_COUNT = QT_TRANSLATE_NOOP("Speech", "%1 digits typed.")
NOTHING_TYPED = QT_TRANSLATE_NOOP("Speech", "No digits typed yet. Type the number with the number keys.")
CURRENT_PLAN = QT_TRANSLATE_NOOP("Speech", "your current plan")

# Languages whose sentences end with full-width punctuation.
_FULL_WIDTH = ("zh",)
_ENDS = tuple(".!?。！？…:：")


class Texts(Protocol):
    """Translations: the current language (``get``) and any other (``get_in``)."""

    def get(self, context: str, text: str) -> str: ...

    def get_in(self, lang: str, context: str, text: str) -> str: ...


@dataclass(frozen=True)
class Item:
    """Something the customer can do, in the screen's fixed order. ``key`` is the QML item's
    ``objectName`` (its focus ring; activation calls its ``activate()``)."""

    key: str
    label: str
    lang: str = ""  # "" = the script's language
    enabled: bool = True
    listed: bool = True  # named in the screen's "Options:" (not the top bar's, not each keypad key)


@dataclass(frozen=True)
class Utterance:
    lang: str
    text: str


@dataclass(frozen=True)
class Script:
    """One screen as it is spoken. ``key`` changes when the screen (or what is on it) changes
    enough to be read again in full; ``live`` is read alone when only it changes (the
    terminal's prompt, a warning)."""

    screen: str
    lang: str
    title: str
    facts: tuple[str, ...]
    items: tuple[Item, ...]
    live: str = ""
    key: str = ""
    extra: tuple[Utterance, ...] = field(default=())  # e.g. the invitation in other languages

    def description(self) -> str:
        """Title and facts (and the live line) as one text."""
        return join(self.lang, [self.title, *self.facts, self.live])

    @property
    def listed(self) -> list[Item]:
        return [i for i in self.items if i.listed]

    def actions(self, texts: Texts) -> str:
        """"Options: …" with the screen's own items in the script's language ("Please wait."
        on a screen with nothing to choose)."""
        labels = [i.label for i in self.listed if not i.lang or i.lang == self.lang]
        if not self.listed:
            return texts.get(SPEECH, NO_OPTIONS)
        sep = "；" if self.lang.split("_")[0] in _FULL_WIDTH else "; "
        return fill(texts.get(SPEECH, OPTIONS), sep.join(labels)) if labels else ""

    def utterances(self, texts: Texts, *, touch: bool = False, focus: int = 0,
                   full_hint: bool = True) -> list[Utterance]:
        """The whole screen: title and facts, the options, how to reach them (``full_hint``:
        every key or gesture, else only how to choose the selected option)."""
        out = [Utterance(self.lang, self.description())]
        out += list(self.extra)
        foreign = [i for i in self.listed if i.lang and i.lang != self.lang]
        out.append(Utterance(self.lang, self.actions(texts)))
        out += [Utterance(i.lang, i.label) for i in foreign]
        if self.listed:  # a screen that only asks to wait says nothing about keys
            item = self.items[max(0, min(focus, len(self.items) - 1))]
            if not item.enabled:
                pattern = (HINT_DISABLED_TOUCH if touch else HINT_DISABLED_KEYS) if full_hint \
                    else HINT_DISABLED_SHORT
            else:
                pattern = (HINT_TOUCH if touch else HINT_KEYS) if full_hint else \
                    (HINT_SHORT_TOUCH if touch else HINT_SHORT_KEYS)
            out.append(Utterance(self.lang, fill(texts.get(SPEECH, pattern), item.label)))
        return [u for u in out if u.text.strip()]

    def item_utterance(self, texts: Texts, index: int) -> Utterance:
        """One item as focus reaches it: its label and position ("Pay 40 dollars, 1 of 4")."""
        item = self.items[index]
        label = item.label if item.enabled else fill(texts.get(SPEECH, UNAVAILABLE), item.label)
        lang = item.lang or self.lang
        position = fill(texts.get_in(lang, SPEECH, POSITION) if item.lang else texts.get(SPEECH, POSITION),
                        label, str(index + 1), str(len(self.items)))
        return Utterance(lang, position)

    def text(self, texts: Texts) -> str:
        """Printable form (``kiosk screenshots --speech``): what is said, then the actions by key."""
        lines = [f"[{u.lang}] {u.text}" for u in self.utterances(texts)]
        lines += [f"  {n + 1}. {i.key}: {i.label}" + ("" if i.enabled else " (not available yet)")
                  for n, i in enumerate(self.items)]
        return "\n".join(lines)


# --------------------------------------------------------------------------- helpers


def fill(pattern: str, *args: str) -> str:
    """Qt's ``%1``, ``%2`` placeholders (highest first, so %1 never eats %10)."""
    for n in range(len(args), 0, -1):
        pattern = pattern.replace(f"%{n}", args[n - 1])
    return pattern


def sentence(lang: str, text: str) -> str:
    text = text.strip()
    if not text or text.endswith(_ENDS):
        return text
    return text + ("。" if lang.split("_")[0] in _FULL_WIDTH else ".")


def join(lang: str, parts: Sequence[str]) -> str:
    sep = "" if lang.split("_")[0] in _FULL_WIDTH else " "
    return sep.join(sentence(lang, p) for p in parts if p and p.strip())


def digits_spoken(digits: str) -> str:
    """Digit by digit, grouped as a US number is read (as the keypad display groups them):
    ``2 0 2, 5 5 5, 0 1 2 3``."""
    d = "".join(c for c in digits if c.isalnum())
    if len(d) == 11 and d.startswith("1"):
        d = d[1:]
    groups = [d[:3], d[3:6], d[6:]] if len(d) <= 10 else [d[i:i + 4] for i in range(0, len(d), 4)]
    return ", ".join(" ".join(g) for g in groups if g)


def money_spoken(cents: int, currency: str, texts: Texts, shown: str) -> str:
    """Dollars in words; another currency as the screen shows it."""
    if currency != "USD":
        return shown
    dollars, rest = divmod(cents, 100)
    if rest:
        return fill(texts.get(SPEECH, DOLLARS_CENTS), str(dollars), str(rest))
    return fill(texts.get(SPEECH, DOLLARS), str(dollars))


def number_spoken(msisdn: str, texts: Texts, *, private: bool) -> str:
    """The number as the screen masks it ("ending in 0 1 2 3"), in full only in private."""
    if private:
        return digits_spoken(msisdn)
    return fill(texts.get("ViewModel", "ending in %1"), " ".join(msisdn[-4:]))


# --------------------------------------------------------------------------- screens


Builder = Callable[["_Ctx"], tuple[str, list[str], list[Item], str]]


@dataclass
class _Ctx:
    s: Session
    m: Mapping[str, Mapping[str, Any]]
    t: Texts
    langs: Sequence[str]
    private: bool

    def q(self, context: str, text: str) -> str:
        return self.t.get(context, text)

    def model(self, name: str) -> Mapping[str, Any]:
        return self.m.get(name, {})

    def money(self, cents: int, currency: str, shown: str = "") -> str:
        return money_spoken(cents, currency, self.t, shown)


def _button(key: str, ctx: _Ctx, context: str, text: str, enabled: bool = True) -> Item:
    return Item(key, ctx.q(context, text), enabled=enabled)


def _start_over(ctx: _Ctx, context: str) -> Item:
    return _button("startOverButton", ctx, context, "Start over")


def _attract(c: _Ctx) -> tuple[str, list[str], list[Item], str]:
    lang = c.s.lang
    title = c.t.get_in(lang, "AttractScreen", "Top up your phone plan")
    facts = [c.t.get_in(lang, "AttractScreen", "Choose your language to start")]
    items = [Item(f"attractLang_{code}", c.t.get_in(code, "AttractScreen", "Start in English"), lang=code)
             for code in c.langs]
    return title, facts, items, ""


def _language(c: _Ctx) -> tuple[str, list[str], list[Item], str]:
    title = c.t.get_in(c.s.lang, "LanguageScreen", "Choose your language")
    items = [Item(f"chooseLang_{code}", NATIVE_NAMES.get(code, code), lang=code) for code in c.langs]
    items.append(_button("backButton", c, "LanguageScreen", "Back"))
    return title, [], items, ""


def _insert_sim(c: _Ctx) -> tuple[str, list[str], list[Item], str]:
    ctx = "InsertSimScreen"
    facts = [c.q(ctx, "Put the SIM card into the slot below the screen, gold contacts facing up.")]
    live = ""
    if c.model("slotModel").get("stale_card"):
        live = c.q(ctx, "A SIM card is already in the slot. Please take it out, then insert yours.")
    facts.append(c.q(ctx, "Waiting for your card…"))
    items = [_button("usePhoneButton", c, ctx, "No SIM card or eSIM? Enter your phone number"),
             _button("backButton", c, ctx, "Back")]
    return c.q(ctx, "Insert your SIM card"), facts, items, live


def _waiting(ctx: str, title: str, subtitle: str) -> Builder:
    def build(c: _Ctx) -> tuple[str, list[str], list[Item], str]:
        return c.q(ctx, title), [c.q(ctx, subtitle)], [], ""

    return build


def _phone(c: _Ctx) -> tuple[str, list[str], list[Item], str]:
    ctx = "PhoneScreen"
    m = c.model("phoneModel")
    digits = str(m.get("digits", ""))
    facts = [c.q(ctx, "The number of the phone you want to top up, area code first.")]
    if not digits:
        typed = c.t.get(SPEECH, NOTHING_TYPED)
    elif c.private:
        typed = fill(c.t.get(SPEECH, TYPED), digits_spoken(digits))
    else:
        typed = fill(c.t.get(SPEECH, TYPED_COUNT), str(len(digits)))
    facts.append(typed)
    live = str(m.get("notice", ""))
    if m.get("invalid"):
        live = c.q(ctx, "Please check the number: a US number has 10 digits, area code first.")
    items = [
        _button("submitNumberButton", c, ctx, "Continue", enabled=bool(m.get("can_submit"))),
        _button("backButton", c, ctx, "Back"),
        _start_over(c, ctx),
        *[Item(f"key_{d}", d, listed=False) for d in "123456789"],
        Item("key_clear", c.q("Keypad", "Clear"), listed=False),
        Item("key_0", "0", listed=False),
        Item("key_back", c.q("Keypad", "Delete last digit"), listed=False),
    ]
    return c.q(ctx, "Enter your phone number"), facts, items, live


def _account(c: _Ctx) -> tuple[str, list[str], list[Item], str]:
    ctx = "AccountScreen"
    m = c.model("accountModel")
    a = c.s.account
    facts = [c.q(ctx, "Check the carrier and the last digits of the number."), str(m.get("carrier", ""))]
    if a is not None:
        facts.append(c.q(ctx, "Phone number") + ": " + number_spoken(a.msisdn, c.t, private=c.private))
    if m.get("current_plan"):
        facts.append(c.q(ctx, "Current plan") + ": " + str(m["current_plan"]))
    if m.get("expiry"):
        facts.append(c.q(ctx, "Valid until") + ": " + str(m["expiry"]))
    items = []
    renew = next((p for p in c.s.plans or () if p.id == m.get("renew_id")), None)
    if renew is not None:
        label = fill(c.q("ViewModel", "Renew %1 for %2"), renew.text(c.s.lang).name,
                     c.money(renew.price_cents, renew.currency, str(m.get("renew_label", ""))))
        items.append(Item("renewButton", label))
    choose = "Choose another plan" if renew is not None else "Yes, choose a plan"
    items += [_button("choosePlanButton", c, ctx, choose),
              _button("notMineButton", c, ctx, "No, type a different number"),
              _start_over(c, ctx)]
    return c.q(ctx, "Is this your phone?"), facts, items, ""


def _plans(c: _Ctx) -> tuple[str, list[str], list[Item], str]:
    ctx = "PlansScreen"
    m = c.model("plansModel")
    facts = [str(m.get("carrier", ""))]
    by_id = {p.id: p for p in c.s.plans or ()}
    items: list[Item] = []
    shown = list(m.get("plans", []))
    if not m.get("loading") and not shown:
        facts.append(c.q(ctx, "There are no plans for this carrier at this kiosk."))
    for d in shown:
        plan = by_id.get(str(d.get("id")))
        parts = [str(d.get("name", "")),
                 c.money(plan.price_cents, plan.currency, str(d.get("price", ""))) if plan else str(d.get("price", ""))]
        if d.get("current"):
            parts.append(c.t.get(SPEECH, CURRENT_PLAN))
        if int(d.get("days", 0)) > 0:
            parts.append(fill(c.q(ctx, "Days valid: %1"), str(d["days"])))
        parts += [str(b) for b in d.get("benefits", [])]
        items.append(Item(f"plan_{d.get('id')}", ", ".join(p for p in parts if p)))
    items += [_button("backButton", c, ctx, "Back"), _start_over(c, ctx)]
    return c.q(ctx, "Choose a plan"), facts, items, str(m.get("notice", ""))


def _confirm(c: _Ctx) -> tuple[str, list[str], list[Item], str]:
    ctx = "ConfirmScreen"
    m = c.model("confirmModel")
    a, p = c.s.account, c.s.plan
    facts = [c.q(ctx, "Please check the number: a top-up cannot be moved to another phone.")]
    price = ""
    if a is not None:
        # read back digit by digit before payment (in full only to headphones)
        facts.append(c.q(ctx, "Phone number") + ": " + number_spoken(a.msisdn, c.t, private=c.private))
    facts.append(c.q(ctx, "Carrier") + ": " + str(m.get("carrier", "")))
    facts.append(c.q(ctx, "Plan") + ": " + ", ".join([str(m.get("plan_name", "")), *map(str, m.get("benefits", []))]))
    if int(m.get("days", 0) or 0) > 0:
        facts.append(c.q(ctx, "Days valid") + ": " + str(m["days"]))
    if m.get("valid_until"):
        facts.append(c.q(ctx, "Valid until") + ": " + str(m["valid_until"]))
    if p is not None:
        price = c.money(p.price_cents, p.currency, str(m.get("price", "")))
        facts.append(c.q(ctx, "Price") + ": " + price)
    items = [Item("payButton", fill(c.q(ctx, "Pay %1"), price)),
             _button("changeButton", c, ctx, "Change plan"), _start_over(c, ctx)]
    return c.q(ctx, "Check and pay"), facts, items, ""


def _pay(c: _Ctx) -> tuple[str, list[str], list[Item], str]:
    ctx = "PayScreen"
    m = c.model("payModel")
    p = c.s.plan
    facts = [c.q(ctx, "The terminal is below the screen, on the right.")]
    if p is not None:
        facts.append(c.money(p.price_cents, p.currency, str(m.get("price", ""))) + ", " + str(m.get("plan_name", "")))
    live = str(m.get("prompt_text", ""))
    if m.get("silent") and not m.get("cancelling"):
        live = join(c.s.lang, [live, c.q(ctx, "You can cancel the payment. You will not pay for a top-up "
                                              "you did not get.")])
    items = [_button("cancelPaymentButton", c, ctx, "Cancel payment", enabled=not m.get("cancelling"))]
    return c.q(ctx, "Pay on the card terminal"), facts, items, live


def _reference(c: _Ctx, ctx: str) -> list[str]:
    ref = str(c.model("resultModel").get("reference", ""))
    return [fill(c.q(ctx, "Reference: %1"), " ".join(ref))] if ref else []


def _success(c: _Ctx) -> tuple[str, list[str], list[Item], str]:
    ctx = "SuccessScreen"
    m = c.model("resultModel")
    facts = [str(m.get("plan_name", ""))]
    if m.get("valid_until"):
        facts.append(fill(c.q(ctx, "Your plan now runs until %1."), str(m["valid_until"])))
    if m.get("from_sim"):
        facts.append(c.q(ctx, "Please take your SIM card."))
    if m.get("printed"):
        facts.append(c.q(ctx, "Your receipt is printing below the screen."))
    facts += _reference(c, ctx)
    return (c.q(ctx, "Done! Your phone is topped up."), facts, [_button("doneButton", c, ctx, "Done")], "")


def _take_sim(c: _Ctx) -> tuple[str, list[str], list[Item], str]:
    ctx = "TakeSimScreen"
    return (c.q(ctx, "Please take your SIM card"),
            [c.q(ctx, "Take it out of the slot below the screen. Thank you!"),
             c.q(ctx, "Your SIM card is still in the slot.")], [], "")


def _error(ctx: str, title: str, message: str, hint: str, buttons: Sequence[tuple[str, str]],
           retry_needs: bool = False) -> Builder:
    """A failure screen (``ErrorScreen``): what happened, what it means, what to do."""

    def build(c: _Ctx) -> tuple[str, list[str], list[Item], str]:
        m = c.model("resultModel")
        facts = [c.q(ctx, message)]
        if hint:
            facts.append(c.q(ctx, hint))
        facts += _reference(c, "ErrorScreen")
        items = [_button(key, c, ctx, text) for key, text in buttons
                 if not (retry_needs and key == "retryButton" and not m.get("can_retry"))]
        return c.q(ctx, title), facts, items, ""

    return build


def _topup_failed(c: _Ctx) -> tuple[str, list[str], list[Item], str]:
    ctx = "TopupFailedScreen"
    m = c.model("resultModel")
    p = c.s.plan
    price = c.money(p.price_cents, p.currency, str(m.get("price", ""))) if p else str(m.get("price", ""))
    facts = [fill(c.q(ctx, "The carrier could not add the plan to this number. Your payment of %1 is being "
                           "reversed: you will not be charged."), price),
             c.q(ctx, "Depending on your bank, the reversal can take a few days to show. Keep the reference below."),
             *_reference(c, "ErrorScreen")]
    items = [_button("retryButton", c, ctx, "Choose another plan")] if m.get("can_retry") else []
    items.append(_start_over(c, ctx))
    return c.q(ctx, "The top-up did not go through"), facts, items, ""


def _printer_out(c: _Ctx) -> tuple[str, list[str], list[Item], str]:
    ctx = "PrinterOutOfPaperScreen"
    m = c.model("resultModel")
    facts = []
    if m.get("valid_until"):
        facts.append(fill(c.q(ctx, "Your plan now runs until %1."), str(m["valid_until"])))
    facts.append(c.q(ctx, "The receipt printer is out of paper. Scan the code to get your receipt on your phone."))
    if m.get("from_sim"):
        facts.append(c.q(ctx, "Please take your SIM card."))
    facts += _reference(c, "ErrorScreen")
    return c.q(ctx, "Done! Your phone is topped up."), facts, [_button("doneButton", c, ctx, "Done")], ""


def _out_of_service(c: _Ctx) -> tuple[str, list[str], list[Item], str]:
    ctx = "OutOfServiceScreen"
    m = c.model("resultModel")
    facts = [c.q(ctx, "A technician is needed. Please use another kiosk."),
             fill(c.q(ctx, "If you paid, keep the reference below; our support team will sort it out: %1"),
                  str(m.get("support", ""))),
             *_reference(c, "ErrorScreen")]
    return c.q(ctx, "This kiosk is out of service"), facts, [_start_over(c, ctx)], ""


_RETRY_PHONE = (("retryButton", "Insert it again"), ("usePhoneButton", "Type my phone number"),
                ("startOverButton", "Start over"))
_PAYMENT = (("changeButton", "Change plan"), ("startOverButton", "Start over"))

BUILDERS: dict[State, Builder] = {
    State.ATTRACT: _attract,
    State.LANGUAGE: _language,
    State.INSERT_SIM: _insert_sim,
    State.READING: _waiting("ReadingScreen", "Reading your SIM card…", "Please leave the card in the slot."),
    State.PHONE: _phone,
    State.LOOKUP: _waiting("LookupScreen", "Finding your account…", "This takes a few seconds."),
    State.ACCOUNT: _account,
    State.PLANS: _plans,
    State.CONFIRM: _confirm,
    State.PAY: _pay,
    State.PROCESSING: _waiting("ProcessingScreen", "Payment approved",
                               "Now topping up your phone. This usually takes a few seconds; please wait."),
    State.SUCCESS: _success,
    State.TAKE_SIM: _take_sim,
    State.NO_READER: _error(
        "NoReaderScreen", "The SIM card reader is not working",
        "We can't read SIM cards right now, but you can still top up by typing your phone number.",
        "The staff have been told about the reader.",
        (("usePhoneButton", "Type my phone number"), ("retryButton", "Try the reader again"),
         ("startOverButton", "Start over"))),
    State.UNREADABLE_SIM: _error(
        "UnreadableSimScreen", "We couldn't read this SIM card",
        "The card may be upside down, dirty, or a kind of SIM we don't know.",
        "Take it out, check it and insert it again, or type your phone number instead.", _RETRY_PHONE),
    State.CARD_REMOVED: _error(
        "CardRemovedScreen", "The card was taken out too early", "We need a few seconds to read the SIM card.",
        "Please insert it again and leave it in until the screen changes.", _RETRY_PHONE),
    State.ACCOUNT_NOT_FOUND: _error(
        "AccountNotFoundScreen", "We couldn't find your account",
        "We found no prepaid plan for this SIM card or number.",
        "Type the phone number to try again. Nothing has been charged.",
        (("usePhoneButton", "Type my phone number"), ("startOverButton", "Start over"))),
    State.PAYMENT_DECLINED: _error(
        "PaymentDeclinedScreen", "Payment declined", "Your card was declined. Nothing was charged.",
        "You can try again with another card, or ask your bank why.",
        (("retryButton", "Try another card"), *_PAYMENT)),
    State.PAYMENT_CANCELLED: _error(
        "PaymentCancelledScreen", "Payment cancelled", "The payment was cancelled. Nothing was charged.", "",
        (("retryButton", "Pay again"), *_PAYMENT)),
    State.TERMINAL_OFFLINE: _error(
        "TerminalOfflineScreen", "The card terminal is not responding", "Nothing was charged.",
        "Please try again in a moment. If it keeps happening, please use another kiosk.",
        (("retryButton", "Try again"), ("startOverButton", "Start over"))),
    State.TOPUP_FAILED: _topup_failed,
    State.UPSTREAM_OFFLINE: _error(
        "UpstreamOfflineScreen", "We can't reach the carriers right now",
        "Top-ups need a network connection, which is down at the moment. Nothing was charged.",
        "Your SIM card and phone are fine. Please try again in a few minutes.",
        (("retryButton", "Try again"), ("startOverButton", "Start over")), retry_needs=True),
    State.PRINTER_OUT_OF_PAPER: _printer_out,
    State.OUT_OF_SERVICE: _out_of_service,
}


def _idle(c: _Ctx, remaining: int) -> tuple[str, list[str], list[Item], str]:
    ctx = "IdleOverlay"
    facts = [f"{remaining} " + c.q(ctx, "seconds until the kiosk starts over and forgets what you entered.")]
    return c.q(ctx, "Need more time?"), facts, [_button("moreTimeButton", c, ctx, "Yes, I need more time")], ""


def top_bar(c: _Ctx, options: Mapping[str, bool]) -> list[Item]:
    """The top bar's controls, on every screen after the screen's own."""
    items = [Item(f"topLang_{code}", NATIVE_NAMES.get(code, code), lang=code if code != c.s.lang else "",
                  listed=False) for code in c.langs]
    for key, text, on in (("contrastToggle", "Contrast", options.get("high_contrast", False)),
                          ("largeTextToggle", "Large text", options.get("large_text", False))):
        items.append(Item(key, fill(c.t.get(SPEECH, ON if on else OFF), c.q("TopBar", text)), listed=False))
    return items


def describe(session: Session, models: Mapping[str, Mapping[str, Any]], texts: Texts, *,
             langs: Sequence[str], private: bool = False, idle_remaining: int = 0,
             options: Mapping[str, bool] | None = None) -> Script:
    """The spoken script of what the window shows for ``session`` (the idle warning when it
    is up), from the view models' data ``models`` (``{"confirmModel": {...}, ...}``)."""
    c = _Ctx(session, models, texts, langs, private)
    if session.idle_warning:
        title, facts, items, live = _idle(c, idle_remaining)
        key = f"{session.state.value}/idle"
    else:
        title, facts, items, live = BUILDERS[session.state](c)
        key = session.state.value
        if session.state is State.ACCOUNT:  # the renew option arrives with the catalogue
            key += "/plans" if session.plans is not None else ""
        if session.state is State.PLANS:
            key += "/loading" if session.plans is None else f"/{len(session.plans)}"
    if not session.idle_warning:
        items = items + top_bar(c, options or {})
    key += f"/{session.lang}"
    extra: tuple[Utterance, ...] = ()
    return Script(session.state.value, session.lang, title, tuple(f for f in facts if f), tuple(items),
                  live, key, extra)


def invitation(texts: Texts, langs: Sequence[str]) -> list[Utterance]:
    """The attract screen's spoken loop: how to start audio guidance, in every language."""
    return [Utterance(lang, texts.get_in(lang, SPEECH, INVITATION)) for lang in langs]
