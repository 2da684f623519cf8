"""python-bareos (PyPI) against a live Cairn director: the seed's named console
(`Command ACL = !delete, *all*`, Client ACL client1-fd/client2-fd, Job ACL
backup-client1/restore-client1/backup-client2, FileSet ACL Linux.*, Catalog ACL
MyCatalog, the other ACLs *all*) sees and may do only what its ACLs allow.

Usage: interop_acl.py PORT DIR_PASSWORD CONSOLE_NAME CONSOLE_PASSWORD
Exits non-zero with a message on the first failed expectation.
"""
import sys
import warnings

warnings.simplefilter("ignore")  # python-bareos warns that TLS-PSK is unavailable on this Python

import bareos.bsock
import bareos.exceptions

port = int(sys.argv[1])
dir_password, console_name, console_password = sys.argv[2], sys.argv[3], sys.argv[4]


def expect(cond, what):
    if not cond:
        print("FAILED: " + what)
        sys.exit(1)
    print("ok: " + what)


def console(cls, **kw):
    return cls(address="127.0.0.1", port=port, tls_psk_enable=False, tls_psk_require=False, **kw)


def names(r, key):
    return sorted(x["name"] for x in r.get(key, []))


root = console(bareos.bsock.DirectorConsoleJson, password=dir_password)
n = console(bareos.bsock.DirectorConsoleJson, name=console_name, password=console_password)

r = root.call(".jobs")
expect(names(r, "jobs") == ["RestoreFiles", "backup-bareos-fd", "backup-client1"], "root .jobs: %r" % (r,))
r = n.call(".jobs")
expect(names(r, "jobs") == ["backup-client1"], "seed console .jobs (Job ACL): %r" % (r,))
r = n.call(".clients")
expect(names(r, "clients") == ["client1-fd"], "seed console .clients (Client ACL): %r" % (r,))
r = n.call(".filesets")
expect(names(r, "filesets") == ["LinuxAll"], "seed console .filesets (FileSet ACL Linux.*): %r" % (r,))
r = n.call(".pools")
expect(names(r, "pools") == ["Full", "Incremental", "Scratch"], "seed console .pools (Pool ACL *all*): %r" % (r,))
r = n.call(".catalogs")
expect(names(r, "catalogs") == ["MyCatalog"], "seed console .catalogs: %r" % (r,))

# The Command ACL: delete is refused as an invalid command, everything else runs.
try:
    n.call("delete volume=nosuch yes")
    expect(False, "delete raises")
except bareos.exceptions.JsonRpcErrorReceivedException as e:
    expect("delete: is an invalid command." in str(e), "delete is refused: %s" % e)
r = n.call("whoami")
expect(r == {"whoami": console_name}, "whoami: %r" % (r,))

# run: a job outside the Job ACL does not exist for this console.
try:
    n.call("run job=backup-bareos-fd yes")
    expect(False, "run of a job outside the Job ACL raises")
except bareos.exceptions.JsonRpcErrorReceivedException as e:
    expect('Job "backup-bareos-fd" not found.' in str(e), "run job=backup-bareos-fd refused: %s" % e)
try:
    n.call("run job=backup-client1 client=bareos-fd yes")
    expect(False, "run with a client outside the Client ACL raises")
except bareos.exceptions.JsonRpcErrorReceivedException as e:
    expect('Client "bareos-fd" not found.' in str(e), "client=bareos-fd refused: %s" % e)

# .authorized, show and status client=.
r = n.call(".authorized job=backup-client1")
expect(r.get("authorized") is True, ".authorized job=backup-client1: %r" % (r,))
try:
    r = n.call(".authorized job=backup-bareos-fd")
    expect(r.get("authorized") is False, ".authorized job=backup-bareos-fd: %r" % (r,))
except bareos.exceptions.JsonRpcErrorReceivedException as e:
    expect(True, ".authorized job=backup-bareos-fd is refused: %s" % e)
r = n.call("show jobs")
expect("backup-client1" in str(r) and "backup-bareos-fd" not in str(r), "show jobs filtered: %r" % (r,))

# The plain (API 0) class with the same console.
p = console(bareos.bsock.DirectorConsole, name=console_name, password=console_password)
out = p.call("status dir")
expect(b"Running Jobs:" in out, "plain seed console status dir")
p.close()

n.close()
root.close()
print("ALL OK")
