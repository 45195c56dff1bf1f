"""A small client of Hindcast's JSON API for the benchmarks (one keep-alive connection)."""
import http.client
import json
import sys


class Api:
    def __init__(self, host, port):
        self.conn = http.client.HTTPConnection(host, port)

    def call(self, method, path, body=None, expect=(200, 201)):
        """The JSON answer (or the raw body); exits with the answer when the status is not expected."""
        self.conn.request(method, path, json.dumps(body) if body is not None else None, {"content-type": "application/json"})
        res = self.conn.getresponse()
        data = res.read()
        if res.status not in expect:
            sys.exit(f"{method} {path} answered {res.status}: {data[:300]!r}")
        return json.loads(data) if data and res.getheader("content-type", "").startswith("application/json") else data
