#!/usr/bin/env python3
"""An S3-compatible server for the tests: moto 5.2.5 on 127.0.0.1, on a free port.

Run it with the virtualenv's python (`make deps` makes .build/venv-moto). It starts moto's server,
creates the bucket named by --bucket, and with --check-signatures creates an IAM user allowed
everything, gives it an access key and switches moto's signature checking on (moto checks no
signature until `POST /moto-api/reset-auth` with the body `0`). Then it prints one JSON line:
  {"port": N, "bucket": "...", "access_key_id": "...", "secret_access_key": "..."}
(the keys are moto's defaults when signatures are not checked) and serves until its standard input
closes, so it never outlives the test process that started it.
"""
import argparse
import json
import logging
import signal
import sys
import urllib.request

import boto3
from moto.server import ThreadedMotoServer


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bucket", required=True)
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--host", default="127.0.0.1", help="the address to listen on (a test's own namespace)")
    parser.add_argument("--check-signatures", action="store_true")
    arguments = parser.parse_args()
    # A child of a Swift test process inherits its blocked SIGTERM; let stopping work as usual.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGTERM, signal.SIGINT])
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request

    server = ThreadedMotoServer(ip_address=arguments.host, port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    key_id, secret = "testing", "testing"

    def client(service, key_id, secret):
        return boto3.client(
            service, endpoint_url=endpoint, region_name=arguments.region,
            aws_access_key_id=key_id, aws_secret_access_key=secret)

    client("s3", key_id, secret).create_bucket(Bucket=arguments.bucket)
    if arguments.check_signatures:
        iam = client("iam", key_id, secret)
        iam.create_user(UserName="litesafe-test")
        iam.put_user_policy(
            UserName="litesafe-test", PolicyName="everything",
            PolicyDocument=json.dumps({
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
            }))
        created = iam.create_access_key(UserName="litesafe-test")["AccessKey"]
        key_id, secret = created["AccessKeyId"], created["SecretAccessKey"]
        request = urllib.request.Request(f"{endpoint}/moto-api/reset-auth", data=b"0", method="POST",
            # Not form-encoded (urllib's default): moto reads the raw body as a number.
            headers={"Content-Type": "text/plain"})
        with urllib.request.urlopen(request, timeout=30) as response:
            if response.status != 200:
                sys.exit(f"moto-server.py: reset-auth answered {response.status}")
        # Proof that signatures are now checked: a wrong secret must be refused.
        try:
            client("s3", key_id, secret + "x").head_bucket(Bucket=arguments.bucket)
            sys.exit("moto-server.py: signature checking is not on (a wrong secret was accepted)")
        except client("s3", key_id, secret).exceptions.ClientError:
            pass

    print(json.dumps({"port": port, "bucket": arguments.bucket, "region": arguments.region,
                      "access_key_id": key_id, "secret_access_key": secret}), flush=True)
    sys.stdin.read()
    server.stop()


if __name__ == "__main__":
    main()
