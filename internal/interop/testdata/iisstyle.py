"""pyftpdlib dressed as IIS 7+/10 in its default "MS-DOS" listing style.

The interop tests' pyftpdlib server (pyftpdlibServer in servers_test.go)
loads this file when it is started as the "iis-style" server and wraps its
handler class with iis_handler. Everything else (the user, the root, the
passive ports, TLS, throttling) stays as pyftpdlib has it; what changes is
what a client sees of a Windows server:

- LIST (and STAT of a path) in the MS-DOS form, column for column as IIS
  writes it: the date MM-DD-YY, two spaces, the 12-hour time HH:MMAM or
  HH:MMPM (minute precision), then "       <DIR>          " for a folder,
  or a space, the size right-aligned in 20 columns and a space for a file,
  then the name, spaces and all; the name always starts in column 40:

      12-01-26  09:05AM       <DIR>          sub dir
      11-30-26  11:47PM                 4096 file name.txt

  Times are the server's local time, as IIS lists them; tz sets that zone,
  so that the listing does not depend on the zone of the host running the
  tests (MDTM stays in UTC, as on IIS).
- No MLSD and no MLST: they are not in FEAT and answer 500, as commands
  the server does not know. Nor MFMT, which IIS lacks too (its FEAT is
  LANG, UTF8, the TLS lines, HOST, SIZE, MDTM and REST STREAM).
- SYST answers "215 Windows_NT".

NLST (plain names), SIZE, MDTM, REST STREAM, EPSV, PASV, EPRT and PORT
are pyftpdlib's, as IIS has them all (though its FEAT does not list EPSV
and EPRT, which pyftpdlib's does).
"""

import os
import stat
import time

from pyftpdlib.filesystems import AbstractedFS, FilesystemError

# Commands IIS does not have: a client must get by with LIST and MDTM.
NOT_IIS = ("MLSD", "MLST", "MFMT")


def dos_line(st, name):
    """One LIST line of IIS's MS-DOS style for a file with stat st."""
    t = time.localtime(st.st_mtime)
    hour = t.tm_hour % 12 or 12  # 12-hour clock: 12AM is midnight, 12PM noon
    when = "%02d-%02d-%02d  %02d:%02d%s" % (
        t.tm_mon, t.tm_mday, t.tm_year % 100, hour, t.tm_min,
        "AM" if t.tm_hour < 12 else "PM")
    if stat.S_ISDIR(st.st_mode):
        return "%s       <DIR>          %s\r\n" % (when, name)
    return "%s %20d %s\r\n" % (when, st.st_size, name)


class DOSFS(AbstractedFS):
    """The file system pyftpdlib lists through, listing in MS-DOS style."""

    def format_list(self, basedir, listing, ignore_err=True):
        for basename in listing:
            path = os.path.join(basedir, basename)
            try:
                # Windows has no Unix symbolic links to show: what a
                # link points to is listed, or the link itself when it
                # points nowhere.
                try:
                    st = self.stat(path)
                except (OSError, FilesystemError):
                    st = self.lstat(path)
            except (OSError, FilesystemError):
                if ignore_err:
                    continue
                raise
            line = dos_line(st, basename)
            yield line.encode("utf8", self.cmd_channel.unicode_errors)


def iis_handler(base, tz):
    """A subclass of the handler class base (FTPHandler or TLS_FTPHandler)
    that behaves like IIS, with its local time in the zone tz."""
    os.environ["TZ"] = tz
    time.tzset()

    class IISHandler(base):
        abstracted_fs = DOSFS
        # Unknown commands answer 500; FEAT lists only what is here.
        proto_cmds = {k: v for k, v in base.proto_cmds.items()
                      if k not in NOT_IIS}

        def ftp_SYST(self, line):
            self.respond("215 Windows_NT")

    return IISHandler
