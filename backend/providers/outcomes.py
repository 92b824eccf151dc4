"""THE table: aggregator statuses and errors -> our top-up outcome.

One row per signal an aggregator can give about a top-up; ``docs/backend.md``
("Aggregator outcomes") mirrors it row for row and ``tests/backend/aggregators``
keeps the two in step. Outcomes:

* ``succeeded`` / ``pending`` / ``failed`` (with a ``failure_kind`` of
  ``kiosk.ports.FailureKind``): applied to the record.
* ``ask``: the signal does not tell whether the top-up happened (timeouts, 5xx,
  dropped connections, a duplicate client id, an error we do not know): the adapter
  asks the aggregator for our client id and never sends the top-up again.

A ``failed`` row must mean "not performed and never will be under this key".
"""

from __future__ import annotations

from dataclasses import dataclass

SUCCEEDED, PENDING, FAILED, ASK = "succeeded", "pending", "failed", "ask"
CUSTOMER, TRANSIENT, OUT_OF_SERVICE = "customer_fixable", "transient", "out_of_service"


@dataclass(frozen=True)
class Row:
    aggregator: str  # "dtone" | "reloadly" | "*"
    source: str  # "transport" | "status" | "class" | "error" | "lookup" | "operator"
    code: str
    outcome: str
    failure_kind: str | None
    meaning: str


# Documentation behind each group:
# * transport: our own classification (backend/providers/http.py); DT One says a
#   transaction is to be queried by external_id "when the supposed API response was not
#   received" (https://developers.dtone.com/reference/transactions-1.md, "Transactions").
# * DT One statuses, classes and error codes: the DVS API reference, sections "Transaction
#   Status" and "API Error Codes" (https://developers.dtone.com/reference/transactions-1.md,
#   https://developers.dtone.com/docs/handling-transactions; same tables in DT One's
#   OpenAPI file, info.description). "REJECTED and DECLINED ... both denote unsuccessful
#   transactions"; "define application logic based on classes".
# * Reloadly statuses: https://docs.reloadly.com/airtime/top-ups/top-up-status (not in the
#   reference corpus; its third-party mirror
#   https://raphaelugwu.gitbook.io/airtime/top-ups/top-up-status is): SUCCESSFUL, PROCESSING,
#   REFUNDED ("funds ... automatically refunded"), FAILED ("Funds are not debited").
#   PENDING is not on that page; it is treated like PROCESSING (conservative).
#   The DT One status table (CREATED 1, CONFIRMED 2, REJECTED 3, CANCELLED 4, SUBMITTED 5,
#   COMPLETED 7, REVERSED 8, DECLINED 9; final ones) was checked against the reference corpus
#   (developers.dtone.com "Transactions" and "Handling Transactions"). The numeric error codes
#   (1000401 ... 1009503) were not: DT One's "API Error Codes" table (developers.dtone.com, or
#   dvs-api-doc.dtone.com) is not in that corpus, so those rows follow the OpenAPI file's
#   description as read when the adapter was written, unverified here; unknown codes are "ask".
# * Reloadly error codes: https://raphaelugwu.gitbook.io/airtime/airtime-errors/error-codes
#   (a third-party mirror of Reloadly's pages: the official docs.reloadly.com /
#   developers.reloadly.com error-code page is not in the reference corpus; see reloadly.py).
#   Reloadly documents that a customIdentifier "cannot be reused"
#   (https://raphaelugwu.gitbook.io/airtime/top-ups/top-up) but not the error code it then
#   answers: any error code not in this table is "ask" (conservative).
TABLE: tuple[Row, ...] = (
    Row("*", "transport", "not_sent", FAILED, TRANSIENT, "connection refused/timed out before sending"),
    Row("*", "transport", "timeout", ASK, None, "no answer within the deadline"),
    Row("*", "transport", "dropped", ASK, None, "connection dropped after sending"),
    Row("*", "transport", "5xx", ASK, None, "server error"),
    Row("*", "transport", "unauthorized", FAILED, OUT_OF_SERVICE, "credentials refused (after one token renewal)"),
    Row("*", "transport", "rate_limited", FAILED, TRANSIENT, "HTTP 429, nothing done"),
    Row("*", "operator", "settled_unseen", FAILED, TRANSIENT,
        "an operator settled a pending key the aggregator, asked again then, has no transaction for"),
    # DT One: status.message first, then status.class.message
    Row("dtone", "class", "CREATED", PENDING, None, "created, not confirmed: we confirm it"),
    Row("dtone", "class", "CONFIRMED", PENDING, None, "confirmed, sent to the operator"),
    Row("dtone", "class", "SUBMITTED", PENDING, None, "submitted to the operator"),
    Row("dtone", "class", "COMPLETED", SUCCEEDED, None, "delivered"),
    Row("dtone", "class", "REVERSED", FAILED, TRANSIENT, "reversed by DT One (value returned)"),
    Row("dtone", "class", "CANCELLED", FAILED, TRANSIENT, "cancelled before confirmation"),
    Row("dtone", "class", "REJECTED", FAILED, TRANSIENT, "refused by DT One"),
    Row("dtone", "class", "DECLINED", FAILED, TRANSIENT, "refused by the operator"),
    Row("dtone", "status", "REJECTED-INVALID-CREDIT-PARTY", FAILED, CUSTOMER, "number is invalid"),
    Row("dtone", "status", "REJECTED-BARRED-CREDIT-PARTY", FAILED, CUSTOMER, "number is barred"),
    Row("dtone", "status", "REJECTED-INELIGIBLE-CREDIT-PARTY", FAILED, CUSTOMER, "number not eligible for the plan"),
    Row("dtone", "status", "REJECTED-INSUFFICIENT-BALANCE", FAILED, OUT_OF_SERVICE, "our prepaid balance is exhausted"),
    Row("dtone", "status", "REJECTED-OPERATOR-CURRENTLY-UNAVAILABLE", FAILED, OUT_OF_SERVICE, "operator down"),
    Row("dtone", "status", "DECLINED-INVALID-CREDIT-PARTY", FAILED, CUSTOMER, "number is invalid"),
    Row("dtone", "status", "DECLINED-BARRED-CREDIT-PARTY", FAILED, CUSTOMER, "number is barred"),
    Row("dtone", "status", "DECLINED-INELIGIBLE-CREDIT-PARTY", FAILED, CUSTOMER, "operator mismatch"),
    Row("dtone", "status", "DECLINED-OPERATOR-CURRENTLY-UNAVAILABLE", FAILED, OUT_OF_SERVICE, "operator down"),
    Row("dtone", "status", "DECLINED-DUPLICATED-TRANSACTION", FAILED, TRANSIENT, "operator saw a duplicate recharge"),
    Row("dtone", "error", "1000401", FAILED, OUT_OF_SERVICE, "credentials refused"),
    Row("dtone", "error", "1000429", FAILED, TRANSIENT, "too many requests"),
    Row("dtone", "error", "1000400", FAILED, TRANSIENT, "request refused as malformed"),
    Row("dtone", "error", "1003001", FAILED, CUSTOMER, "product no longer available"),
    Row("dtone", "error", "1005003", FAILED, CUSTOMER, "credit party mobile number is invalid"),
    Row("dtone", "error", "1006001", FAILED, OUT_OF_SERVICE, "insufficient balance"),
    Row("dtone", "error", "1007001", ASK, None, "external id already used: ask, never redo"),
    Row("dtone", "error", "1007002", ASK, None, "already confirmed: ask"),
    Row("dtone", "error", "1007004", FAILED, TRANSIENT, "can no longer be confirmed: never performed"),
    Row("dtone", "error", "1008004", ASK, None, "transaction not found (on confirm): ask"),
    Row("dtone", "error", "1009001", ASK, None, "unexpected error at DT One"),
    Row("dtone", "error", "1009503", ASK, None, "service unavailable"),
    Row("dtone", "lookup", "not_found", FAILED, TRANSIENT,
        "no transaction for our external_id: never confirmed by us, so never performed"),
    # Reloadly
    Row("reloadly", "transport", "no_token", FAILED, TRANSIENT,
        "token endpoint failed (5xx, timeout, dropped): POST /topups was never sent"),
    Row("reloadly", "status", "SUCCESSFUL", SUCCEEDED, None, "delivered"),
    Row("reloadly", "status", "PROCESSING", PENDING, None, "being verified by the operator"),
    Row("reloadly", "status", "PENDING", PENDING, None, "not documented; treated as PROCESSING"),
    Row("reloadly", "status", "REFUNDED", FAILED, TRANSIENT, "operator did not process it; refunded"),
    Row("reloadly", "status", "FAILED", FAILED, TRANSIENT, "failed at the operator; not debited"),
    Row("reloadly", "error", "INVALID_RECIPIENT_PHONE", FAILED, CUSTOMER, "number not valid for the country"),
    Row("reloadly", "error", "INVALID_PHONE_NUMBER", FAILED, CUSTOMER, "number not valid"),
    Row("reloadly", "error", "COULD_NOT_AUTO_DETECT_OPERATOR", FAILED, CUSTOMER, "operator unknown for the number"),
    Row("reloadly", "error", "INVALID_AMOUNT_FOR_OPERATOR", FAILED, CUSTOMER, "amount not valid for the operator"),
    Row("reloadly", "error", "INVALID_AMOUNT", FAILED, CUSTOMER, "amount not valid"),
    Row("reloadly", "error", "PHONE_RECENTLY_RECHARGED", FAILED, TRANSIENT, "recharged less than 2 min ago"),
    Row("reloadly", "error", "INSUFFICIENT_BALANCE", FAILED, OUT_OF_SERVICE, "our prepaid balance is exhausted"),
    Row("reloadly", "error", "MAX_DAILY_TRANSACTION_AMOUNT_REACHED", FAILED, OUT_OF_SERVICE, "daily amount limit"),
    Row("reloadly", "error", "MAX_DAILY_TRANSACTION_COUNT_REACHED", FAILED, OUT_OF_SERVICE, "daily count limit"),
    Row("reloadly", "error", "ACCOUNT_NOT_FOUND", FAILED, OUT_OF_SERVICE, "our account does not exist"),
    Row("reloadly", "error", "INACTIVE_ACCOUNT", FAILED, OUT_OF_SERVICE, "our account is inactive"),
    Row("reloadly", "error", "OPERATOR_NOT_IN_SERVICE", FAILED, OUT_OF_SERVICE, "operator not in service"),
    Row("reloadly", "error", "OPERATOR_UNAVAILABLE_OR_CURRENTLY_INACTIVE", FAILED, OUT_OF_SERVICE,
        "operator disabled or inactive"),
    Row("reloadly", "error", "COUNTRY_NOT_SUPPORTED", FAILED, OUT_OF_SERVICE, "country disabled"),
    Row("reloadly", "error", "TRANSACTION_CANNOT_BE_PROCESSED_AT_THE_MOMENT", FAILED, TRANSIENT, "try later"),
    Row("reloadly", "error", "TOPUP_TRANSACTION_FAILED", ASK, None, "undocumented meaning: ask"),
    Row("reloadly", "error", "INVALID_CREDENTIALS", FAILED, OUT_OF_SERVICE, "credentials refused"),
    Row("reloadly", "lookup", "not_found", PENDING, None,
        "no transaction for our customIdentifier yet: a delayed request may still arrive; ask again"),
)

_INDEX: dict[tuple[str, str, str], Row] = {}
for _row in TABLE:
    _key = (_row.aggregator, _row.source, _row.code)
    if _key in _INDEX:
        raise RuntimeError(f"duplicate outcome row {_key}")
    _INDEX[_key] = _row


def find(aggregator: str, source: str, code: str) -> Row | None:
    """The row for a signal; aggregator-specific rows first, then the ``*`` rows."""
    return _INDEX.get((aggregator, source, code)) or _INDEX.get(("*", source, code))
