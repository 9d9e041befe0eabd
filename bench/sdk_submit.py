#!/usr/bin/env python3
"""Submits many SubmitLiveEditingJob calls through the official Alibaba Cloud IMS SDK
(alibabacloud_ice20201109, unmodified, V3 signatures), for `bench/run.py --jobs`.

  <venv>/bin/python bench/sdk_submit.py SPEC.json

SPEC: {"endpoint": "127.0.0.1:PORT", "access_key_id": …, "access_key_secret": …,
       "threads": 4, "jobs": [{"Clips": "<json>", "LiveStreamConfig": "<json>",
       "MediaProduceConfig": "<json>", "OutputMediaConfig": "<json>"}, …]}
Prints one JSON line: {"job_ids": [...], "seconds": wall seconds of all submits}.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

for _proxy_var in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy"):
    os.environ.pop(_proxy_var, None)

from alibabacloud_ice20201109 import models  # noqa: E402
from alibabacloud_ice20201109.client import Client  # noqa: E402
from alibabacloud_tea_openapi.models import Config  # noqa: E402


def main() -> None:
    spec = json.loads(open(sys.argv[1]).read())
    local = threading.local()

    def client() -> Client:
        c = getattr(local, "client", None)
        if c is None:
            c = Client(Config(access_key_id=spec["access_key_id"], access_key_secret=spec["access_key_secret"],
                              endpoint=spec["endpoint"], protocol="http"))
            local.client = c
        return c

    def submit(job: dict) -> str:
        body = client().submit_live_editing_job(models.SubmitLiveEditingJobRequest(
            clips=job["Clips"], live_stream_config=job["LiveStreamConfig"],
            media_produce_config=job["MediaProduceConfig"], output_media_config=job["OutputMediaConfig"],
        )).body
        return body.job_id

    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=spec.get("threads", 4)) as pool:
        ids = list(pool.map(submit, spec["jobs"]))
    print(json.dumps({"job_ids": ids, "seconds": time.perf_counter() - t0}))


if __name__ == "__main__":
    main()
