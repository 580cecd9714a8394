"""A whole scan (AWS and GitHub) against real-world latency: is it as fast as the network allows?

    .venv/bin/python -m bench scan_latency   [--latency 0.05] [--rounds 3] [--timeout 900] [--profile [N]]
                                             [--timeline FILE]

A moto server account (moto's default EBS snapshots, 200 buckets, 100 IAM users, 50 KMS
keys, resources in 3 regions; moto's server in a process of its own, as AWS is not in
ours) and the GitHub stand-in with 200 repositories, each reached through a loopback proxy
(bench/_latency_proxy.py) that adds `latency` to every request; the AWS integration is
restricted to those 3 regions. The scan runs in a process of its own
(bench/_scan_latency_worker.py): first a warm-up scan that is not counted, then `--rounds`
rounds of one scan without and one with the latency (the order alternating between rounds); the
figures are the rounds' medians, since one scan on a busy 2-core machine swings by a second or
more. Everything listens on and talks to 127.0.0.1 only; each scan is killed after `timeout`
seconds.

Prints the API requests per service, wall time W, the sequential time S (requests x
latency), the critical path C (longest chain of calls that each needed the previous one's
answer, recorded by providers/callchain.py, x latency), W0 (no added latency), the scan's
peak RSS and any API call made twice. Targets: S/W >= 10; W <= 1.5 C + W0; no call made
twice (retries, pagination and credential-report polling excluded); peak RSS <= 250 MB.

--profile N runs the scan with latency under a CPU profiler (every thread, timed by its own
CPU clock) and prints the N functions that used the most CPU themselves; the profiler slows
the scan, so that is an extra scan after the rounds, not one of them.

--timeline FILE writes when each request (at the proxies) and each check (in the scan) of
the scan with latency started and ended to FILE (JSON) and prints, per slice of the scan,
the requests in flight per provider and the checks running (bench/_timeline.py).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import pstats
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from typing import Any

from bench import _timeline
from bench._latency_proxy import LatencyProxy
from bench._moto_aws_like import DEVIATIONS

REGIONS = ["us-east-1", "eu-west-1", "us-west-2"]
CREDS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
TARGET_SPEEDUP = 10.0
TARGET_RSS_MB = 250.0


def _populate_aws(endpoint: str) -> None:
    """The account, written straight to moto (not through the proxy)."""
    import boto3

    def client(service: str, region: str = REGIONS[0]) -> Any:
        return boto3.client(service, region_name=region, endpoint_url=endpoint, **CREDS)

    s3 = client("s3")
    for i in range(200):
        region = REGIONS[i % 3]
        kw = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
        client("s3", region).create_bucket(Bucket=f"bench-bucket-{i:03d}", **kw)
        if i % 10 == 0:
            s3.put_bucket_versioning(Bucket=f"bench-bucket-{i:03d}", VersioningConfiguration={"Status": "Enabled"})
    iam = client("iam")
    iam.create_group(GroupName="developers")
    policy = iam.create_policy(PolicyName="bench-read", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:List*", "Resource": "*"}]}
    ))["Policy"]["Arn"]
    for i in range(100):
        name = f"user-{i:03d}"
        iam.create_user(UserName=name)
        if i % 2 == 0:
            iam.create_login_profile(UserName=name, Password="Bench-password-1!")
        if i % 3 == 0:
            iam.create_access_key(UserName=name)
        if i % 4 == 0:
            iam.attach_user_policy(UserName=name, PolicyArn=policy)
        if i % 5 == 0:
            iam.put_user_policy(UserName=name, PolicyName="inline", PolicyDocument=json.dumps(
                {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject",
                                                         "Resource": "*"}]}))
        iam.add_user_to_group(GroupName="developers", UserName=name)
    for i in range(50):
        kms = client("kms", REGIONS[i % 3])
        key = kms.create_key(Description=f"bench key {i}")["KeyMetadata"]["KeyId"]
        if i % 2 == 0:
            kms.enable_key_rotation(KeyId=key)
    for region in REGIONS:
        ec2 = client("ec2", region)
        vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
        for i in range(5):
            group = ec2.create_security_group(GroupName=f"bench-{i}", Description="bench", VpcId=vpc)["GroupId"]
            if i == 0:
                ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[{
                    "IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
        volumes = [ec2.create_volume(AvailabilityZone=f"{region}a", Size=8, Encrypted=i % 2 == 0)["VolumeId"]
                   for i in range(5)]
        for i, volume in enumerate(volumes[:2]):  # one private and one public snapshot of the account's own
            snapshot = ec2.create_snapshot(VolumeId=volume)["SnapshotId"]
            if i == 1:
                ec2.modify_snapshot_attribute(SnapshotId=snapshot, Attribute="createVolumePermission",
                                              OperationType="add", GroupNames=["all"])
        client("logs", region).create_log_group(logGroupName=f"/bench/{region}")
        client("dynamodb", region).create_table(
            TableName="bench", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")


def _populate_github(server: Any, repos: int) -> None:
    for i in range(repos):
        repo = server.add_repo(f"service-{i:03d}", private=i % 3 != 0)
        if i % 2 == 0:
            repo.protect(required_pull_request_reviews={"required_approving_review_count": 1})
    for i in range(12):
        server.add_member(f"dev{i}", two_factor=i % 5 != 0, role="admin" if i < 2 else "member")


def _start_moto() -> tuple[subprocess.Popen, str]:
    """moto's server in a process of its own (as AWS is not in ours): it uses a core of its own.

    bench/_moto_aws_like.py: moto with two reads answered as AWS answers them (printed below).
    """
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "bench._moto_aws_like", "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{url}/moto-api/", timeout=2).close()
            return proc, url
        except urllib.error.HTTPError:  # it answers: it is up
            return proc, url
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError("moto's server did not start") from None
            time.sleep(0.2)


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of a running process (/proc/PID/stat fields 14 and 15)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _scan(org_id: uuid.UUID, env: dict[str, str], timeout: float, profile: str | None = None,
          timeline: bool = False) -> dict[str, Any]:
    """One scan in its own process; killed after `timeout` seconds; its CPU profile to `profile`."""
    command = [sys.executable, "-m", "bench._scan_latency_worker", str(org_id)]
    if profile:
        command += ["--profile", profile]
    if timeline:
        command.append("--timeline")
    done = subprocess.run(command, env=env,
                          capture_output=True, text=True, timeout=timeout, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"the scan process failed ({done.returncode}): {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _table(label: str, counts: dict[str, int], run: dict[str, Any], w0: float, latency: float) -> list[bool]:
    requests = sum(counts.values())
    wall, sequential, critical = run["wall"], requests * latency, run["longest"] * latency
    ratio = sequential / wall
    bound = 1.5 * critical + w0
    print(f"\n{label}: {run['outcome']}")
    print("  API requests per service: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    print(f"  requests                 {requests}")
    print(f"  W  wall time             {wall:8.2f} s")
    print(f"  S  sequential time       {sequential:8.2f} s   S/W = {ratio:.1f} (target >= {TARGET_SPEEDUP:.0f})")
    print(f"  C  critical path         {critical:8.2f} s   ({run['longest']} dependent calls)")
    print(f"  W0 no added latency      {w0:8.2f} s   W <= 1.5 C + W0 = {bound:.2f} s: "
          f"{'yes' if wall <= bound else 'NO'}")
    print(f"  peak RSS of the scan     {run['rss_mb']:8.1f} MB (target <= {TARGET_RSS_MB:.0f})")
    print(f"  CPU                      {run['cpu']:8.1f} s in the scan process, {run['moto_cpu']:.1f} s in moto, "
          f"{run['stand_in_cpu']:.1f} s in the GitHub stand-in and the proxies "
          f"({os.cpu_count()} cores, load {os.getloadavg()[0]:.1f})")
    print("  API calls per operation (as the providers made them; pages each count, retries do not):")
    for operation, n in sorted(run["operations"].items(), key=lambda item: (-item[1], item[0])):
        print(f"    {n:6d}  {operation}")
    repeated = run["repeated"]
    print(f"  calls made twice         {len(repeated)}")
    for call, n in sorted(repeated.items())[:10]:
        print(f"    {n}x {call}")
    return [ratio >= TARGET_SPEEDUP, wall <= bound, not repeated, run["rss_mb"] <= TARGET_RSS_MB]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench scan_latency")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds added to every request")
    parser.add_argument("--repos", type=int, default=200)
    parser.add_argument("--timeout", type=float, default=900, help="seconds one scan may take")
    parser.add_argument("--profile", type=int, nargs="?", const=25, default=0, metavar="N",
                        help="profile the scan with latency and print its N most CPU-hungry functions")
    parser.add_argument("--timeline", metavar="FILE", help="write the scan's requests and checks over time to FILE")
    parser.add_argument("--rounds", type=int, default=3,
                        help="scans with and without latency, alternating; the figures are their medians")
    args = parser.parse_args(argv)
    profile = tempfile.mkstemp(prefix="scan-profile-", suffix=".pstats")[1] if args.profile else None

    from tests.support.github_server import GitHubServer
    from tests.support.scratch_db import scratch_database

    os.environ["ALLOW_PRIVATE_ENDPOINTS"] = "true"  # every stand-in listens on 127.0.0.1
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # the GitHub stand-in logs every request
    moto, moto_url = _start_moto()
    aws_proxy = LatencyProxy(moto_url, label="aws").start()
    github = GitHubServer().start()
    github_proxy = LatencyProxy(github.base_url, label="github").start()
    github.base_url = github_proxy.url  # its Link headers (next pages) go through the proxy too
    try:
        with scratch_database() as url:
            from compliance_app.commands.serve import worker_env
            from compliance_app.db import session_scope
            from compliance_app.models import Organization, User
            from compliance_app.services import engine, integrations
            from compliance_app.services.authz import Actor

            with session_scope() as s:
                owner = User(email="bench@example.com", password_hash="x", name="Bench")
                s.add(owner)
                s.flush()
                org = Organization(name="Bench", slug="bench", owner_id=owner.id)
                s.add(org)
            actor = Actor.system("bench")
            integrations.add_aws_integration(actor, org.id, "AKIABENCHBENCHBENCH0", "bench-secret-key-0000",
                                             regions=REGIONS, endpoint_url=aws_proxy.url)
            integrations.add_github_integration(actor, org.id, github.token, github.org_login, github_proxy.url)
            _populate_aws(moto_url)
            _populate_github(github, args.repos)
            engine.ensure_questions(engine.default_checks())  # catalog import is not scan time
            # started as `serve` starts its worker (its malloc arena limit included)
            env = worker_env({**os.environ, "DATABASE_URL": url, "ALLOW_PRIVATE_ENDPOINTS": "true"})
            def scan(latency: float, *, profiled: bool = False, timed: bool = False) -> dict[str, Any]:
                for proxy in (aws_proxy, github_proxy):
                    proxy.latency = latency
                    proxy.reset()
                    proxy.timeline = [] if timed else None
                moto_cpu, stand_in_cpu = _cpu_seconds(moto.pid), time.process_time()
                run = _scan(org.id, env, args.timeout, profile if profiled else None, timed)
                if timed:
                    run["timeline"].update(wall=run["wall"], requests=aws_proxy.timeline + github_proxy.timeline)
                run["moto_cpu"] = _cpu_seconds(moto.pid) - moto_cpu
                run["stand_in_cpu"] = time.process_time() - stand_in_cpu
                run["counts"] = {**aws_proxy.counts, **github_proxy.counts}
                return run

            # Not counted: the organization's first audit (nothing to compare with yet) and moto's
            # own first-use work (it builds each region's default images and snapshots on first
            # call) would make whichever scan came first look slower.
            first = scan(0.0)
            rounds: list[tuple[dict[str, Any], dict[str, Any]]] = []
            for i in range(args.rounds):  # alternating order, so drift on a busy machine favours neither
                order = (0.0, args.latency) if i % 2 == 0 else (args.latency, 0.0)
                done = {lat: scan(lat, timed=bool(args.timeline) and i == 0 and lat == args.latency) for lat in order}
                rounds.append((done[0.0], done[args.latency]))
            if profile:  # a scan of its own: the profiler slows it, so it is not one of the rounds
                scan(args.latency, profiled=True)
    finally:
        for stop in (github_proxy.stop, github.stop, aws_proxy.stop, moto.terminate):
            stop()
        try:
            moto.wait(10)
        except subprocess.TimeoutExpired:  # never hide the error that brought us here
            moto.kill()
            moto.wait()
    print(f"warm-up scan (not counted: the organization's first audit, moto's first use): {first['wall']:.2f} s")
    print(f"{'round':>5} {'W0 (no latency)':>16} {'W (with latency)':>17}")
    for i, (zero, latent) in enumerate(rounds, 1):
        print(f"{i:>5} {zero['wall']:>14.2f} s {latent['wall']:>15.2f} s")
    w0 = statistics.median(zero["wall"] for zero, _ in rounds)
    run = dict(_median_run([latent for _, latent in rounds]))
    run["timeline"] = rounds[0][1].get("timeline")
    print(f"medians of {len(rounds)} rounds: W0 {w0:.2f} s, W {run['wall']:.2f} s; W0's scan: CPU "
          f"{statistics.median(z['cpu'] for z, _ in rounds):.1f} s in the scan process, "
          f"{statistics.median(z['moto_cpu'] for z, _ in rounds):.1f} s in moto")
    counts = run["counts"]
    ok = _table(f"scan through {args.latency * 1000:.0f} ms per request (medians of {len(rounds)} rounds)", counts,
                run, w0, args.latency)
    if any(latent["counts"] != counts for _, latent in rounds):
        print("  note: the rounds did not make the same requests")
    if args.timeline:
        _timeline.write(args.timeline, run["timeline"])
        print("\n".join(_timeline.summary(run["timeline"])) + f"\n  (raw timeline in {args.timeline})")
    print("\nmoto answers as AWS does where it would otherwise decide the number of calls "
          "(bench/_moto_aws_like.py):\n" + "\n".join(f"  - {d}" for d in DEVIATIONS))
    if profile:
        _print_profile(profile, args.profile)
    print(f"\ncommand: python -m bench scan_latency --latency {args.latency} --repos {args.repos} "
          f"--rounds {args.rounds}"
          + (f" --profile {args.profile}" if args.profile else "")
          + (f" --timeline {args.timeline}" if args.timeline else ""))
    return 0 if all(ok) else 1


def _median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The scans with latency summed up: medians of the timings, CPU and RSS; requests, call chain and
    repeated calls from the last one (every round makes the same requests; the table says if not)."""
    merged = dict(runs[-1])
    for key in ("wall", "cpu", "moto_cpu", "stand_in_cpu", "rss_mb"):
        merged[key] = statistics.median(r[key] for r in runs)
    merged["longest"] = max(r["longest"] for r in runs)
    merged["repeated"] = {k: v for r in runs for k, v in r["repeated"].items()}
    return merged


def _print_profile(path: str, top: int) -> None:
    """The scan's functions by their own CPU time (from the extra, profiled scan: not the figures above)."""
    stats = pstats.Stats(path)
    print(f"\nCPU profile of the scan with latency (profiled: slower than unprofiled; pstats in {path}):")
    stats.sort_stats(pstats.SortKey.TIME).print_stats(top)
