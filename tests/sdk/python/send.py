"""Sends one track, one identify and one page through the real segment-analytics-python SDK.

    python send.py HOST WRITEKEY

HOST is the collector's base URL (e.g. http://127.0.0.1:8088); the SDK posts gzipped batches to
HOST/v1/batch. Exits 0 only if every request was gzipped, every HTTP answer was a 200 and the
client's on_error was never called. Used by tests/real_sdks.rs.
"""

import sys

import segment.analytics.request as segment_request
from segment.analytics import Client

failures = []
responses = []


def main():
    if len(sys.argv) != 3:
        print("usage: python send.py HOST WRITEKEY", file=sys.stderr)
        return 2
    host, write_key = sys.argv[1], sys.argv[2]

    # Observe (without changing) what the SDK sends: its module-level requests session.
    session = segment_request._session
    real_post = session.post

    def observed_post(url, **kwargs):
        headers = kwargs.get("headers") or {}
        auth = headers.get("Authorization", "")
        print(
            "send.py: POST {} ({} bytes, Content-Encoding: {}, Authorization: {})".format(
                url,
                len(kwargs.get("data") or b""),
                headers.get("Content-Encoding", "-"),
                auth.split(" ", 1)[0] or "-",
            ),
            file=sys.stderr,
        )
        if headers.get("Content-Encoding") != "gzip":
            failures.append("the batch was not gzipped (gzip=True): headers {}".format(headers))
        res = real_post(url, **kwargs)
        print("send.py: HTTP {} {} from {}".format(res.status_code, res.reason, url), file=sys.stderr)
        responses.append(res.status_code)
        if res.status_code != 200:
            failures.append("HTTP {} from {}: {}".format(res.status_code, url, res.text))
        return res

    session.post = observed_post

    def on_error(error, batch):
        failures.append("on_error: {!r} for a batch of {}".format(error, len(batch)))

    client = Client(
        write_key=write_key,
        host=host,
        gzip=True,
        on_error=on_error,
        # A collector failure should surface within seconds, not after ten backed-off retries.
        max_retries=2,
        timeout=10,
    )
    client.track(
        user_id="user_python_1",
        event="Order Completed",
        properties={
            "orderId": "ord_2002",
            "revenue": 19.99,
            "currency": "EUR",
            "products": [{"sku": "sku_2", "quantity": 1}],
        },
    )
    client.identify(
        user_id="user_python_1",
        traits={"email": "grace@example.com", "name": "Grace Hopper", "plan": "team"},
    )
    client.page(
        user_id="user_python_1",
        name="Pricing",
        properties={"path": "/pricing", "url": "https://example.com/pricing"},
    )
    client.flush()
    client.shutdown()

    if not responses:
        failures.append("the SDK sent no request")
    if failures:
        for failure in failures:
            print("send.py: " + failure, file=sys.stderr)
        return 1
    print("send.py: 3 messages delivered", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
