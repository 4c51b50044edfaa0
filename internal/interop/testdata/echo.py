"""Checks that a kazoo program runs: connects, reports, echoes lines."""
import sys
from kazoo.client import KazooClient

zk = KazooClient(hosts=sys.argv[1])
zk.start(timeout=15)
print("connected")
for line in sys.stdin:
    print("echo " + line.rstrip("\n"))
zk.stop()
