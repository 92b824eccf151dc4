import json
import logging

from kiosk.logs import LOG_FILE, setup_logging


def test_json_lines_in_data_dir_without_secrets(data_dir, capsys):
    setup_logging(data_dir, "INFO")
    try:
        log = logging.getLogger("kiosk.test")
        log.info("technician login pin=1234 ok", extra={"password": "hunter2", "kiosk_id": "K1"})
        log.warning("secret: abc123 seen")
    finally:
        setup_logging(None)
    text = (data_dir / LOG_FILE).read_text()
    lines = [json.loads(x) for x in text.splitlines()]
    assert lines[0]["message"] == "technician login pin=*** ok"
    assert lines[0]["password"] == "***" and lines[0]["kiosk_id"] == "K1"
    assert "1234" not in text and "hunter2" not in text and "abc123" not in text
    assert "abc123" not in capsys.readouterr().err
