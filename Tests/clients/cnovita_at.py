#!/usr/bin/env python3
"""The cnovita CLI (PyPI cnovita 0.3.0) pointed at another base URL.

cnovita has no option or variable for its base URL: `cnovita.core.client` builds every request
from the module constants BASE_URL (and OPENAI_BASE, OPENAI_V1_BASE derived from it) at call
time. This wrapper sets them from CNOVITA_BASE_URL and then runs the CLI's own entry point, so
the arguments are exactly the ones a user types after `cnovita`:

    CNOVITA_BASE_URL=http://127.0.0.1:8080 NOVITA_API_KEY=k python3 cnovita_at.py image cleanup a.png m.png
"""

import os
import sys

import cnovita.core.client as cnovita_client
from cnovita.novita_cli import main

base_url = os.environ.get("CNOVITA_BASE_URL")
if not base_url:
    sys.exit("cnovita_at.py: set CNOVITA_BASE_URL (e.g. http://127.0.0.1:8080)")
base_url = base_url.rstrip("/")
cnovita_client.BASE_URL = base_url
cnovita_client.OPENAI_BASE = f"{base_url}/v3/openai"
cnovita_client.OPENAI_V1_BASE = f"{base_url}/openai/v1"

if __name__ == "__main__":
    sys.argv[0] = "cnovita"
    main()
