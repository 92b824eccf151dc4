from kiosk.ledger import Ledger, verify


def test_ledger_on_postgres(postgres_url, data_dir):
    with Ledger.open(postgres_url, data_dir) as ledger:
        ledger.append("txn.state", {"state": "created"}, txn_id="a")
        assert verify(ledger).ok
