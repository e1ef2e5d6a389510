#!/usr/bin/env python3
"""A reference client of Nutera's API, as a city super-app (like Samarinda's SANTER) uses it.

Standard library only. It obtains a token (OAuth2 client credentials), checks a resident's
status, files a complaint for a resident, and follows the change feed from where it left off.

    python examples/santer_client.py --base https://nutera.example.go.id \\
        --client-id=ntr_... --client-secret=... --nik 3273025708860001 --name "SITI AMINAH"
"""

import argparse
import base64
import json
import sys
import time
import urllib.error
import urllib.parse
import urllib.request


class NuteraClient:
    """Token handling and the calls a super-app needs."""

    def __init__(self, base: str, client_id: str, client_secret: str) -> None:
        self.base = base.rstrip("/")
        self.client_id, self.client_secret = client_id, client_secret
        self._token, self._expires = "", 0.0

    def token(self) -> str:
        """A bearer token, asked again shortly before the old one expires."""
        if time.time() < self._expires - 30:
            return self._token
        basic = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        answer = self._send(
            "POST",
            "/api/v1/oauth/token",
            urllib.parse.urlencode({"grant_type": "client_credentials"}).encode(),
            {
                "Authorization": f"Basic {basic}",
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )
        self._token, self._expires = answer["access_token"], time.time() + answer["expires_in"]
        return self._token

    def _send(self, method: str, path: str, body: bytes | None, headers: dict) -> dict:
        request = urllib.request.Request(
            self.base + path, data=body, headers=headers, method=method
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return json.load(response)
        except urllib.error.HTTPError as error:
            problem = json.load(error)
            detail = f"{error.code} {problem.get('title')}: {problem.get('detail')}"
            raise RuntimeError(detail) from None

    def call(self, method: str, path: str, payload=None, form=None, purpose: str = "") -> dict:
        """An authenticated JSON (or form) call; problem documents become errors."""
        headers = {"Authorization": f"Bearer {self.token()}"}
        if purpose:
            headers["X-Purpose"] = purpose
        body = None
        if payload is not None:
            body, headers["Content-Type"] = json.dumps(payload).encode(), "application/json"
        elif form is not None:
            body = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        return self._send(method, path, body, headers)

    def check_status(self, nik: str, name: str) -> dict:
        return self.call("POST", "/api/v1/status/check", {"nik": nik, "name": name})

    def file_complaint(self, **fields) -> dict:
        return self.call("POST", "/api/v1/complaints", form=fields)

    def follow_changes(self, after: str | None = None):
        """Every change after the cursor, page by page; yields (cursor, change)."""
        while True:
            query = "?" + urllib.parse.urlencode({"after": after}) if after else ""
            page = self.call("GET", "/api/v1/changes" + query)
            for item in page["items"]:
                after = item["cursor"]
                yield after, item
            if page["next_cursor"] is None:
                return


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True)
    parser.add_argument("--client-id", required=True)
    parser.add_argument("--client-secret", required=True)
    parser.add_argument("--nik", required=True)
    parser.add_argument("--name", required=True)
    parser.add_argument("--kelurahan", help="kode kelurahan untuk pengaduan contoh")
    parser.add_argument("--after", help="kursor umpan perubahan terakhir yang sudah diproses")
    args = parser.parse_args(argv)
    client = NuteraClient(args.base, args.client_id, args.client_secret)
    report = {"status": client.check_status(args.nik, args.name)}
    if args.kelurahan:
        report["complaint"] = client.file_complaint(
            kelurahan=args.kelurahan,
            category="data_salah",
            description="Data keluarga kami di aplikasi kota berbeda dengan KK terbaru.",
            reporter_name="Warga lewat aplikasi kota",
        )
    changes = list(client.follow_changes(args.after))
    report["changes"] = len(changes)
    report["last_cursor"] = changes[-1][0] if changes else args.after
    json.dump(report, sys.stdout, ensure_ascii=False)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
