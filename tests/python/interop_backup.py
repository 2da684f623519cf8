"""python-bareos (PyPI) drives a backup on a live Cairn cluster and reads it back.

Usage: interop_backup.py PORT DIR_PASSWORD BACKED_UP_FILE
Exits non-zero with a message on the first failed expectation.
"""
import sys
import warnings

warnings.simplefilter("ignore")  # python-bareos warns that TLS-PSK is unavailable on this Python

import bareos.bsock

port = int(sys.argv[1])
dir_password, backed_up_file = sys.argv[2], sys.argv[3]


def expect(cond, what):
    if not cond:
        print("FAILED: " + what)
        sys.exit(1)
    print("ok: " + what)


j = bareos.bsock.DirectorConsoleJson(
    address="127.0.0.1", port=port, password=dir_password, tls_psk_enable=False, tls_psk_require=False
)

r = j.call("run job=backup yes")
jobid = r["run"]["jobid"]
expect(isinstance(jobid, str) and jobid.isdigit(), "run returns the jobid as a string: %r" % (r,))

r = j.call("wait jobid=%s" % jobid)
expect(r["job"]["jobid"] == int(jobid), "wait names the job (integer jobid): %r" % (r,))
expect(r["job"]["jobstatus"] == "T" and r["job"]["exitstatus"] == 0, "the backup terminated OK: %r" % (r,))

r = j.call("list jobs")
mine = [x for x in r["jobs"] if x["jobid"] == jobid]
expect(len(mine) == 1, "list jobs contains job %s: %r" % (jobid, r))
expect(mine[0]["level"] == "F" and mine[0]["jobstatus"] == "T", "an Incremental without a Full ran as Full: %r" % (mine,))
expect(all(isinstance(v, str) for v in mine[0].values()), "list jobs values are strings")

r = j.call("list jobid=%s" % jobid)
expect([x["jobid"] for x in r["jobs"]] == [jobid], "list jobid=%s: %r" % (jobid, r))

r = j.call("list files jobid=%s" % jobid)
files = [f["filename"] for f in r["filenames"]]
expect(backed_up_file in files, "list files has %s: %r" % (backed_up_file, files))
expect(len(files) == 4, "two directories and two files: %r" % (files,))

r = j.call("list joblog jobid=%s" % jobid)
texts = [line["logtext"] for line in r["joblog"]]
expect(texts and texts[0].startswith("test-dir JobId %s: " % jobid), "list joblog: %r" % (texts[:2],))
expect(any("Termination:            Backup OK" in t for t in texts), "the job report is in the log")
expect(all(set(line.keys()) == {"time", "logtext"} for line in r["joblog"]), "joblog rows are time/logtext")

r = j.call("list jobid=99")
expect(r == {"jobs": {}}, "a missing jobid is an empty object: %r" % (r,))

r = j.call("status director")
expect(isinstance(r["header"]["jobs_run"], int) and r["header"]["jobs_run"] >= 1, "status director jobs_run")
expect([t["status"] for t in r["terminated"] if t["jobid"] == int(jobid)] == ["OK"], "status director terminated")
j.close()

print("ALL OK")
