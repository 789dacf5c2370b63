"""tsplay's resident spawn helper (src/connection/local/spawn-helper.ts starts it).

Forking the large Node process costs several milliseconds per command; this small process forks
much more cheaply. One thread and one selector serve every command: requests on stdin (one JSON
object a line), kill requests, the children's pipes and their exits (a pidfd each) are all events
of one loop; replies go to stdout, one JSON object a line.

Requests: {"id", "file", "args", "cwd", "env"?, "stdin"? (base64)} and {"kill": id}.
Replies:  {"ready": true} once; {"id", "started": true, "pid"} when the child exists; then
          {"id", "rc", "stdout", "stderr"} (base64), or {"id", "errno", "error"} when it could not start.

It never outlives tsplay: it dies with its parent (PR_SET_PDEATHSIG), and when its stdin closes it
kills what it started (each child leads its own process group) and exits.
"""
import base64
import json
import os
import selectors
import signal
import subprocess
import sys


def stop(*_):
    """kills every command still running (its whole process group) and exits"""
    for job in list(jobs.values()):
        if job["rc"] is None:
            kill_group(job)
    os._exit(0)


def die_with_parent():
    # Ctrl+C reaches tsplay's process group, this process included: tsplay decides what to stop
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, stop)
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG: tsplay gone, even by SIGKILL -> stop()
    except Exception:
        pass  # not Linux, or no ctypes: the stdin EOF below still ends us
    if os.getppid() == 1:
        stop()  # the parent was gone before prctl took effect


sel = selectors.DefaultSelector()
out = sys.stdout.buffer
jobs = {}


def reply(obj):
    out.write((json.dumps(obj) + "\n").encode())
    out.flush()


def watch(fd, events, data):
    os.set_blocking(fd, False)
    sel.register(fd, events, data)


def drop(fd):
    sel.unregister(fd)
    os.close(fd)


def finish(job):
    if job["open"] or job["rc"] is None:
        return
    del jobs[job["id"]]
    reply({"id": job["id"], "rc": job["rc"],
           "stdout": base64.b64encode(b"".join(job["out"])).decode(),
           "stderr": base64.b64encode(b"".join(job["err"])).decode()})


def start(req):
    rid = req["id"]
    stdin = req.get("stdin")
    try:
        p = subprocess.Popen([req["file"]] + req["args"], cwd=req.get("cwd"), env=req.get("env"),
                             stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             # its own process group: a kill reaches what it started too
                             start_new_session=True)
    except OSError as e:
        reply({"id": rid, "errno": e.errno or 0, "error": e.strerror or str(e)})
        return
    except Exception as e:
        reply({"id": rid, "errno": 0, "error": str(e)})
        return
    # the pid lets tsplay kill the command's group itself should this process die by SIGKILL
    reply({"id": rid, "started": True, "pid": p.pid})
    job = {"id": rid, "p": p, "out": [], "err": [], "open": 2, "rc": None}
    jobs[rid] = job
    for f, kind in ((p.stdout, "out"), (p.stderr, "err")):
        watch(os.dup(f.fileno()), selectors.EVENT_READ, (job, kind))
        f.close()
    if stdin is not None:
        job["in"] = memoryview(base64.b64decode(stdin))
        job["open"] += 1
        watch(os.dup(p.stdin.fileno()), selectors.EVENT_WRITE, (job, "in"))
        p.stdin.close()
    try:
        watch(os.pidfd_open(p.pid), selectors.EVENT_READ, (job, "exit"))
    except (AttributeError, OSError):
        job["waitpid"] = True


def kill_group(job):
    try:
        os.killpg(job["p"].pid, signal.SIGKILL)
    except OSError:
        try:
            job["p"].kill()
        except OSError:
            pass


def event(fd, job, kind):
    if kind == "exit":
        drop(fd)
        job["rc"] = job["p"].wait()
    elif kind == "in":
        try:
            n = os.write(fd, job["in"][:65536])
            job["in"] = job["in"][n:]
            if len(job["in"]):
                return
        except BlockingIOError:
            return
        except OSError:
            pass
        drop(fd)
        job["open"] -= 1
    else:
        data = os.read(fd, 65536)
        if data:
            job[kind].append(data)
            return
        drop(fd)
        job["open"] -= 1
    # without pidfds the exit is awaited once every pipe is closed
    if not job["open"] and job["rc"] is None and job.get("waitpid"):
        job["rc"] = job["p"].wait()
    finish(job)


def request(line):
    req = json.loads(line)
    if "kill" in req:
        job = jobs.get(req["kill"])
        if job is not None and job["rc"] is None:
            kill_group(job)
    else:
        start(req)


def main():
    die_with_parent()
    pending = b""
    watch(0, selectors.EVENT_READ, None)
    reply({"ready": True})
    while True:
        for key, _ in sel.select():
            if key.data is None:
                chunk = os.read(0, 65536)
                if not chunk:
                    stop()
                pending += chunk
                *lines, pending = pending.split(b"\n")
                for line in lines:
                    request(line)
            else:
                event(key.fd, *key.data)


main()
