#!/usr/bin/env python3
"""Minimal fleetpulse agent: wire protocol v1, standard library only. See docs/protocol.md."""
import json, os, socket, sys, threading, time

host, _, port = os.environ.get("FLEETPULSE_SERVER", "localhost:9700").rpartition(":")
AGENT_ID = os.environ.get("FLEETPULSE_AGENT_ID", socket.gethostname())
TOKEN = os.environ.get("FLEETPULSE_TOKEN")  # optional shared secret
INTERVAL = float(os.environ.get("FLEETPULSE_INTERVAL_SECONDS", "5"))
BATCHES = int(os.environ.get("FLEETPULSE_BATCHES", "0"))  # 0 = until the link drops
now_ms = lambda: int(time.time() * 1000)
sock = socket.create_connection((host, int(port)))
lines, lock = sock.makefile("r", encoding="utf-8"), threading.Lock()

def send(msg):
    with lock: sock.sendall((json.dumps(msg, allow_nan=False) + "\n").encode())

def handle(msg):
    if msg["type"] == "ping":  # t1: ping received, t2: pong sent (our clock)
        t1 = now_ms(); send({"type": "pong", "id": msg["id"], "t0": msg["t0"], "t1": t1, "t2": now_ms()})
    elif msg["type"] == "error":
        print(f"bridge error {msg['code']} (fatal={msg['fatal']}): {msg['message']}", file=sys.stderr, flush=True)

def reader():
    try:
        for line in lines:
            if line.strip(): handle(json.loads(line))
        print("bridge closed the connection", file=sys.stderr, flush=True)
    except OSError as err:  # includes the silence timeout
        print(f"link lost: {err}", file=sys.stderr, flush=True)
    os._exit(1)  # a real agent reconnects with backoff instead (docs/protocol.md)

hello = {"type": "hello", "protocol": 1, "agent_id": AGENT_ID, "agent_version": "py-example/1", "interval_ms": int(INTERVAL * 1000)}
send(dict(hello, token=TOKEN) if TOKEN else hello)
welcome = json.loads(lines.readline() or '{"type": "eof"}')
if welcome["type"] != "welcome":
    handle(welcome); sys.exit(f"no welcome from the bridge: {welcome}")
sock.settimeout(3 * welcome["heartbeat_ms"] / 1000)  # the bridge sends something at least every 2 x heartbeat_ms
threading.Thread(target=reader, daemon=True).start()
seq = 0
while BATCHES == 0 or seq < BATCHES:  # each batch is the complete snapshot
    seq += 1
    fams = [{"name": f"node_load{m}", "type": "gauge", "help": f"{m}m load average.", "samples": [{"value": v}]}
            for m, v in zip((1, 5, 15), os.getloadavg())]
    send({"type": "metrics", "seq": seq, "timestamp_ms": now_ms(), "families": fams})
    time.sleep(INTERVAL)
