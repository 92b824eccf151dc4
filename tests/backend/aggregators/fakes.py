"""Fake aggregators for the tests: real HTTP servers on 127.0.0.1, written from the public
documentation (DT One DVS API reference/OpenAPI; Reloadly Airtime API pages), with faults.

Each fake records every top-up it *performed* (delivered value) in ``performed`` as
``(client_id, transaction_id)``: the exactly-once tests compare that with what the kiosk
was told. Faults are queued per request (``fake.fault(method, path_prefix, kind)``):

* ``500``: answer 500 without acting; ``500_after``: act, then answer 500;
* ``timeout_after``: act, then answer only after ``delay_s`` (the client gave up);
* ``drop_after``: act, then close the connection without an answer;
* ``drop_before``: close the connection without acting;
* ``expire_token``: every access token expires just before this request (Reloadly: it is
  refused with 401 ``TOKEN_EXPIRED``, not acted on).
"""

from __future__ import annotations

import base64
import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit


@dataclass
class Fault:
    method: str
    prefix: str
    kind: str


@dataclass
class Answer:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


class FakeServer:
    """A threaded HTTP server; subclasses implement :meth:`route`."""

    delay_s = 1.5

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.faults: list[Fault] = []
        self.requests: list[tuple[str, str]] = []
        self.performed: list[tuple[str, str]] = []
        self.stopped = False
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                url = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = "<not json>"
                fault = "drop_before" if fake.stopped else fake._take_fault(self.command, url.path)
                with fake.lock:
                    fake.requests.append((self.command, url.path))
                if fault == "drop_before":
                    self.close_connection = True
                    return
                if fault == "expire_token":
                    fake.expire_tokens()
                if fault == "500":
                    answer = Answer(500, {"message": "Internal Server Error"})
                else:
                    with fake.lock:
                        answer = fake.route(self.command, url.path, query, dict(self.headers), body)
                if fault == "drop_after":
                    self.close_connection = True
                    return
                if fault == "500_after":
                    answer = Answer(500, {"message": "Internal Server Error"})
                if fault == "timeout_after":
                    time.sleep(fake.delay_s)
                data = json.dumps(answer.body).encode() if answer.body is not None else b""
                try:
                    self.send_response(answer.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for k, v in answer.headers.items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass

            do_GET = do_POST = do_PUT = _handle

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="fake-aggregator", daemon=True)

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening; kept-alive connections are dropped at their next request."""
        self.stopped = True
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def fault(self, method: str, prefix: str, kind: str, times: int = 1) -> None:
        with self.lock:
            self.faults.extend(Fault(method, prefix, kind) for _ in range(times))

    def _take_fault(self, method: str, path: str) -> str | None:
        with self.lock:
            for i, f in enumerate(self.faults):
                if f.method == method and path.startswith(f.prefix):
                    del self.faults[i]
                    return f.kind
        return None

    def expire_tokens(self) -> None:
        """Invalidate every access token handed out (aggregators with OAuth override it)."""

    def count(self, method: str, prefix: str, *, exact: bool = False) -> int:
        with self.lock:
            return sum(1 for m, p in self.requests
                       if m == method and (p == prefix if exact else p.startswith(prefix)))

    def route(self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: Any) -> Answer:
        raise NotImplementedError


# --------------------------------------------------------------------------- DT One


def dtone_product(pid: int, operator: str, amount: float, *, retail: float | None = None, days: int = 30,
                  data_gb: float | None = -1, name: str | None = None) -> dict[str, Any]:
    """A FIXED_VALUE_RECHARGE product shaped like OpenAPI schemas product_base + product_fixed_value_recharge."""
    benefits: list[dict[str, Any]] = [{"type": "TALKTIME", "unit_type": "TIME", "unit": "MINUTES",
                 "amount": {"base": -1, "promotion_bonus": 0, "total_excluding_tax": -1, "total_including_tax": -1},
                 "additional_information": None}]
    if data_gb is not None:
        benefits.append({"type": "DATA", "unit_type": "DATA", "unit": "GB",
                         "amount": {"base": data_gb, "promotion_bonus": 0, "total_excluding_tax": data_gb,
                                    "total_including_tax": data_gb}, "additional_information": None})
    return {
        "id": pid, "name": name or f"{operator} ${amount:g}", "description": f"{operator} prepaid refill",
        "tags": None, "service": {"id": 1, "name": "Mobile", "subservice": {"id": 11, "name": "Airtime"}},
        "operator": {"id": 900 + pid % 7, "name": operator,
                     "country": {"name": "United States", "iso_code": "USA", "regions": None}, "regions": None},
        "regions": None, "type": "FIXED_VALUE_RECHARGE", "validity": {"unit": "DAY", "quantity": days},
        "required_debit_party_identifier_fields": None,
        "required_credit_party_identifier_fields": [["mobile_number"]],
        "required_sender_fields": None, "required_beneficiary_fields": None,
        "required_statement_identifier_fields": None, "required_additional_identifier_fields": None,
        "availability_zones": ["INTERNATIONAL"],
        "source": {"unit_type": "CURRENCY", "unit": "USD", "amount": amount},
        "destination": {"unit_type": "CURRENCY", "unit": "USD", "amount": amount},
        "prices": {"wholesale": {"unit_type": "CURRENCY", "unit": "USD", "amount": round(amount * 0.95, 2), "fee": 0},
                   "retail": ({"unit_type": "CURRENCY", "unit": "USD", "amount": retail, "fee": 0}
                              if retail is not None else None)},
        "rates": {"base": 1, "wholesale": 1.05, "retail": None}, "benefits": benefits, "promotions": None,
    }


def dtone_error(status: int, code: int, message: str) -> Answer:
    # OpenAPI schema "error"
    return Answer(status, {"errors": [{"code": code, "message": message}]})


class FakeDTOne(FakeServer):
    """DT One DVS API v1 (paths under ``/v1``). Outcome by the number's last three digits, as
    DT One's sandbox documents: 100/200 COMPLETED, 102 DECLINED-INVALID-CREDIT-PARTY,
    103 DECLINED-BARRED-CREDIT-PARTY, 104 DECLINED-OPERATOR-CURRENTLY-UNAVAILABLE,
    105 DECLINED-DUPLICATED-TRANSACTION, 106 DECLINED; a 2xx suffix stays SUBMITTED for one
    status query before its final status (the sandbox's "at least 20 seconds")."""

    page_cap = 3  # the fake's page size (<= the documented maximum of 100) to exercise paging

    def __init__(self, key: str = "dt-key", secret: str = "dt-secret") -> None:
        super().__init__()
        self.auth = "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()
        self.products: list[dict[str, Any]] = [
            dtone_product(101, "T-Mobile USA", 50, name="T-Mobile Unlimited 30 days"),
            dtone_product(102, "T-Mobile USA", 30, data_gb=10, name="T-Mobile 10GB"),
            dtone_product(201, "AT&T USA", 65, retail=66.5, name="AT&T Unlimited"),
            dtone_product(301, "Verizon Wireless USA", 55, days=28, name="Verizon Unlimited"),
            dtone_product(401, "Boost Mobile USA", 35, name="Boost 35"),  # no kiosk carrier: left out
        ]
        self.balance = 1000.0
        self.transactions: dict[int, dict[str, Any]] = {}
        self.polls: dict[int, int] = {}
        self._ids = itertools.count(7001)

    def route(self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: Any) -> Answer:
        if headers.get("Authorization") != self.auth:
            return dtone_error(401, 1000401, "Unauthorized")
        if not path.startswith("/v1/"):
            return dtone_error(404, 1000404, "Resource not found")
        path = path[3:]
        if method == "GET" and path == "/products":
            return self._products(query)
        if method == "GET" and path == "/balances":
            return Answer(200, [{"id": 1, "unit_type": "CURRENCY", "unit": "USD", "available": self.balance,
                                 "holding": 0, "credit_limit": 0}])
        if method == "POST" and path == "/lookup/mobile-number":
            number = str((body or {}).get("mobile_number") or "")
            ops = {"+1202555": "T-Mobile USA", "+1303555": "Boost Mobile USA", "+1415555": "AT&T USA"}
            found = [{"id": 900, "name": name, "country": {"name": "United States", "iso_code": "USA",
                                                             "regions": None}, "regions": None, "identified": True}
                     for prefix, name in ops.items() if number.startswith(prefix)]
            return Answer(200, found)
        if method == "POST" and path == "/async/transactions":
            return self._create(body)
        if method == "GET" and path == "/transactions":
            ext = query.get("external_id")
            return Answer(200, [self._view(t) for t in self.transactions.values() if t["external_id"] == ext])
        parts = path.strip("/").split("/")
        if method == "GET" and len(parts) == 2 and parts[0] == "transactions" and parts[1].isdigit():
            txn = self.transactions.get(int(parts[1]))
            return Answer(200, self._view(txn, poll=True)) if txn else dtone_error(404, 1008004,
                                                                                   "Transaction not found")
        if method == "POST" and len(parts) == 4 and parts[:2] == ["async", "transactions"] and parts[3] == "confirm":
            return self._confirm(int(parts[2]))
        if method == "POST" and len(parts) == 3 and parts[0] == "transactions" and parts[2] == "cancel":
            txn = self.transactions.get(int(parts[1]))
            if txn is None:
                return dtone_error(404, 1008004, "Transaction not found")
            if txn["status"] != "CREATED":
                return dtone_error(400, 1007007, "Transaction can no longer be cancelled")
            txn["status"] = "CANCELLED"
            return Answer(202, self._view(txn))
        return dtone_error(404, 1000404, "Resource not found")

    def _products(self, query: dict[str, str]) -> Answer:
        if query.get("country_iso_code") not in (None, "USA"):
            return Answer(200, [])
        per_page = min(int(query.get("per_page", 50)), self.page_cap)
        page = int(query.get("page", 1))
        pages = max(1, -(-len(self.products) // per_page))
        chunk = self.products[(page - 1) * per_page: page * per_page]
        headers = {"X-Total": str(len(self.products)), "X-Total-Pages": str(pages), "X-Per-Page": str(per_page),
                   "X-Page": str(page)}
        return Answer(200, chunk, headers)

    def _create(self, body: Any) -> Answer:
        if not isinstance(body, dict) or not isinstance(body.get("external_id"), str) \
                or not 1 <= len(body["external_id"]) <= 40 or not isinstance(body.get("product_id"), int):
            return dtone_error(400, 1000400, "Bad Request")
        if any(t["external_id"] == body["external_id"] for t in self.transactions.values()):
            return dtone_error(400, 1007001, "Transaction external ID has already been used")
        product = next((p for p in self.products if p["id"] == body["product_id"]), None)
        if product is None:
            return dtone_error(404, 1003001, "Product is not available in your account")
        number = str((body.get("credit_party_identifier") or {}).get("mobile_number") or "")
        if not number.startswith("+1") or len(number) != 12:
            return dtone_error(400, 1005003, "Credit party mobile number is invalid")
        tid = next(self._ids)
        price = product["prices"]["wholesale"]["amount"]
        txn = {"id": tid, "external_id": body["external_id"], "product": product, "number": number,
               "status": "CREATED", "price": price}
        if self.balance < price:
            txn["status"] = "REJECTED-INSUFFICIENT-BALANCE"
        elif body.get("auto_confirm"):
            self.transactions[tid] = txn
            return Answer(201, self._do_confirm(txn))
        self.transactions[tid] = txn
        return Answer(201, self._view(txn))

    def _confirm(self, tid: int) -> Answer:
        txn = self.transactions.get(tid)
        if txn is None:
            return dtone_error(404, 1008004, "Transaction not found")
        if txn["status"] != "CREATED":
            return dtone_error(400, 1007002, "Transaction has already been confirmed")
        return Answer(202, self._do_confirm(txn))

    def _do_confirm(self, txn: dict[str, Any]) -> dict[str, Any]:
        suffix = txn["number"][-3:]
        final = {"102": "DECLINED-INVALID-CREDIT-PARTY", "103": "DECLINED-BARRED-CREDIT-PARTY",
                 "104": "DECLINED-OPERATOR-CURRENTLY-UNAVAILABLE", "105": "DECLINED-DUPLICATED-TRANSACTION",
                 "106": "DECLINED"}.get("1" + suffix[1:], "COMPLETED")
        txn["final"] = final
        txn["status"] = "CONFIRMED"
        view = self._view(txn)
        txn["status"] = "SUBMITTED" if suffix.startswith("2") else final
        if txn["status"] == "COMPLETED":
            self._deliver(txn)
        return view

    def _deliver(self, txn: dict[str, Any]) -> None:
        self.balance -= txn["price"]
        self.performed.append((txn["external_id"], str(txn["id"])))

    def _view(self, txn: dict[str, Any], poll: bool = False) -> dict[str, Any]:
        if poll and txn["status"] == "SUBMITTED":
            self.polls[txn["id"]] = self.polls.get(txn["id"], 0) + 1
            if self.polls[txn["id"]] > 1:
                txn["status"] = txn["final"]
                if txn["status"] == "COMPLETED":
                    self._deliver(txn)
        status = txn["status"]
        klass = status.split("-")[0]
        product = txn["product"]
        return {"id": txn["id"], "external_id": txn["external_id"], "creation_date": "2025-07-01T12:00:00Z",
                "confirmation_expiration_date": "2025-07-01T13:00:00Z", "confirmation_date": None,
                "status": {"id": 1, "message": status, "class": {"id": 1, "message": klass}},
                "operator_reference": None, "pin": None,
                "product": {k: product[k] for k in ("id", "name", "description", "tags", "service", "operator",
                                                    "regions", "type")},
                "prices": product["prices"], "rates": product["rates"], "benefits": product["benefits"],
                "promotions": None, "requested_values": None, "adjusted_values": None, "sender": None,
                "beneficiary": None, "debit_party_identifier": None,
                "credit_party_identifier": {"mobile_number": txn["number"]}, "statement_identifier": None,
                "additional_identifier": None, "callback_url": None}


# --------------------------------------------------------------------------- Reloadly


def reloadly_error(status: int, code: str, message: str, path: str) -> Answer:
    # Error body as on https://raphaelugwu.gitbook.io/airtime/top-ups/async-top-up (third-party mirror
    # of Reloadly's pages; the official page is not in the reference corpus, see backend/providers/reloadly.py)
    return Answer(status, {"timeStamp": "2025-07-01 12:00:00", "message": message, "path": path,
                           "errorCode": code, "infoLink": None, "details": []})


def reloadly_operator(op_id: int, name: str, *, fixed: list[float] | None = None,
                      suggested: list[float] | None = None, descriptions: dict[str, str] | None = None
                      ) -> dict[str, Any]:
    """An operator shaped like https://raphaelugwu.gitbook.io/airtime/operators/get-operator-by-iso."""
    return {"operatorId": op_id, "id": op_id, "name": name, "bundle": False, "data": False, "pin": False,
            "supportsLocalAmounts": False, "denominationType": "FIXED" if fixed is not None else "RANGE",
            "senderCurrencyCode": "USD", "senderCurrencySymbol": "$", "destinationCurrencyCode": "USD",
            "destinationCurrencySymbol": "$", "commission": 4.0, "internationalDiscount": 4.0,
            "localDiscount": 0.0, "mostPopularAmount": None,
            "minAmount": None if fixed is not None else 5.0, "maxAmount": None if fixed is not None else 100.0,
            "localMinAmount": None, "localMaxAmount": None, "country": {"isoName": "US", "name": "United States"},
            "fx": {"rate": 1, "currencyCode": "USD"}, "logoUrls": [],
            "fixedAmounts": fixed or [], "fixedAmountsDescriptions": descriptions or {},
            "localFixedAmounts": [], "localFixedAmountsDescriptions": {},
            "suggestedAmounts": suggested or [], "suggestedAmountsMap": {}, "promotions": []}


class FakeReloadly(FakeServer):
    """Reloadly Airtime API and its OAuth token endpoint (``/oauth/token`` on the same server).
    Outcome by the number's last four digits: 0000 INVALID_RECIPIENT_PHONE, 0429
    PHONE_RECENTLY_RECHARGED, 0404 REFUNDED, 0202 PROCESSING for one status query, then
    SUCCESSFUL; anything else SUCCESSFUL. A reused customIdentifier is refused with an
    error code of the fake's choosing (Reloadly does not document it)."""

    def __init__(self, client_id: str = "rl-id", client_secret: str = "rl-secret", expires_in: int = 3600) -> None:
        super().__init__()
        self.client = (client_id, client_secret)
        self.expires_in = expires_in
        self.tokens: set[str] = set()
        self.token_requests = 0
        self.audiences: list[str] = []
        self._tokens = itertools.count(1)
        self._ids = itertools.count(30001)
        self.balance = 1000.0
        self.operators = [
            reloadly_operator(11, "T-Mobile United States", fixed=[30.0, 50.0],
                              descriptions={"50.00": "Unlimited talk, text & data 30 days"}),
            reloadly_operator(12, "AT&T United States", suggested=[25.0, 65.0, 150.0]),
            reloadly_operator(13, "Tracfone USA", fixed=[20.0]),  # no kiosk carrier: left out
        ]
        self.transactions: dict[int, dict[str, Any]] = {}
        self.polls: dict[int, int] = {}

    def expire_tokens(self) -> None:
        with self.lock:
            self.tokens.clear()

    def route(self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: Any) -> Answer:
        if method == "POST" and path == "/oauth/token":
            return self._token(body)
        auth = headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in self.tokens:
            code = "TOKEN_EXPIRED" if auth.startswith("Bearer ") else "INVALID_TOKEN"
            return reloadly_error(401, code, "Full authentication is required to access this resource", path)
        if headers.get("Accept") != "application/com.reloadly.topups-v1+json":
            return reloadly_error(406, "NOT_ACCEPTABLE", "Accept header", path)
        if method == "GET" and path == "/accounts/balance":
            return Answer(200, {"balance": self.balance, "currencyCode": "USD", "currencyName": "US Dollar",
                                "updatedAt": "2025-07-01 12:00:00"})
        if method == "GET" and path == "/operators/countries/US":
            return Answer(200, self.operators)
        if method == "GET" and path.startswith("/operators/auto-detect/phone/"):
            phone = path.split("/")[4]
            names = {"202555": "T-Mobile United States", "303555": "Tracfone USA", "415555": "AT&T United States"}
            name = next((n for p, n in names.items() if phone.startswith(p)), None)
            op = next((o for o in self.operators if o["name"] == name), None)
            if op is None:
                return reloadly_error(404, "COULD_NOT_AUTO_DETECT_OPERATOR", "Could not detect operator", path)
            return Answer(200, op)
        if method == "POST" and path == "/topups":
            return self._topup(body, path)
        if method == "GET" and path == "/topups/reports/transactions":
            found = [self._view(t) for t in self.transactions.values()
                     if t["customIdentifier"] == query.get("customIdentifier")]
            return Answer(200, {"content": found, "totalElements": len(found), "totalPages": 1, "number": 0})
        parts = path.strip("/").split("/")
        if method == "GET" and len(parts) == 3 and parts[0] == "topups" and parts[2] == "status" \
                and parts[1].isdigit():
            txn = self.transactions.get(int(parts[1]))
            if txn is None:
                return reloadly_error(404, "TRANSACTION_NOT_FOUND", "Transaction not found", path)
            return Answer(200, self._view(txn, poll=True))
        return reloadly_error(404, "NOT_FOUND", "No handler", path)

    def _token(self, body: Any) -> Answer:
        self.token_requests += 1
        if not isinstance(body, dict) or (body.get("client_id"), body.get("client_secret")) != self.client \
                or body.get("grant_type") != "client_credentials":
            return reloadly_error(401, "INVALID_CREDENTIALS", "Invalid credentials", "/oauth/token")
        self.audiences.append(str(body.get("audience")))
        token = f"token-{next(self._tokens)}"
        self.tokens.add(token)
        return Answer(200, {"access_token": token, "scope": "send-topups read-operators read-prepaid-balance",
                            "expires_in": self.expires_in, "token_type": "Bearer"})

    def _topup(self, body: Any, path: str) -> Answer:
        if not isinstance(body, dict) or not isinstance(body.get("operatorId"), int) \
                or not isinstance(body.get("amount"), (int, float)):
            return reloadly_error(400, "INVALID_AMOUNT", "Invalid request", path)
        ident = body.get("customIdentifier")
        if ident and any(t["customIdentifier"] == ident for t in self.transactions.values()):
            return reloadly_error(400, "DUPLICATE_REFERENCE", "customIdentifier already used", path)
        number = str((body.get("recipientPhone") or {}).get("number") or "")
        if len(number) != 10 or number.endswith("0000"):
            return reloadly_error(400, "INVALID_RECIPIENT_PHONE", "Invalid recipient phone", path)
        if number.endswith("0429"):
            return reloadly_error(400, "PHONE_RECENTLY_RECHARGED", "Recently recharged", path)
        amount = float(body["amount"])
        if amount > self.balance:
            return reloadly_error(400, "INSUFFICIENT_BALANCE", "Insufficient balance", path)
        tid = next(self._ids)
        txn = {"transactionId": tid, "customIdentifier": ident, "number": number, "amount": amount,
               "operatorId": body["operatorId"],
               "status": {"0404": "REFUNDED", "0202": "PROCESSING"}.get(number[-4:], "SUCCESSFUL")}
        self.transactions[tid] = txn
        if txn["status"] == "SUCCESSFUL":
            self._deliver(txn)
        return Answer(200, self._view(txn))

    def _deliver(self, txn: dict[str, Any]) -> None:
        self.balance -= txn["amount"]
        self.performed.append((str(txn["customIdentifier"]), str(txn["transactionId"])))

    def _view(self, txn: dict[str, Any], poll: bool = False) -> dict[str, Any]:
        if poll and txn["status"] == "PROCESSING":
            self.polls[txn["transactionId"]] = self.polls.get(txn["transactionId"], 0) + 1
            if self.polls[txn["transactionId"]] > 1:
                txn["status"] = "SUCCESSFUL"
                self._deliver(txn)
        return {"transactionId": txn["transactionId"], "status": txn["status"], "operatorTransactionId": None,
                "customIdentifier": txn["customIdentifier"], "recipientPhone": "1" + txn["number"],
                "recipientEmail": None, "senderPhone": None, "countryCode": "US", "operatorId": txn["operatorId"],
                "operatorName": "?", "discount": 0, "discountCurrencyCode": "USD",
                "requestedAmount": txn["amount"], "requestedAmountCurrencyCode": "USD",
                "deliveredAmount": txn["amount"], "deliveredAmountCurrencyCode": "USD",
                "transactionDate": "2025-07-01 12:00:00", "pinDetail": None, "balanceInfo": None}
