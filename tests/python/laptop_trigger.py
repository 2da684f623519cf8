"""The seed's laptop script ("Get connected clients, trigger backup if no backup
is younger than 24h") through python-bareos against a live Cairn cluster whose
file daemon uses a client-initiated connection.

Usage: laptop_trigger.py PORT DIR_PASSWORD CLIENT
Exits non-zero with a message on the first failed expectation.
"""
import contextlib
import io
import sys
import time
import warnings

warnings.simplefilter("ignore")  # python-bareos warns that TLS-PSK is unavailable on this Python

import bareos.bsock

port = int(sys.argv[1])
dir_password, client_name = sys.argv[2], sys.argv[3]


def expect(cond, what):
    if not cond:
        print("FAILED: " + what)
        sys.exit(1)
    print("ok: " + what)


# --- the seed's functions, as written there -----------------------------------

def get_connected_clients(director):
    result=director.call('status director')['client-connection']
    clients = [ client['name'] for client in result ]
    return clients

def trigger(director, jobnames):
    for client in get_connected_clients(director):
        jobname = 'backup-{}'.format(client)
        if jobname in jobnames:
            jobs = director.call('list jobs client={} hours=24'.format(client))['jobs']
            if not jobs:
                jobid = director.call('run {} yes'.format(jobname))['run']['jobid']
                print('{}: backup triggered, jobid={}'.format(jobname, jobid))

# -------------------------------------------------------------------------------


def run_trigger(director, jobnames):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        trigger(director, jobnames)
    return out.getvalue()


def wait_connected(director):
    deadline = time.time() + 30
    while time.time() < deadline:
        if client_name in get_connected_clients(director):
            return True
        time.sleep(0.2)
    return False


director = bareos.bsock.DirectorConsoleJson(
    address="127.0.0.1", port=port, password=dir_password, tls_psk_enable=False, tls_psk_require=False
)
jobnames = [j["name"] for j in director.call(".jobs")["jobs"]]
job = "backup-{}".format(client_name)
expect(job in jobnames, ".jobs lists %s: %r" % (job, jobnames))

expect(wait_connected(director), "%s is a connected client" % client_name)
expect(director.call("list jobs client={} hours=24".format(client_name))["jobs"] == [], "no recent backup yet")

out = run_trigger(director, jobnames)
prefix = "{}: backup triggered, jobid=".format(job)
expect(out.startswith(prefix), "the first run triggers a backup: %r" % out)
jobid = out.strip()[len(prefix):]
expect(jobid.isdigit(), "the jobid is a number: %r" % jobid)

r = director.call("wait jobid=%s" % jobid)
expect(r["job"]["jobstatus"] == "T", "the triggered backup terminated OK: %r" % (r,))

# The client reconnects after the job; the second run sees it and its fresh backup.
expect(wait_connected(director), "%s is connected again after the backup" % client_name)
out = run_trigger(director, jobnames)
expect(out == "", "the second run triggers nothing (backup younger than 24h): %r" % out)
jobs = director.call("list jobs client={} hours=24".format(client_name))["jobs"]
expect([j["jobid"] for j in jobs] == [jobid], "exactly the triggered job in the last 24h: %r" % (jobs,))

director.close()
print("ALL OK")
