#!/usr/bin/env python3
"""Creates N experiments through Hindcast's JSON API (keep-alive, one connection)."""
import http.client
import json
import random
import sys

host, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
words = ["sea", "ice", "ocean", "spin-up", "coupled", "aerosol", "historical", "scenario",
         "ssp585", "land", "carbon", "decadal", "forecast", "hindcast", "tuning", "control"]
hpcs = ["MN5", "LUMI", "levante", "local"]
kinds = ["experiment"] * 8 + ["test", "operational", "evaluation"]
random.seed(7)
conn = http.client.HTTPConnection(host, port)
for i in range(count):
    body = json.dumps({
        "description": " ".join(random.sample(words, 4)) + f" #{i}",
        "kind": random.choice(kinds),
        "hpc": random.choice(hpcs),
    })
    conn.request("POST", "/v4/experiments", body, {"content-type": "application/json"})
    res = conn.getresponse()
    res.read()
    if res.status != 201:
        sys.exit(f"create {i} answered {res.status}")
print(f"seeded {count} experiments")
