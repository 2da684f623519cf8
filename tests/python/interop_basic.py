"""python-bareos (PyPI) against a live Cairn director.

Usage: interop_basic.py PORT DIR_PASSWORD CONSOLE_NAME CONSOLE_PASSWORD
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


# Plain console, default (root) console.
c = console(bareos.bsock.DirectorConsole, password=bareos.bsock.Password(dir_password))
expect(c.call("whoami") == b"root\n", "DirectorConsole default console whoami")
out = c.call("list jobs")
expect(b"No results to list." in out, "DirectorConsole list jobs on an empty catalog: %r" % out)
out = c.call("version")
expect(out.startswith(b"bareos-dir Version: 25.1.1"), "DirectorConsole version: %r" % out)
out = c.call("status director")
expect(b"Running Jobs:" in out, "DirectorConsole status director")
c.close()

# JSON console, default console.
j = console(bareos.bsock.DirectorConsoleJson, password=dir_password)
r = j.call("list jobs")
expect(r == {"jobs": []}, "DirectorConsoleJson list jobs: %r" % (r,))
r = j.call("status director")
expect("client-connection" in r and r["header"]["director"] == "bareos-dir", "DirectorConsoleJson status director")
expect(isinstance(r["header"]["jobs_run"], int), "status director jobs_run is an integer")
r = j.call("version")
expect(r["version"]["version"] == "25.1.1", "DirectorConsoleJson version: %r" % (r,))
r = j.call("whoami")
expect(r == {"whoami": "root"}, "DirectorConsoleJson whoami")
try:
    j.call("thisisnotabareoscommand")
    expect(False, "invalid command raises")
except bareos.exceptions.JsonRpcErrorReceivedException as e:
    expect("thisisnotabareoscommand: is an invalid command." in str(e), "invalid command raises: %s" % e)
r = j.call("list clients")
expect(r["clients"][0]["clientid"] == "1", "catalog values are strings: %r" % (r,))
j.close()

# Named console, both classes.
n = console(bareos.bsock.DirectorConsole, name=console_name, password=console_password)
expect(n.call("whoami") == (console_name + "\n").encode(), "DirectorConsole named console whoami")
n.close()
nj = console(bareos.bsock.DirectorConsoleJson, name=console_name, password=console_password)
expect(nj.call("whoami") == {"whoami": console_name}, "DirectorConsoleJson named console whoami")
expect(nj.call("list jobs") == {"jobs": []}, "named console list jobs")
nj.close()

# Protocol 1 (old Hello) explicitly.
p1 = console(bareos.bsock.DirectorConsoleJson, password=dir_password, protocolversion=1)
expect(p1.call("whoami") == {"whoami": "root"}, "protocol version 1 login")
p1.close()

# Wrong password and unknown console raise the authentication error.
for kw, what in (
    ({"password": "wrong"}, "wrong password"),
    ({"name": "nosuchconsole", "password": "x"}, "unknown console"),
    ({"name": console_name, "password": "wrong"}, "named console with a wrong password"),
):
    try:
        console(bareos.bsock.DirectorConsole, **kw)
        expect(False, what + " raises")
    except bareos.exceptions.AuthenticationError:
        expect(True, what + " raises AuthenticationError")

print("ALL OK")
